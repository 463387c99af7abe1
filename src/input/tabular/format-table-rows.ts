/**
 * Renders rows for an `append_row` output the way Azure's runtime writes a returned DataFrame:
 * `df.to_csv(f, header=None, index=None, sep=" ")`: space-separated, no header, no index, pandas'
 * minimal quoting.
 */

const SEPARATOR = ' ';

/** One value as pandas writes it (before quoting): null/NaN → empty, booleans as Python's True/False. */
function valueText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return '';
    if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}

/** Quotes a field that holds the separator, a quote or a line break; quotes inside are doubled. */
function quoteField(text: string): string {
  return /[ "\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The rows as text, each ending in "\n". Rows are arrays (values in order) or objects (values of
 * `columns`, by default every key in first-seen order; a missing key is empty). A row of a single
 * empty field is written `""` (as Python's csv writer does), so that it is not an empty line.
 */
export function formatTableRows(
  rows: readonly (readonly unknown[])[] | readonly Readonly<Record<string, unknown>>[],
  columns?: readonly string[],
): string {
  let names = columns;
  if (!names && rows.some((row) => !Array.isArray(row))) {
    const seen = new Set<string>();
    for (const row of rows) if (!Array.isArray(row)) for (const key of Object.keys(row)) seen.add(key);
    names = [...seen];
  }
  let out = '';
  for (const row of rows) {
    const values = Array.isArray(row) ? row : (names ?? []).map((name) => (row as Record<string, unknown>)[name]);
    const fields = values.map((value) => quoteField(valueText(value)));
    out += fields.length === 1 && fields[0] === '' ? '""\n' : `${fields.join(SEPARATOR)}\n`;
  }
  return out;
}
