/**
 * The value handed to the entry script's `run(miniBatch, context)`.
 *
 * - File input: an array of absolute file paths.
 * - Tabular input: an array of row records (`{ column: value }`, values as the node parsed them:
 *   string, number, boolean or null), with two extra non-index properties on the array:
 *   `columns` (the column names in order) and `source` (the byte ranges the rows came from). One item
 *   is one row, so `run()` returning one entry per row counts every row as succeeded.
 */
import type { ByteRangeItem, RunMessage, TableBatch } from '../protocol.js';

/** A tabular mini-batch as run() sees it. */
export type TableRecords = Record<string, unknown>[] & {
  readonly columns: readonly string[];
  readonly source: readonly ByteRangeItem[];
};

/** The run() argument and its item count for one `run` message. */
export function miniBatchOf(message: RunMessage): { readonly items: string[] | TableRecords; readonly total: number } {
  if (message.table !== undefined) {
    const records = tableRecords(message.table);
    return { items: records, total: records.length };
  }
  const files = message.files === undefined ? [] : [...message.files];
  return { items: files, total: files.length };
}

/** Rows-as-arrays → records keyed by column name, with `columns` and `source` attached. */
export function tableRecords(table: TableBatch): TableRecords {
  const { columns } = table;
  const records = table.rows.map((row) => {
    const record: Record<string, unknown> = {};
    for (let i = 0; i < columns.length; i++) record[columns[i] as string] = row[i] ?? null;
    return record;
  });
  return Object.assign(records, { columns, source: table.source });
}
