/**
 * A long list of paths held as one UTF-8 buffer and one offset table, instead of a JavaScript string
 * per path. A million-file input then costs the coordinator its path bytes plus 4 (or 8) bytes a path,
 * where an array of strings costs a string header (16 bytes), an array slot (8) and padding per path;
 * the paths a lease needs are decoded when it is leased.
 */

/** Paths packed in list order; `at(i)` and `slice()` decode them. Immutable. */
export class PackedPaths {
  private constructor(
    /** The UTF-8 bytes of every path, back to back. */
    private readonly bytes: Buffer,
    /** Path i is `bytes[ends[i - 1] ?? 0, ends[i])`. */
    private readonly ends: Uint32Array | Float64Array,
  ) {}

  /** Packs `paths` (in their order). */
  static from(paths: readonly string[]): PackedPaths {
    // One join and one encoding of the whole list; when every character took one byte (ASCII paths,
    // the usual case), a path's byte offsets are its character offsets.
    const joined = paths.join('');
    const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(joined));
    bytes.write(joined, 0);
    const ends = bytes.length <= 0xffffffff ? new Uint32Array(paths.length) : new Float64Array(paths.length);
    const oneBytePerCharacter = bytes.length === joined.length;
    let offset = 0;
    paths.forEach((path, i) => {
      offset += oneBytePerCharacter ? path.length : Buffer.byteLength(path);
      ends[i] = offset;
    });
    return new PackedPaths(bytes, ends);
  }

  /** Number of paths. */
  get length(): number {
    return this.ends.length;
  }

  /** Bytes held (path text and offsets), for reports and tests. */
  get byteLength(): number {
    return this.bytes.byteLength + this.ends.byteLength;
  }

  /** Path `index`; RangeError outside [0, length). */
  at(index: number): string {
    if (!Number.isInteger(index) || index < 0 || index >= this.length)
      throw new RangeError(`path index ${index} is outside 0..${this.length - 1}`);
    return this.bytes.toString('utf8', index === 0 ? 0 : this.ends[index - 1], this.ends[index]);
  }

  /** Paths `[start, end)` (clamped to the list, like Array.prototype.slice with non-negative bounds). */
  slice(start: number, end: number = this.length): string[] {
    const from = Math.max(0, start);
    const to = Math.min(this.length, end);
    const out: string[] = [];
    for (let i = from; i < to; i++) out.push(this.at(i));
    return out;
  }
}
