/**
 * Cuts a whole tabular MLTable into mini-batch ranges, file after file, applying the table-level
 * `take`/`skip` transformations: they count rows over the whole table (in file order), so the cutter
 * first locates the byte offsets of the first and last kept rows (scanning rows only as far as it
 * must) and then cuts inside that window. The reader never sees take/skip.
 */
import { InputError } from '../../errors.js';
import type { ByteRange, CountedByteRange, TableTransform, TabularMLTable, TabularReader } from '../mltable/model.js';
import { type ByteWindow, cutByBytes } from './cut-by-bytes.js';
import { cutByRows, cutByRowsInto } from './cut-by-rows.js';
import { cutParquet } from './cut-parquet.js';
import { RecordCursor } from './record-cursor.js';

/** How big a mini-batch is: approximate bytes, or exact rows. */
export type TabularBatchSize =
  { readonly unit: 'bytes'; readonly value: number } | { readonly unit: 'rows'; readonly value: number };

/** Rows kept by take/skip: `[first, end)` in table row numbers (0-based). */
export interface RowWindow {
  readonly first: number;
  /** Exclusive; Infinity when there is no `take`. */
  readonly end: number;
}

/** Folds the take/skip transformations, in MLTable order, into one window of kept rows. */
export function rowWindowOf(transforms: readonly TableTransform[]): RowWindow {
  let first = 0;
  let end = Number.POSITIVE_INFINITY;
  for (const transform of transforms) {
    if (transform.kind === 'take') end = Math.min(end, first + transform.count);
    else if (transform.kind === 'skip') first = Math.min(first + transform.count, end);
  }
  return { first, end };
}

/**
 * Yields every mini-batch range of the table, in file order (files in the MLTable's sorted order).
 * For `rows` sizes (and parquet), each range carries its row count. Parquet files are cut into runs of
 * whole row groups (cut-parquet.ts); take/skip with parquet is refused.
 */
export async function* cutTable(
  table: TabularMLTable,
  size: TabularBatchSize,
): AsyncGenerator<ByteRange | CountedByteRange> {
  for await (const { file, window } of fileWindows(table)) yield* cutFile(table, file, size, window);
}

/**
 * Receives one range of the table: `[start, end)` of `table.files[fileIndex]`, with its row count
 * when the cut knows it (rows sizes, parquet), else undefined.
 */
export type TableRangeSink = (fileIndex: number, start: number, end: number, rows: number | undefined) => void;

/**
 * The same ranges as {@link cutTable}, in the same order, handed to `emit`: a rows cut of a delimited
 * or JSON-lines file makes no object per range (cut-by-rows.ts cutByRowsInto), so cutting a table
 * into millions of mini-batches costs only what the caller stores.
 */
export async function cutTableInto(table: TabularMLTable, size: TabularBatchSize, emit: TableRangeSink): Promise<void> {
  const reader = table.reader;
  for await (const { file, fileIndex, window } of fileWindows(table)) {
    if (size.unit === 'rows' && reader.format !== 'parquet') {
      await cutByRowsInto(file, size.value, reader, (start, end, rows) => emit(fileIndex, start, end, rows), window);
      continue;
    }
    for await (const range of cutFile(table, file, size, window))
      emit(fileIndex, range.start, range.end, 'rows' in range ? range.rows : undefined);
  }
}

/** One file's ranges (see cutTable). */
function cutFile(
  table: TabularMLTable,
  file: string,
  size: TabularBatchSize,
  window: ByteWindow | undefined,
): AsyncGenerator<ByteRange | CountedByteRange> {
  const reader = table.reader;
  if (reader.format === 'parquet') return cutParquet(file, size);
  return size.unit === 'bytes'
    ? cutByBytes(file, size.value, reader, window)
    : cutByRows(file, size.value, reader, window);
}

/**
 * The files to cut, in order, each with the byte window take/skip keep of it (undefined: all of it).
 * Files before `skip` ends are scanned for their rows only as far as needed; files after `take` ends
 * are not visited at all.
 */
async function* fileWindows(
  table: TabularMLTable,
): AsyncGenerator<{ file: string; fileIndex: number; window: ByteWindow | undefined }> {
  const rows = rowWindowOf(table.transforms);
  const files = table.files;
  if (table.reader.format === 'parquet') {
    if (rows.first !== 0 || rows.end !== Number.POSITIVE_INFINITY) {
      throw new InputError(
        `${table.source}: take/skip are not supported with read_parquet (parquet mini-batches are whole row groups)`,
      );
    }
    for (let fileIndex = 0; fileIndex < files.length; fileIndex++)
      yield { file: files[fileIndex] as string, fileIndex, window: undefined };
    return;
  }
  const reader = table.reader;
  let tableRow = 0;
  for (let fileIndex = 0; fileIndex < files.length; fileIndex++) {
    const file = files[fileIndex] as string;
    // No skip left and no take: the rest of the table is kept whole.
    if (tableRow >= rows.first && rows.end === Number.POSITIVE_INFINITY) {
      yield { file, fileIndex, window: undefined };
      continue;
    }
    if (tableRow >= rows.end) return;
    const located = await locateRowWindow(file, reader, rows.first - tableRow, rows.end - tableRow);
    tableRow += located.rowsSeen;
    if (located.window) yield { file, fileIndex, window: located.window };
  }
}

/**
 * Byte offsets of file rows `[firstRow, endRow)` (row numbers relative to this file, possibly
 * negative or past its end). `rowsSeen` is how many rows the file has, as far as it was scanned: all of
 * them unless the window ended inside the file.
 */
async function locateRowWindow(
  file: string,
  reader: TabularReader,
  firstRow: number,
  endRow: number,
): Promise<{ window: ByteWindow | undefined; rowsSeen: number }> {
  const { cursor, dataStart } = await RecordCursor.open(file, reader);
  try {
    let row = 0;
    let start = firstRow <= 0 ? dataStart : undefined;
    let end: number | undefined;
    for (let record = await cursor.nextRecord(); record; record = await cursor.nextRecord()) {
      if (record.blank) continue;
      if (row === firstRow) start = record.start;
      row += 1;
      if (row === endRow) {
        end = record.end;
        break;
      }
      // Without a take, once the start is known the rest of the file is kept: no need to count it.
      if (start !== undefined && endRow === Number.POSITIVE_INFINITY) {
        return { window: { start, end: cursor.size }, rowsSeen: Number.POSITIVE_INFINITY };
      }
    }
    if (start === undefined || endRow <= 0) return { window: undefined, rowsSeen: row };
    return { window: { start, end: end ?? cursor.size }, rowsSeen: row };
  } finally {
    await cursor.close();
  }
}
