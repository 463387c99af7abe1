/**
 * The value handed to the entry script's `run(miniBatch, context)`: a FileMiniBatch (absolute file
 * paths) or a TabularMiniBatch (row records, with `columns` and `source` attached to the array; one
 * item is one row, so `run()` returning one entry per row counts every row as succeeded). The shapes
 * are the entry-script contract's (./entry-script-contract.ts).
 *
 * A tabular `run` carries byte ranges: the worker reads them itself with src/input's reader, the same
 * code (and so the same columns, types, nulls and errors) the probe checked the table with. That
 * reader (csv-parse, hyparquet) is imported on the first tabular mini-batch, never by a file job.
 */
import type { RunMessage, TableBatch } from '../protocol.js';
import type { FileMiniBatch, JsonValue, MiniBatch, TableRow, TabularMiniBatch } from './entry-script-contract.js';

/**
 * The run() argument and its item count for one `run` message, reading a tabular one's byte ranges
 * with `tabularReader` (the `init` frame's). Rejects with the reader's InputError for bad data.
 */
export async function loadMiniBatch(
  message: RunMessage,
  tabularReader: unknown,
): Promise<{ readonly items: MiniBatch; readonly total: number }> {
  if (message.ranges === undefined) return miniBatchOf(message);
  const [{ tabularSettingsOf }, { readTableBatch }] = await Promise.all([
    import('../../input/tabular/tabular-settings.js'),
    import('../../input/tabular/read-table-batch.js'),
  ]);
  const { reader, transforms, schema } = tabularSettingsOf(tabularReader);
  const table = await readTableBatch(message.ranges, reader, transforms, message.partitionKeyValue, schema);
  const records = tableRecords(table);
  return { items: records, total: records.length };
}

/** The run() argument and its item count for a `run` message that holds its items (files or rows). */
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
