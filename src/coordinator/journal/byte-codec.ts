/**
 * A tiny little-endian writer and reader for journal payloads: numbers, strings and raw byte blocks, in
 * the order written. Records are read back only by the code version that wrote them or a later one, so
 * the layout is positional; the record type says which layout follows.
 */

/** Appends values to a growing buffer. */
export class ByteWriter {
  private buffer: Buffer;
  private length = 0;

  constructor(initialBytes = 64) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  u8(value: number): this {
    this.reserve(1);
    this.buffer[this.length++] = value;
    return this;
  }

  u32(value: number): this {
    this.reserve(4);
    this.buffer.writeUInt32LE(value >>> 0, this.length);
    this.length += 4;
    return this;
  }

  /** Any JS number (tokens, times, counts up to 2^53) exactly. */
  f64(value: number): this {
    this.reserve(8);
    this.buffer.writeDoubleLE(value, this.length);
    this.length += 8;
    return this;
  }

  string(value: string): this {
    const byteLength = Buffer.byteLength(value);
    this.u32(byteLength);
    this.reserve(byteLength);
    this.length += this.buffer.write(value, this.length, 'utf8');
    return this;
  }

  /** A length-prefixed block of bytes (typed arrays are written as their bytes, little-endian here). */
  bytes(value: Uint8Array | Uint32Array): this {
    const view = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    this.u32(view.length);
    this.reserve(view.length);
    view.copy(this.buffer, this.length);
    this.length += view.length;
    return this;
  }

  /** The bytes written (a view: do not write after taking it). */
  finish(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}

/** Reads values back in the order a ByteWriter wrote them; throws RangeError past the end. */
export class ByteReader {
  private offset = 0;
  private readonly buffer: Buffer;

  constructor(bytes: Uint8Array) {
    this.buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  u8(): number {
    return this.buffer.readUInt8(this.advance(1));
  }

  u32(): number {
    return this.buffer.readUInt32LE(this.advance(4));
  }

  f64(): number {
    return this.buffer.readDoubleLE(this.advance(8));
  }

  string(): string {
    const byteLength = this.u32();
    const start = this.advance(byteLength);
    return this.buffer.toString('utf8', start, start + byteLength);
  }

  /** A block written by ByteWriter.bytes, copied (so it is aligned and owned). */
  bytes(): Buffer {
    const byteLength = this.u32();
    const start = this.advance(byteLength);
    // Buffer.alloc never hands out a slice of the shared pool: offset 0, so typed arrays can view it.
    const copy = Buffer.alloc(byteLength);
    this.buffer.copy(copy, 0, start, start + byteLength);
    return copy;
  }

  /** A block of u32 values written from a Uint32Array (platform byte order: little-endian everywhere Node runs). */
  u32Array(): Uint32Array {
    const block = this.bytes();
    return new Uint32Array(block.buffer, block.byteOffset, block.byteLength / 4);
  }

  /** The offset of the next byte to read. */
  get position(): number {
    return this.offset;
  }

  /** A copy of bytes `start`..`end` of the payload. */
  slice(start: number, end: number): Buffer {
    return Buffer.from(this.buffer.subarray(start, end));
  }

  /** True when every byte was read. */
  get done(): boolean {
    return this.offset === this.buffer.length;
  }

  private advance(bytes: number): number {
    if (this.offset + bytes > this.buffer.length)
      throw new RangeError(
        `journal payload ends early (wanted ${bytes} bytes at ${this.offset} of ${this.buffer.length})`,
      );
    const start = this.offset;
    this.offset += bytes;
    return start;
  }
}
