import { describe, expect, it } from 'vitest';

import { PackedPaths } from '../../../src/input/packed-paths.js';

describe('PackedPaths', () => {
  const paths = ['a.txt', 'dir/ß.csv', '', '\u{1F600}/x', 'z'];
  const packed = PackedPaths.from(paths);

  it('gives back every path, multi-byte and empty ones included, in order', () => {
    expect(packed.length).toBe(paths.length);
    expect(paths.map((_, i) => packed.at(i))).toEqual(paths);
    expect(packed.slice(0)).toEqual(paths);
  });

  it('slices like an array, clamped to the list', () => {
    expect(packed.slice(1, 3)).toEqual(['dir/ß.csv', '']);
    expect(packed.slice(3, 99)).toEqual(['\u{1F600}/x', 'z']);
    expect(packed.slice(5, 7)).toEqual([]);
  });

  it('holds the UTF-8 bytes once and one offset a path', () => {
    const text = paths.reduce((sum, path) => sum + Buffer.byteLength(path), 0);
    expect(packed.byteLength).toBe(text + 4 * paths.length);
  });

  it('refuses an index outside the list', () => {
    expect(() => packed.at(5)).toThrow(RangeError);
    expect(() => packed.at(-1)).toThrow(RangeError);
  });

  it('gives back ASCII-only paths (offsets counted in characters) as packed', () => {
    const ascii = ['d0000/f0000000.bin', 'x', '', 'a b/c.txt'];
    expect(PackedPaths.from(ascii).slice(0)).toEqual(ascii);
  });

  it('packs an empty list', () => {
    expect(PackedPaths.from([]).slice(0)).toEqual([]);
  });
});
