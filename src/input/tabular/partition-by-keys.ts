/**
 * `partition_keys`: one mini-batch per distinct tuple of key values.
 *
 * - Keys that all come from `extract_columns_from_partition_format` need no parsing: a partition is a
 *   set of whole files (their data ranges, after the header), grouped by the values in their paths.
 * - When a key is a data column, every file is read (in chunks of rows, never whole) and each
 *   partition gets the byte ranges of its records, consecutive records of one key merged into one
 *   range. Data sorted or clustered by key gives few ranges; shuffled data gives many small ones.
 *
 * Key values are compared as text (1 and "1" are the same key). Mini-batches come in the order their
 * key first appears (files in sorted order). take/skip cannot be combined with partition_keys.
 */
import { InputError } from '../../errors.js';
import type { ByteRange, MLTable, TableTransform, TabularMLTable } from '../mltable/model.js';
import { cutByRows } from './cut-by-rows.js';
import { rowWindowOf } from './cut-table.js';
import { readParquetMetadata, rowGroupSpans } from './parquet-row-groups.js';
import { compilePartitionFormat, extractPartitionValues } from './partition-format.js';
import { readTableBatch } from './read-table-batch.js';
import { RecordCursor } from './record-cursor.js';

/** One partition_keys mini-batch. */
export interface KeyedMiniBatch {
  /** Key column → value (as read: text from paths, typed values from data). */
  readonly partitionKeyValue: Readonly<Record<string, unknown>>;
  /** File-list MLTable: the partition's files (sorted). Tabular: the files its ranges come from. */
  readonly files: readonly string[];
  /** Tabular MLTable: the byte ranges of the partition's rows (empty for a file list). */
  readonly ranges: readonly ByteRange[];
}

/** Rows read per step when keys are data columns. */
const ROWS_PER_KEY_SCAN = 5000;

/**
 * Groups `table` into one mini-batch per distinct key tuple.
 * @throws InputError when a key is neither a partition-format column nor (for tabular) a data column,
 *   when a file path does not match the partition format, or with take/skip.
 */
export async function partitionByKeys(table: MLTable, keys: readonly string[]): Promise<KeyedMiniBatch[]> {
  if (keys.length === 0) throw new InputError(`${table.source}: partition_keys is empty`);
  const formatColumns = partitionFormatColumns(table.transforms);
  if (keys.every((key) => formatColumns.has(key))) return partitionFilesByPath(table, keys);
  if (table.kind === 'files') {
    const missing = keys.filter((key) => !formatColumns.has(key));
    throw new InputError(
      `${table.source}: partition key(s) ${missing.join(', ')} are not columns of extract_columns_from_partition_format (${[...formatColumns].join(', ') || 'none'}); a file-list MLTable has no other columns`,
    );
  }
  return partitionRowsByData(table, keys);
}

function partitionFormatColumns(transforms: readonly TableTransform[]): Set<string> {
  const columns = new Set<string>();
  for (const transform of transforms) {
    if (transform.kind === 'extract_columns_from_partition_format') {
      for (const column of compilePartitionFormat(transform.format).columns) columns.add(column);
    }
  }
  return columns;
}

function assertNoRowWindow(table: MLTable): void {
  const window = rowWindowOf(table.transforms);
  if (window.first !== 0 || window.end !== Number.POSITIVE_INFINITY) {
    throw new InputError(`${table.source}: take/skip cannot be combined with partition_keys`);
  }
}

/** Text identity of a key tuple (null distinct from "null"). */
function keyId(values: readonly unknown[]): string {
  return JSON.stringify(values.map((value) => (value === null || value === undefined ? null : String(value))));
}

/** Mini-batches grouped in first-appearance order. */
class Groups {
  private readonly byId = new Map<
    string,
    { partitionKeyValue: Record<string, unknown>; files: string[]; ranges: ByteRange[] }
  >();

  add(keys: readonly string[], values: readonly unknown[], file: string, range: ByteRange | undefined): void {
    const id = keyId(values);
    let group = this.byId.get(id);
    if (!group) {
      group = {
        partitionKeyValue: Object.fromEntries(keys.map((key, i) => [key, values[i] ?? null])),
        files: [],
        ranges: [],
      };
      this.byId.set(id, group);
    }
    if (group.files[group.files.length - 1] !== file) group.files.push(file);
    if (!range) return;
    const last = group.ranges[group.ranges.length - 1];
    // Consecutive records of one key become one range.
    if (last && last.path === range.path && last.end === range.start)
      group.ranges[group.ranges.length - 1] = { ...last, end: range.end };
    else group.ranges.push(range);
  }

  result(): KeyedMiniBatch[] {
    return [...this.byId.values()].filter((group) => group.files.length > 0);
  }
}

async function partitionFilesByPath(table: MLTable, keys: readonly string[]): Promise<KeyedMiniBatch[]> {
  assertNoRowWindow(table);
  const extracted = new Map<string, Record<string, string>>(table.files.map((file) => [file, {}]));
  for (const transform of table.transforms) {
    if (transform.kind !== 'extract_columns_from_partition_format') continue;
    const compiled = compilePartitionFormat(transform.format);
    for (const file of table.files)
      Object.assign(extracted.get(file)!, extractPartitionValues(file, transform.baseDir, compiled));
  }
  const groups = new Groups();
  for (const file of table.files) {
    const values = keys.map((key) => extracted.get(file)![key]);
    if (table.kind === 'files') {
      groups.add(keys, values, file, undefined);
      continue;
    }
    const range = await wholeDataRange(table, file);
    if (range) groups.add(keys, values, file, range);
  }
  return groups.result();
}

/** All the data of `file` as one range (after the BOM and header), or undefined when it has none. */
async function wholeDataRange(table: TabularMLTable, file: string): Promise<ByteRange | undefined> {
  if (table.reader.format === 'parquet') {
    const spans = rowGroupSpans((await readParquetMetadata(file)).metadata).filter((span) => span.rows > 0);
    return spans.length === 0 ? undefined : { path: file, start: spans[0]!.start, end: spans[spans.length - 1]!.end };
  }
  const { cursor, dataStart } = await RecordCursor.open(file, table.reader);
  const size = cursor.size;
  await cursor.close();
  return dataStart < size ? { path: file, start: dataStart, end: size } : undefined;
}

async function partitionRowsByData(table: TabularMLTable, keys: readonly string[]): Promise<KeyedMiniBatch[]> {
  assertNoRowWindow(table);
  const reader = table.reader;
  if (reader.format === 'parquet') {
    throw new InputError(
      `${table.source}: partition_keys on parquet data columns is not supported; extract the keys from the path (extract_columns_from_partition_format)`,
    );
  }
  const groups = new Groups();
  for (const file of table.files) {
    const { cursor } = await RecordCursor.open(file, reader);
    try {
      for await (const chunk of cutByRows(file, ROWS_PER_KEY_SCAN, reader)) {
        const batch = await readTableBatch([chunk], reader, table.transforms);
        const keyColumns = keys.map((key) => {
          const index = batch.columns.indexOf(key);
          if (index === -1)
            throw new InputError(
              `${file}: partition key \`${key}\` is not a column; the columns are: ${batch.columns.join(', ')}`,
            );
          return index;
        });
        if (batch.rows.length !== chunk.rows) {
          throw new InputError(
            `${file}: bytes ${chunk.start}–${chunk.end} hold ${chunk.rows} records but ${batch.rows.length} rows were read; cannot map rows to their bytes`,
          );
        }
        // Walk the same records again to learn each row's bytes (the cursor follows the chunks in order).
        await cursor.boundaryAtOrAfter(chunk.start);
        for (const row of batch.rows) {
          let record = await cursor.nextRecord();
          while (record?.blank) record = await cursor.nextRecord();
          if (!record) break;
          groups.add(
            keys,
            keyColumns.map((c) => row[c]),
            file,
            { path: file, start: record.start, end: record.end },
          );
        }
      }
    } finally {
      await cursor.close();
    }
  }
  return groups.result();
}
