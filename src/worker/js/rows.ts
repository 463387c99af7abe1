/**
 * append_row formatting of run()'s returns, the JS counterpart of Azure writing each returned item
 * as one line of the output file.
 */
import { formatTableRows } from '../../input/tabular/format-table-rows.js';

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

/**
 * One line per returned item of a tabular mini-batch, as Azure writes a returned DataFrame
 * (`to_csv(sep=" ", header=None, index=None)`, pandas quoting): records give the values of every key
 * seen in the returned records (first-seen order, a missing key is empty), arrays their values in
 * order; strings stay as they are (a list of lines).
 */
export function formatTabularRows(items: readonly unknown[]): string {
  const records = items.filter(isRecord);
  const columns = records.length === 0 ? [] : collectKeys(records);
  let out = '';
  for (const item of items) {
    if (typeof item === 'string') out += `${item}\n`;
    else if (Array.isArray(item)) out += formatTableRows([item]);
    else if (isRecord(item)) out += formatTableRows([item], columns);
    else out += formatTableRows([[item]]);
  }
  return out;
}

function isRecord(item: unknown): item is Readonly<Record<string, unknown>> {
  return typeof item === 'object' && item !== null && !Array.isArray(item) && !(item instanceof Date);
}

function collectKeys(records: readonly Readonly<Record<string, unknown>>[]): string[] {
  const seen = new Set<string>();
  for (const record of records) for (const key of Object.keys(record)) seen.add(key);
  return [...seen];
}
