/**
 * append_row formatting of run()'s returns, the JS counterpart of Azure writing each returned item
 * as one line of the output file.
 */

/**
 * One line per returned item, each ending in "\n": strings as they are, arrays joined by single
 * spaces (Azure's list-of-lists output), anything else as JSON (`undefined` becomes "null").
 */
export function formatRows(items: readonly unknown[]): string {
  let out = '';
  for (const item of items) out += `${formatRow(item)}\n`;
  return out;
}

function formatRow(item: unknown): string {
  if (typeof item === 'string') return item;
  if (Array.isArray(item)) return item.map((part) => (typeof part === 'string' ? part : json(part))).join(' ');
  return json(item);
}

function json(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}
