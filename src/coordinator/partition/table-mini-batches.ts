/**
 * Mini-batches of a tabular MLTable input: byte ranges of its files, cut at record boundaries by size
 * or by rows (src/input/tabular/cut-table.ts, which streams and never loads a file), or grouped by
 * partition_keys (one mini-batch per key tuple, possibly many ranges each).
 *
 * Storage is compact (see range-table.ts): per mini-batch a row count (4 bytes) and, for size/rows
 * cuts, exactly one range (20 bytes); key partitions add a range offset per mini-batch and a key JSON
 * string per mini-batch (there is one per distinct key, so their number is the user's choice). The
 * cut streams straight into those columns (cutTableInto): no object per mini-batch, ever.
 *
 * Items are rows. A rows cut (and parquet, whose row groups are counted in the footer) knows each
 * mini-batch's rows up front; a size cut does not (counting would mean parsing the whole input), so
 * its row counts are filled in as workers report them ({@link noteRowsRead}) and the total is known
 * once every mini-batch has been read.
 */
import { InputError } from '../../errors.js';
import type { ByteRange, TabularMLTable } from '../../input/mltable/model.js';
import { cutTableInto, type KeyedMiniBatch, type TabularBatchSize } from '../../input/tabular/index.js';
import { type TableSchema, tabularSettingsJson } from '../../input/tabular/tabular-settings.js';
import { DEFAULT_BYTES_PER_MINI_BATCH, type MiniBatchSize } from '../../jobspec/model.js';
import { RangeTable, Uint32List } from './range-table.js';

/** A tabular input cut into mini-batches of byte ranges. */
export interface TableMiniBatches {
  readonly kind: 'tabular';
  /** Absolute path of the MLTable file (for messages). */
  readonly source: string;
  /** The table's files (absolute, sorted); ranges refer to them by index. */
  readonly files: readonly string[];
  /** JobAssignment.tabular_reader_json: the reader, transforms and schema (src/input/tabular/tabular-settings.ts). */
  readonly readerJson: string;
  readonly miniBatchCount: number;
  readonly ranges: RangeTable;
  /**
   * Key partitions: mini-batch i holds ranges `[rangeOffsets[i], rangeOffsets[i + 1])`. Undefined for
   * size/rows cuts, where range i is mini-batch i.
   */
  readonly rangeOffsets: Uint32Array | undefined;
  /** Key partitions: the lease's partition_key_json of each mini-batch. */
  readonly partitionKeyJson: readonly string[] | undefined;
  /**
   * Rows per mini-batch: exact from the cut when `rowsKnownAtCut`, else the rows a worker last reported
   * reading (0 until one did).
   */
  readonly rows: Uint32List;
  readonly rowsKnownAtCut: boolean;
  /** Sum of `rows` when `rowsKnownAtCut` (summed once at cut time: progress asks often); else undefined. */
  readonly rowsTotal: number | undefined;
}

/**
 * The cut size of a tabular input from `mini_batch_size`: `"<n> rows"` is rows; a kb/mb/gb size or a
 * plain number is bytes (Azure: for tabular data the number is a size); absent: Azure's 1 MB.
 */
export function tabularBatchSize(size: MiniBatchSize | undefined): TabularBatchSize {
  if (size === undefined) return { unit: 'bytes', value: DEFAULT_BYTES_PER_MINI_BATCH };
  return size.unit === 'rows' ? { unit: 'rows', value: size.value } : { unit: 'bytes', value: size.value };
}

/** `{"reader", "transforms", "schema"}`, what workers read leases with (src/input/tabular/tabular-settings.ts). */
export function tabularReaderJson(table: TabularMLTable, schema?: TableSchema): string {
  return tabularSettingsJson(table.reader, table.transforms, schema);
}

/**
 * Cuts `table` into mini-batches of `size` (bytes or rows), one range each, streaming file by file.
 * @throws InputError from the cutter (unreadable file, parquet footer) or when the table has no rows.
 */
export async function cutTableMiniBatches(
  table: TabularMLTable,
  size: TabularBatchSize,
  schema?: TableSchema,
): Promise<TableMiniBatches> {
  const ranges = new RangeTable();
  const rows = new Uint32List();
  let counted = true;
  let rowsTotal = 0;
  await cutTableInto(table, size, (fileIndex, start, end, rowCount) => {
    ranges.push(fileIndex, start, end);
    if (rowCount === undefined) counted = false;
    rows.push(rowCount ?? 0);
    rowsTotal += rowCount ?? 0;
  });
  ranges.trim();
  rows.trim();
  if (ranges.length === 0)
    throw new InputError(`${table.source}: the table has no rows (every file is empty or holds only a header)`);
  return {
    kind: 'tabular',
    source: table.source,
    files: table.files,
    readerJson: tabularReaderJson(table, schema),
    miniBatchCount: ranges.length,
    ranges,
    rangeOffsets: undefined,
    partitionKeyJson: undefined,
    // Not counted: every count is 0 already (pushed as 0), to be filled in as workers read them.
    rows,
    rowsKnownAtCut: counted,
    rowsTotal: counted ? rowsTotal : undefined,
  };
}

/** One mini-batch per key tuple of `partitionByKeys` (rows counted by the workers). */
export function keyedTableMiniBatches(
  table: TabularMLTable,
  keyed: readonly KeyedMiniBatch[],
  schema?: TableSchema,
): TableMiniBatches {
  if (keyed.length === 0) throw new InputError(`${table.source}: the table has no rows to partition by key`);
  const fileIndex = new Map(table.files.map((file, index) => [file, index]));
  const ranges = new RangeTable(Math.max(16, keyed.length));
  const offsets = new Uint32Array(keyed.length + 1);
  const keys: string[] = [];
  keyed.forEach((batch, i) => {
    offsets[i] = ranges.length;
    for (const range of batch.ranges) ranges.push(indexOf(fileIndex, range.path), range.start, range.end);
    keys.push(JSON.stringify(batch.partitionKeyValue));
  });
  offsets[keyed.length] = ranges.length;
  ranges.trim();
  return {
    kind: 'tabular',
    source: table.source,
    files: table.files,
    readerJson: tabularReaderJson(table, schema),
    miniBatchCount: keyed.length,
    ranges,
    rangeOffsets: offsets,
    partitionKeyJson: keys,
    rows: Uint32List.zeros(keyed.length),
    rowsKnownAtCut: false,
    rowsTotal: undefined,
  };
}

/** The byte ranges of mini-batch `id` (what its Lease carries). O(ranges of the mini-batch). */
export function rangesOf(batches: TableMiniBatches, id: number): ByteRange[] {
  const first = batches.rangeOffsets === undefined ? id : (batches.rangeOffsets[id] ?? 0);
  const end = batches.rangeOffsets === undefined ? id + 1 : (batches.rangeOffsets[id + 1] ?? first);
  const out: ByteRange[] = [];
  for (let i = first; i < end; i++) {
    out.push({
      path: batches.files[batches.ranges.fileIndex(i)] as string,
      start: batches.ranges.start(i),
      end: batches.ranges.end(i),
    });
  }
  return out;
}

/** Rows of mini-batch `id`: exact when known at cut time, else as last reported (0 = not read yet). */
export function rowCountOf(batches: TableMiniBatches, id: number): number {
  return batches.rows.at(id);
}

/** Rows in mini-batch `id` when known at cut time (the Lease's item_count); 0 when the worker counts them. */
export function leaseRowCountOf(batches: TableMiniBatches, id: number): number {
  return batches.rowsKnownAtCut ? rowCountOf(batches, id) : 0;
}

/**
 * Records that an attempt of mini-batch `id` read `rows` rows (a worker's result total). Only for
 * counts not known at cut time; a later attempt's count replaces an earlier one (the data is the same).
 */
export function noteRowsRead(batches: TableMiniBatches, id: number, rows: number): void {
  if (batches.rowsKnownAtCut || !(rows > 0) || id < 0 || id >= batches.miniBatchCount) return;
  batches.rows.set(id, rows);
}

/** Total rows when known at cut time; undefined otherwise (counted as mini-batches are read). */
export function tableRowsTotal(batches: TableMiniBatches): number | undefined {
  return batches.rowsTotal;
}

function indexOf(fileIndex: ReadonlyMap<string, number>, path: string): number {
  const index = fileIndex.get(path);
  if (index === undefined) throw new Error(`the cutter produced a range of ${path}, which is not a file of the table`);
  return index;
}
