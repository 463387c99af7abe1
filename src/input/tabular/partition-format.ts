/**
 * `extract_columns_from_partition_format`: values of columns encoded in a file's path, e.g. the
 * format `{Store}/{Brand}/{file_name}.{ext}` on `Store1/BrandA/data.csv` gives Store=Store1,
 * Brand=BrandA, file_name=data, ext=csv. A `{name:yyyy/MM/dd}` placeholder spans path segments and
 * gives an ISO 8601 date-time (UTC). The format is matched against the end of the file's path
 * relative to the MLTable's folder.
 */
import path from 'node:path';

import { InputError } from '../../errors.js';

/** A compiled partition format. */
export interface PartitionFormat {
  readonly format: string;
  /** Column names in the order they appear in the format. */
  readonly columns: readonly string[];
  readonly pattern: RegExp;
  /** Per column: for a `{name:…}` placeholder, its parts (`yyyy`, `MM`, …) and a regex capturing them. */
  readonly dateParts: readonly ({ readonly tokens: readonly string[]; readonly pattern: RegExp } | undefined)[];
}

const DATE_TOKENS: Readonly<Record<string, string>> = {
  yyyy: '\\d{4}',
  MM: '\\d{2}',
  dd: '\\d{2}',
  HH: '\\d{2}',
  mm: '\\d{2}',
  ss: '\\d{2}',
};
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Compiles `format`; throws a TypeError naming the problem (the MLTable parser checks the shape first). */
export function compilePartitionFormat(format: string): PartitionFormat {
  const columns: string[] = [];
  const dateParts: ({ tokens: string[]; pattern: RegExp } | undefined)[] = [];
  let pattern = '';
  let last = 0;
  for (const placeholder of format.matchAll(/\{([^{}:]+)(?::([^{}]+))?\}/g)) {
    pattern += escapeRegExp(format.slice(last, placeholder.index));
    last = placeholder.index + placeholder[0].length;
    const name = placeholder[1]!.trim();
    if (columns.includes(name)) throw new TypeError(`partition format ${format}: column {${name}} appears twice`);
    columns.push(name);
    const dateFormat = placeholder[2];
    if (dateFormat === undefined) {
      // Greedy within one segment: `{file_name}.{ext}` splits at the last dot.
      pattern += '([^/]+)';
      dateParts.push(undefined);
      continue;
    }
    const tokens: string[] = [];
    let capturing = '';
    let plain = '';
    for (const token of dateFormat.match(/yyyy|MM|dd|HH|mm|ss|[^yMdHms]+|./g) ?? []) {
      const digits = DATE_TOKENS[token];
      if (digits) tokens.push(token);
      capturing += digits ? `(${digits})` : escapeRegExp(token);
      plain += digits ?? escapeRegExp(token);
    }
    pattern += `(${plain})`;
    dateParts.push({ tokens, pattern: new RegExp(`^${capturing}$`) });
  }
  pattern += escapeRegExp(format.slice(last));
  if (columns.length === 0) throw new TypeError(`partition format ${format} has no {column} placeholder`);
  return { format, columns, pattern: new RegExp(`(?:^|/)${pattern}$`), dateParts };
}

/**
 * The partition column values of `file` (absolute) under `compiled`, its path taken relative to
 * `baseDir`. Text placeholders give strings; date placeholders give ISO 8601 UTC strings.
 * @throws InputError naming the file and the format when the path does not match.
 */
export function extractPartitionValues(
  file: string,
  baseDir: string,
  compiled: PartitionFormat,
): Record<string, string> {
  const relative = path.relative(baseDir, file).split(path.sep).join('/');
  const match = compiled.pattern.exec(relative);
  if (!match) {
    throw new InputError(
      `${file}: its path (${relative}) does not match extract_columns_from_partition_format \`${compiled.format}\``,
    );
  }
  const values: Record<string, string> = {};
  compiled.columns.forEach((column, index) => {
    const text = match[index + 1] ?? '';
    const parts = compiled.dateParts[index];
    values[column] = parts ? dateFromParts(text, parts) : text;
  });
  return values;
}

function dateFromParts(text: string, parts: { readonly tokens: readonly string[]; readonly pattern: RegExp }): string {
  const numbers = parts.pattern.exec(text)?.slice(1).map(Number) ?? [];
  const get = (token: string, fallback: number) => {
    const index = parts.tokens.indexOf(token);
    return index === -1 ? fallback : (numbers[index] ?? fallback);
  };
  return new Date(
    Date.UTC(get('yyyy', 1970), get('MM', 1) - 1, get('dd', 1), get('HH', 0), get('mm', 0), get('ss', 0)),
  ).toISOString();
}
