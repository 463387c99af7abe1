/**
 * A forward-only cursor over the records of one delimited or JSON-lines file, reading it in large
 * chunks (never the whole file). It knows where the data starts (after a UTF-8 byte order mark and,
 * per the header mode, the header record) and finds record boundaries with a QuoteTracker.
 */
import { type FileHandle, open } from 'node:fs/promises';

import { InputError } from '../../errors.js';
import type { TabularReader } from '../mltable/model.js';
import { CARRIAGE_RETURN, NEWLINE, QuoteTracker } from './quote-tracker.js';

/** Bytes read per disk read. Large, so that indexOf runs over long stretches. */
const CHUNK_BYTES = 4 * 1024 * 1024;
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** One record's place in the file: `[start, end)`, `end` just after its newline (or the end of file). */
export interface RecordSpan {
  readonly start: number;
  readonly end: number;
  /** True for an empty line (`\n` or `\r\n`): readers skip those, so they count as no row. */
  readonly blank: boolean;
}

/** True when the file's own first record is a header (not data) under `reader`. */
export function fileHasHeader(reader: TabularReader, file: string): boolean {
  if (reader.format !== 'delimited') return false;
  switch (reader.header) {
    case 'no_header':
      return false;
    case 'from_first_file':
      return file === reader.headerFile;
    default:
      return true;
  }
}

export class RecordCursor {
  private readonly buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  /** File offset of buffer[0]. */
  private bufferStart = 0;
  /** Valid bytes in the buffer. */
  private bufferLength = 0;
  /** Everything before this offset has been fed to the tracker. */
  private position = 0;
  /** The byte just before buffer[0] (for the blank test of a short record straddling two chunks). */
  private byteBeforeBuffer = NEWLINE;

  private constructor(
    readonly file: string,
    private readonly handle: FileHandle,
    /** File size in bytes. */
    readonly size: number,
    private readonly tracker: QuoteTracker,
  ) {}

  /**
   * Opens `file` and moves to its first data byte: past a UTF-8 BOM (utf8/utf8bom encodings) and past
   * the header record when the file has one. `header` holds the header record's span, if any. Close
   * the cursor when done.
   */
  static async open(
    file: string,
    reader: TabularReader,
  ): Promise<{ cursor: RecordCursor; header: RecordSpan | undefined; dataStart: number }> {
    if (reader.format === 'parquet')
      throw new TypeError('RecordCursor reads delimited and JSON-lines files, not parquet');
    let handle: FileHandle;
    try {
      handle = await open(file, 'r');
    } catch (error) {
      throw new InputError(`${file}: cannot open the data file: ${(error as Error).message}`);
    }
    const size = (await handle.stat()).size;
    const quoting = reader.format === 'delimited' && reader.supportMultiLine;
    const delimiterByte = reader.format === 'delimited' ? reader.delimiter.charCodeAt(0) : 0x2c;
    const cursor = new RecordCursor(file, handle, size, new QuoteTracker(quoting, delimiterByte));
    try {
      if (reader.encoding === 'utf8' || reader.encoding === 'utf8bom') await cursor.skipByteOrderMark();
      let header: RecordSpan | undefined;
      if (fileHasHeader(reader, file)) {
        // The header is the first non-blank record, as csv-parse (skip_empty_lines) would see it.
        do header = await cursor.nextRecord();
        while (header?.blank);
      }
      return { cursor, header, dataStart: cursor.position };
    } catch (error) {
      await cursor.close();
      throw error;
    }
  }

  /** The current offset: the start of the next record. */
  get offset(): number {
    return this.position;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  /**
   * The next record from the current offset, or undefined at the end of the file. The last record may
   * lack a newline (then it ends at the end of the file).
   */
  async nextRecord(): Promise<RecordSpan | undefined> {
    if (this.position >= this.size) return undefined;
    const start = this.position;
    const end = await this.boundaryFrom(start);
    return { start, end, blank: await this.isBlank(start, end) };
  }

  /**
   * Visits the records from the current offset to the end of the currently loaded chunk (loading one
   * when needed) without an await per record: the fast path for walking every record. `visit` gets
   * each record's span; returning false stops there (the cursor is then just after that record).
   * Returns false once the end of the file is reached (or `visit` stopped), true when more remain.
   */
  async visitRecords(visit: (start: number, end: number, blank: boolean) => boolean): Promise<boolean> {
    if (this.position >= this.size) return false;
    await this.load(this.position);
    const base = this.bufferStart;
    const length = this.bufferLength;
    let start = this.pendingRecordStart ?? this.position;
    let index = this.position - base;
    while (index < length) {
      const found = this.tracker.nextBoundary(this.buffer, index, length);
      if (found === -1) break;
      const end = base + found;
      this.position = end;
      this.pendingRecordStart = undefined;
      if (!visit(start, end, this.blankInBuffer(start, end))) return false;
      start = end;
      index = found;
    }
    this.position = base + length;
    if (this.position < this.size) {
      // The record goes on in the next chunk.
      this.pendingRecordStart = start;
      return true;
    }
    this.pendingRecordStart = undefined;
    if (start < this.size) visit(start, this.size, this.blankInBuffer(start, this.size));
    return false;
  }

  /** Start of a record that began in an earlier chunk, while visitRecords walks it. */
  private pendingRecordStart: number | undefined;

  /** The blank test for a record whose bytes (but perhaps its first) are in the buffer. */
  private blankInBuffer(start: number, end: number): boolean {
    const length = end - start;
    if (length > 2) return false;
    const byteAt = (offset: number) =>
      offset >= this.bufferStart ? this.buffer[offset - this.bufferStart] : this.byteBeforeBuffer;
    const first = byteAt(start);
    if (first === NEWLINE) return true;
    return first === CARRIAGE_RETURN && (length === 1 || byteAt(start + 1) === NEWLINE);
  }

  /**
   * The first record boundary at or after `target` (an offset just after a record-ending newline, or
   * the file size), moving the cursor there. With quoting, every byte up to it is fed to the tracker;
   * without, the bytes in between are skipped unread.
   */
  async boundaryAtOrAfter(target: number): Promise<number> {
    if (target <= this.position) return this.position;
    if (target >= this.size) return this.moveToEnd();
    // A boundary at `target` means a newline at target - 1.
    const from = target - 1;
    if (this.tracker.quoting) await this.feedUpTo(from);
    else this.position = from;
    return this.boundaryFrom(this.position);
  }

  /** Feeds all bytes up to `offset` (quoting) so the tracker's state is that of `offset`. */
  private async feedUpTo(offset: number): Promise<void> {
    while (this.position < offset) {
      await this.load(this.position);
      const end = Math.min(offset, this.bufferStart + this.bufferLength);
      this.tracker.advance(this.buffer, this.position - this.bufferStart, end - this.bufferStart);
      this.position = end;
    }
  }

  private async boundaryFrom(from: number): Promise<number> {
    this.position = from;
    while (this.position < this.size) {
      await this.load(this.position);
      const chunkEnd = this.bufferStart + this.bufferLength;
      const found = this.tracker.nextBoundary(this.buffer, this.position - this.bufferStart, this.bufferLength);
      if (found !== -1) {
        this.position = this.bufferStart + found;
        return this.position;
      }
      this.position = chunkEnd;
    }
    return this.position;
  }

  private async moveToEnd(): Promise<number> {
    if (this.tracker.quoting) await this.feedUpTo(this.size);
    this.position = this.size;
    return this.size;
  }

  private async isBlank(start: number, end: number): Promise<boolean> {
    const length = end - start;
    if (length > 2) return false;
    if (length === 0) return true;
    const bytes = await this.bytesAt(start, length);
    if (bytes[0] === NEWLINE) return true;
    return bytes[0] === CARRIAGE_RETURN && (length === 1 || bytes[1] === NEWLINE);
  }

  /** A few bytes at `offset` (from the buffer when there, else a small read). */
  private async bytesAt(offset: number, length: number): Promise<Buffer> {
    if (offset >= this.bufferStart && offset + length <= this.bufferStart + this.bufferLength) {
      return this.buffer.subarray(offset - this.bufferStart, offset - this.bufferStart + length);
    }
    const small = Buffer.alloc(length);
    await this.handle.read(small, 0, length, offset);
    return small;
  }

  /** Makes the buffer hold `offset` (reading a new chunk from it when it does not). */
  private async load(offset: number): Promise<void> {
    if (offset >= this.bufferStart && offset < this.bufferStart + this.bufferLength) return;
    // Remember the byte before the new chunk when the chunks are consecutive (visitRecords needs it).
    this.byteBeforeBuffer =
      offset === this.bufferStart + this.bufferLength && this.bufferLength > 0
        ? this.buffer[this.bufferLength - 1]!
        : NEWLINE;
    const { bytesRead } = await this.handle.read(this.buffer, 0, CHUNK_BYTES, offset);
    this.bufferStart = offset;
    this.bufferLength = bytesRead;
    if (bytesRead === 0)
      throw new InputError(`${this.file}: the file shrank while it was being read (at byte ${offset})`);
  }

  private async skipByteOrderMark(): Promise<void> {
    if (this.size < UTF8_BOM.length) return;
    const head = await this.bytesAt(0, UTF8_BOM.length);
    if (head.equals(UTF8_BOM)) this.position = UTF8_BOM.length;
  }
}
