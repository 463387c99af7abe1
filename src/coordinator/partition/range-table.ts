/**
 * Compact storage for the byte ranges of a tabular partition: a job can have millions of mini-batches,
 * so ranges live in typed-array columns (file index, start, end: 20 bytes a range) instead of one
 * object each, and the file paths are held once in the partition's file list.
 *
 * Columns are CHUNKED (fixed chunks of {@link CHUNK_LENGTH} values, the first growing by doubling up to
 * that): appending never copies what is already stored, so cutting a million mini-batches never holds
 * the old and the doubled array at once, and trim() copies only the last chunk.
 */

const CHUNK_BITS = 16;
/** Values per full chunk (65,536: 256 KiB of Uint32, 512 KiB of Float64). */
export const CHUNK_LENGTH = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK_LENGTH - 1;

type TypedArrayOf<T> = { new (length: number): T };

/** An append-only column of numbers in chunks of one typed-array type (see the module comment). */
class ChunkedColumn<T extends Uint32Array | Float64Array> {
  private readonly chunks: T[];
  private size = 0;

  constructor(
    private readonly Type: TypedArrayOf<T>,
    initialCapacity: number,
  ) {
    this.chunks = [new Type(Math.min(CHUNK_LENGTH, Math.max(1, initialCapacity)))];
  }

  get length(): number {
    return this.size;
  }

  push(value: number): void {
    const chunkIndex = this.size >>> CHUNK_BITS;
    let chunk = this.chunks[chunkIndex];
    const offset = this.size & CHUNK_MASK;
    if (chunk === undefined) {
      chunk = new this.Type(CHUNK_LENGTH);
      this.chunks.push(chunk);
    } else if (offset === chunk.length) {
      // Only the first chunk can be short (small tables stay small): double it, up to a full chunk.
      const bigger = new this.Type(Math.min(CHUNK_LENGTH, chunk.length * 2));
      bigger.set(chunk);
      this.chunks[chunkIndex] = bigger;
      chunk = bigger;
    }
    chunk[offset] = value;
    this.size += 1;
  }

  /** The value at `index` (0 outside the column). */
  at(index: number): number {
    return this.chunks[index >>> CHUNK_BITS]?.[index & CHUNK_MASK] ?? 0;
  }

  /** Overwrites the value at `index` (ignored outside the column). */
  set(index: number, value: number): void {
    if (index < 0 || index >= this.size) return;
    (this.chunks[index >>> CHUNK_BITS] as T)[index & CHUNK_MASK] = value;
  }

  /** Releases the unused capacity of the last chunk (call once nothing more is appended). */
  trim(): void {
    const last = this.chunks.length - 1;
    const used = this.size - last * CHUNK_LENGTH;
    const chunk = this.chunks[last] as T;
    if (used < chunk.length) this.chunks[last] = chunk.slice(0, Math.max(1, used)) as T;
  }

  get byteLength(): number {
    let bytes = 0;
    for (const chunk of this.chunks) bytes += chunk.byteLength;
    return bytes;
  }
}

/**
 * A list of unsigned 32-bit integers (values ≥ 2^32 are clamped): appended in order, readable and
 * writable by index. Chunked (see the module comment).
 */
export class Uint32List {
  private readonly column: ChunkedColumn<Uint32Array>;

  constructor(initialCapacity = 1024) {
    this.column = new ChunkedColumn(Uint32Array, initialCapacity);
  }

  /** A list of `length` zeros. */
  static zeros(length: number): Uint32List {
    const list = new Uint32List(length);
    for (let i = 0; i < length; i++) list.push(0);
    return list;
  }

  get length(): number {
    return this.column.length;
  }

  /** Appends `value` (0 ≤ value < 2^32; larger values are clamped). */
  push(value: number): void {
    this.column.push(Math.min(value, 0xffffffff));
  }

  /** The value at `index`; 0 outside the list. */
  at(index: number): number {
    return this.column.at(index);
  }

  /** Overwrites the value at `index` (clamped like push); ignored outside the list. */
  set(index: number, value: number): void {
    this.column.set(index, Math.min(value, 0xffffffff));
  }

  /** Releases the unused capacity (call once the list is complete). */
  trim(): void {
    this.column.trim();
  }

  /** Bytes held by the chunks (for logs). */
  get byteLength(): number {
    return this.column.byteLength;
  }
}

/** Byte ranges `[start, end)` of files known by index, appended in order. */
export class RangeTable {
  private readonly fileIndexes: ChunkedColumn<Uint32Array>;
  // Float64: byte offsets of files over 4 GiB are exact up to 2^53.
  private readonly starts: ChunkedColumn<Float64Array>;
  private readonly ends: ChunkedColumn<Float64Array>;

  constructor(initialCapacity = 1024) {
    this.fileIndexes = new ChunkedColumn(Uint32Array, initialCapacity);
    this.starts = new ChunkedColumn(Float64Array, initialCapacity);
    this.ends = new ChunkedColumn(Float64Array, initialCapacity);
  }

  /** Ranges held. */
  get length(): number {
    return this.fileIndexes.length;
  }

  /** Appends the range `[start, end)` of file `fileIndex`. */
  push(fileIndex: number, start: number, end: number): void {
    this.fileIndexes.push(fileIndex);
    this.starts.push(start);
    this.ends.push(end);
  }

  fileIndex(index: number): number {
    return this.fileIndexes.at(index);
  }

  start(index: number): number {
    return this.starts.at(index);
  }

  end(index: number): number {
    return this.ends.at(index);
  }

  /** Releases the unused capacity (call once the cut is complete). */
  trim(): void {
    this.fileIndexes.trim();
    this.starts.trim();
    this.ends.trim();
  }

  /** Bytes held by the columns (for logs). */
  get byteLength(): number {
    return this.fileIndexes.byteLength + this.starts.byteLength + this.ends.byteLength;
  }
}
