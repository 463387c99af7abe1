/**
 * Cuts a parquet file into mini-batch ranges of whole row groups (by compressed bytes or by rows).
 * Only the footer is read. A file with one row group is one mini-batch.
 */
import type { CountedByteRange } from '../mltable/model.js';
import type { TabularBatchSize } from './cut-table.js';
import { readParquetMetadata, rowGroupSpans } from './parquet-row-groups.js';

/**
 * Yields ranges of consecutive row groups of `file`, each reaching at least `size` (bytes of column
 * chunks, or rows) unless it is the last; each range carries its row count.
 */
export async function* cutParquet(file: string, size: TabularBatchSize): AsyncGenerator<CountedByteRange> {
  const { metadata } = await readParquetMetadata(file);
  let current: { start: number; end: number; rows: number } | undefined;
  for (const group of rowGroupSpans(metadata)) {
    if (group.rows === 0) continue;
    current = current
      ? { start: current.start, end: group.end, rows: current.rows + group.rows }
      : { start: group.start, end: group.end, rows: group.rows };
    const reached = size.unit === 'rows' ? current.rows >= size.value : current.end - current.start >= size.value;
    if (reached) {
      yield { path: file, ...current };
      current = undefined;
    }
  }
  if (current) yield { path: file, ...current };
}
