/**
 * Cuts one delimited or JSON-lines file into byte ranges of `rowsPerMiniBatch` rows each (the last may
 * hold fewer): parajob's `mini_batch_size: "<n> rows"`. It visits every record boundary (one indexOf
 * per newline) but never loads the file.
 */
import type { CountedByteRange, TabularReader } from '../mltable/model.js';
import type { ByteWindow } from './cut-by-bytes.js';
import { RecordCursor } from './record-cursor.js';

/**
 * Yields the ranges of `file` in order, each with its row count. Rows are non-blank records (readers
 * skip empty lines, so blank lines are carried by a range but not counted). Ranges exclude the byte
 * order mark and the header record, never cross files, and an empty or header-only file yields
 * nothing. Trailing blank lines after the last row are not yielded.
 *
 * @param rowsPerMiniBatch Rows per range (≥ 1).
 * @param window Restricts the cut to `[window.start, window.end)` (used for take/skip).
 */
export async function* cutByRows(
  file: string,
  rowsPerMiniBatch: number,
  reader: TabularReader,
  window?: ByteWindow,
): AsyncGenerator<CountedByteRange> {
  if (!(rowsPerMiniBatch >= 1) || !Number.isSafeInteger(rowsPerMiniBatch)) {
    throw new RangeError(`rowsPerMiniBatch must be a whole number ≥ 1, got ${rowsPerMiniBatch}`);
  }
  const { cursor, dataStart } = await RecordCursor.open(file, reader);
  try {
    const end = Math.min(window?.end ?? cursor.size, cursor.size);
    let start = await cursor.boundaryAtOrAfter(Math.max(window?.start ?? dataStart, dataStart));
    let rows = 0;
    let lastRowEnd = start;
    const ready: CountedByteRange[] = [];
    const visit = (recordStart: number, recordEnd: number, blank: boolean): boolean => {
      if (recordStart >= end) return false;
      if (blank) return true;
      rows += 1;
      lastRowEnd = recordEnd;
      if (rows === rowsPerMiniBatch) {
        ready.push({ path: file, start, end: recordEnd, rows });
        start = recordEnd;
        rows = 0;
      }
      return true;
    };
    let more = true;
    while (more) {
      more = await cursor.visitRecords(visit);
      yield* ready.splice(0);
    }
    if (rows > 0) yield { path: file, start, end: lastRowEnd, rows };
  } finally {
    await cursor.close();
  }
}
