/**
 * Cuts one delimited or JSON-lines file into byte ranges of about `bytesPerMiniBatch`, each ending at a
 * record boundary: the coordinator's "by size" partitioning for tabular input. It never loads the
 * file: without `support_multi_line` it reads only a few bytes around each cut point; with it, it
 * streams the file once in large chunks to track quotes (see quote-tracker.ts).
 */
import type { ByteRange, TabularReader } from '../mltable/model.js';
import { RecordCursor } from './record-cursor.js';

/** Optional limits of the cut, in file offsets (take/skip): ranges start at ≥ `start` and end by `end`. */
export interface ByteWindow {
  /** A record boundary at or after the data start. */
  readonly start: number;
  /** A record boundary (or the file size). */
  readonly end: number;
}

/**
 * Yields the ranges of `file` in order. Every range is `[start, end)` with `end` just after a record's
 * newline (or at the end of the file); ranges are contiguous, cover all the data and exclude the byte
 * order mark and, per the header mode, the header record. A range is at least `bytesPerMiniBatch`
 * bytes unless it is the last one: a record longer than that makes a longer range. An empty or
 * header-only file yields nothing. A mini-batch never crosses files.
 *
 * @param bytesPerMiniBatch Target size in bytes (≥ 1).
 * @param window Restricts the cut to `[window.start, window.end)` (used for take/skip).
 */
export async function* cutByBytes(
  file: string,
  bytesPerMiniBatch: number,
  reader: TabularReader,
  window?: ByteWindow,
): AsyncGenerator<ByteRange> {
  if (!(bytesPerMiniBatch >= 1)) throw new RangeError(`bytesPerMiniBatch must be ≥ 1, got ${bytesPerMiniBatch}`);
  const { cursor, dataStart } = await RecordCursor.open(file, reader);
  try {
    const end = Math.min(window?.end ?? cursor.size, cursor.size);
    let start = await cursor.boundaryAtOrAfter(Math.max(window?.start ?? dataStart, dataStart));
    while (start < end) {
      const target = start + bytesPerMiniBatch;
      const cut = target >= end ? end : Math.min(await cursor.boundaryAtOrAfter(target), end);
      yield { path: file, start, end: cut };
      start = cut;
    }
  } finally {
    await cursor.close();
  }
}
