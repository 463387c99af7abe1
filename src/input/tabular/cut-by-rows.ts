/**
 * Cuts one delimited or JSON-lines file into byte ranges of `rowsPerMiniBatch` rows each (the last may
 * hold fewer): parajob's `mini_batch_size: "<n> rows"`. It visits every record boundary (one indexOf
 * per newline) but never loads the file.
 *
 * Two faces over one cutter: {@link cutByRows} yields range objects (convenient, for tests and small
 * cuts); {@link cutByRowsInto} hands each range to a callback as three numbers and allocates nothing
 * per range, for the coordinator's cut of a big table ("1 rows" over a million-row file would
 * otherwise make a million objects, most of them held at once per 4 MiB chunk read).
 */
import type { CountedByteRange, TabularReader } from '../mltable/model.js';
import type { ByteWindow } from './cut-by-bytes.js';
import { RecordCursor } from './record-cursor.js';

/** Receives one range: `[start, end)` of the file being cut, holding `rows` rows. */
export type RowRangeSink = (start: number, end: number, rows: number) => void;

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
  const cutter = await RowCutter.open(file, rowsPerMiniBatch, reader, window);
  try {
    const ready: CountedByteRange[] = [];
    const collect: RowRangeSink = (start, end, rows) => ready.push({ path: file, start, end, rows });
    let more = true;
    while (more) {
      more = await cutter.nextChunk(collect);
      yield* ready.splice(0);
    }
  } finally {
    await cutter.close();
  }
}

/**
 * The same cut as {@link cutByRows}, each range handed to `emit` in order as it is found (no object
 * per range). Resolves when the file is cut.
 */
export async function cutByRowsInto(
  file: string,
  rowsPerMiniBatch: number,
  reader: TabularReader,
  emit: RowRangeSink,
  window?: ByteWindow,
): Promise<void> {
  const cutter = await RowCutter.open(file, rowsPerMiniBatch, reader, window);
  try {
    while (await cutter.nextChunk(emit));
  } finally {
    await cutter.close();
  }
}

/** The cut of one file, one chunk of the file per step. */
class RowCutter {
  private rows = 0;
  private lastRowEnd: number;
  private done = false;

  private constructor(
    private readonly cursor: RecordCursor,
    private readonly rowsPerMiniBatch: number,
    /** Where the cut stops (window end or file size). */
    private readonly end: number,
    /** Start of the range being filled. */
    private start: number,
  ) {
    this.lastRowEnd = start;
  }

  static async open(
    file: string,
    rowsPerMiniBatch: number,
    reader: TabularReader,
    window: ByteWindow | undefined,
  ): Promise<RowCutter> {
    if (!(rowsPerMiniBatch >= 1) || !Number.isSafeInteger(rowsPerMiniBatch)) {
      throw new RangeError(`rowsPerMiniBatch must be a whole number ≥ 1, got ${rowsPerMiniBatch}`);
    }
    const { cursor, dataStart } = await RecordCursor.open(file, reader);
    try {
      const end = Math.min(window?.end ?? cursor.size, cursor.size);
      const start = await cursor.boundaryAtOrAfter(Math.max(window?.start ?? dataStart, dataStart));
      return new RowCutter(cursor, rowsPerMiniBatch, end, start);
    } catch (error) {
      await cursor.close();
      throw error;
    }
  }

  /**
   * Cuts the records of the next chunk of the file, handing each full range to `emit` (and, at the
   * end, the last partial one). Returns false once the file is cut.
   */
  async nextChunk(emit: RowRangeSink): Promise<boolean> {
    if (this.done) return false;
    const more = await this.cursor.visitRecords((recordStart, recordEnd, blank) => {
      if (recordStart >= this.end) return false;
      if (blank) return true;
      this.rows += 1;
      this.lastRowEnd = recordEnd;
      if (this.rows === this.rowsPerMiniBatch) {
        emit(this.start, recordEnd, this.rows);
        this.start = recordEnd;
        this.rows = 0;
      }
      return true;
    });
    if (more) return true;
    this.done = true;
    if (this.rows > 0) emit(this.start, this.lastRowEnd, this.rows);
    return false;
  }

  close(): Promise<void> {
    return this.cursor.close();
  }
}
