/**
 * Compact storage for the byte ranges of a tabular partition: a job can have millions of mini-batches,
 * so ranges live in growable typed arrays (file index, start, end: 20 bytes a range) instead of one
 * object each, and the file paths are held once in the partition's file list.
 */

/** A growable list of unsigned 32-bit integers (doubling capacity). */
export class Uint32List {
  private items: Uint32Array;
  private size = 0;

  constructor(initialCapacity = 1024) {
    this.items = new Uint32Array(Math.max(1, initialCapacity));
  }

  get length(): number {
    return this.size;
  }

  /** Appends `value` (0 ≤ value < 2^32; larger values are clamped). */
  push(value: number): void {
    if (this.size === this.items.length) this.items = grow(this.items, Uint32Array);
    this.items[this.size++] = Math.min(value, 0xffffffff);
  }

  at(index: number): number {
    return this.items[index] ?? 0;
  }

  /** The values as a typed array of exactly `length` items (a copy; the list can be dropped). */
  toArray(): Uint32Array {
    return this.items.slice(0, this.size);
  }
}

/** Byte ranges `[start, end)` of files known by index, appended in order. */
export class RangeTable {
  private fileIndexes: Uint32Array;
  private starts: Float64Array;
  private ends: Float64Array;
  private size = 0;

  constructor(initialCapacity = 1024) {
    const capacity = Math.max(1, initialCapacity);
    this.fileIndexes = new Uint32Array(capacity);
    // Float64: byte offsets of files over 4 GiB are exact up to 2^53.
    this.starts = new Float64Array(capacity);
    this.ends = new Float64Array(capacity);
  }

  /** Ranges held. */
  get length(): number {
    return this.size;
  }

  /** Appends the range `[start, end)` of file `fileIndex`. */
  push(fileIndex: number, start: number, end: number): void {
    if (this.size === this.fileIndexes.length) {
      this.fileIndexes = grow(this.fileIndexes, Uint32Array);
      this.starts = grow(this.starts, Float64Array);
      this.ends = grow(this.ends, Float64Array);
    }
    this.fileIndexes[this.size] = fileIndex;
    this.starts[this.size] = start;
    this.ends[this.size] = end;
    this.size += 1;
  }

  fileIndex(index: number): number {
    return this.fileIndexes[index] ?? 0;
  }

  start(index: number): number {
    return this.starts[index] ?? 0;
  }

  end(index: number): number {
    return this.ends[index] ?? 0;
  }

  /** Releases the unused capacity (call once the cut is complete). */
  trim(): void {
    this.fileIndexes = this.fileIndexes.slice(0, this.size);
    this.starts = this.starts.slice(0, this.size);
    this.ends = this.ends.slice(0, this.size);
  }

  /** Bytes held by the arrays (for logs). */
  get byteLength(): number {
    return this.fileIndexes.byteLength + this.starts.byteLength + this.ends.byteLength;
  }
}

type TypedArrayOf<T> = { new (length: number): T };

function grow<T extends Uint32Array | Float64Array>(array: T, Type: TypedArrayOf<T>): T {
  const bigger = new Type(array.length * 2);
  bigger.set(array);
  return bigger;
}
