/**
 * A cheap check of a tabular MLTable's read settings against its data before any mini-batch runs:
 * the first rows of the table are read exactly as a node would read them (header, encoding, JSON,
 * transformations). A wrong encoding, a header mode that does not fit, a JSON line that does not
 * parse or a keep_columns naming a missing column then fail the job (or `parajob run`) at once, with
 * the file named, instead of failing every mini-batch on the nodes.
 *
 * Only the first {@link PROBE_ROWS} rows are read, so bad data further in is found by the nodes (the
 * mini-batch fails with the same message).
 */
import type { TabularMLTable } from '../mltable/model.js';
import { cutTable } from './cut-table.js';
import { decideTableSchema, readTableBatch } from './read-table-batch.js';
import type { TableSchema } from './tabular-settings.js';

/** Rows read by the probe: the type-inference sample, so inference is checked on what it will see. */
export const PROBE_ROWS = 200;

/**
 * Reads the table's first rows (after take/skip) and decides the table's schema from them (the
 * column types every mini-batch is read with). Parquet is not probed: its footer was read when it
 * was cut, and reading a row group may be large; its columns are typed by the file.
 * @throws InputError naming the file, as readTableBatch does.
 */
export async function probeTable(table: TabularMLTable): Promise<TableSchema> {
  if (table.reader.format === 'parquet') return { inferredTypes: {} };
  for await (const range of cutTable(table, { unit: 'rows', value: PROBE_ROWS })) {
    // The first range is enough; leaving the loop closes the cutter's file.
    const schema = await decideTableSchema([range], table.reader, table.transforms);
    await readTableBatch([range], table.reader, table.transforms, undefined, schema);
    return schema;
  }
  return { inferredTypes: {} };
}
