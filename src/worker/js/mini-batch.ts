/**
 * The value handed to the entry script's `run(miniBatch, context)`: a FileMiniBatch (absolute file
 * paths) or a TabularMiniBatch (row records, with `columns` and `source` attached to the array; one
 * item is one row, so `run()` returning one entry per row counts every row as succeeded). The shapes
 * are the entry-script contract's (./entry-script-contract.ts).
 */
import type { RunMessage, TableBatch } from '../protocol.js';
import type { FileMiniBatch, JsonValue, MiniBatch, TableRow, TabularMiniBatch } from './entry-script-contract.js';

/** The run() argument and its item count for one `run` message. */
export function miniBatchOf(message: RunMessage): { readonly items: MiniBatch; readonly total: number } {
  if (message.table !== undefined) {
    const records = tableRecords(message.table);
    return { items: records, total: records.length };
  }
  const files: FileMiniBatch = message.files === undefined ? [] : [...message.files];
  return { items: files, total: files.length };
}

/** Rows-as-arrays → records keyed by column name, with `columns` and `source` attached. */
export function tableRecords(table: TableBatch): TabularMiniBatch {
  const { columns } = table;
  const records = table.rows.map((row) => {
    const record: TableRow = {};
    // The batch was decoded from a JSON frame, so its cells are JSON values.
    for (let i = 0; i < columns.length; i++) record[columns[i] as string] = (row[i] ?? null) as JsonValue;
    return record;
  });
  return Object.assign(records, { columns, source: table.source });
}
