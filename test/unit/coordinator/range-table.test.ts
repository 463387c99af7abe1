/**
 * The chunked typed-array columns behind a tabular partition: values survive crossing chunk edges,
 * small tables stay small, trim() releases the spare capacity, and writes by index land.
 */
import { describe, expect, it } from 'vitest';

import { CHUNK_LENGTH, RangeTable, Uint32List } from '../../../src/coordinator/partition/range-table.js';

describe('RangeTable', () => {
  it('keeps every range across several chunks, and trims to 20 bytes a range plus the last chunk exactly', () => {
    const count = CHUNK_LENGTH * 2 + 123;
    const table = new RangeTable();
    for (let i = 0; i < count; i++) table.push(i % 7, i * 10, i * 10 + 3);
    table.trim();
    expect(table.length).toBe(count);
    for (const i of [0, 1, CHUNK_LENGTH - 1, CHUNK_LENGTH, CHUNK_LENGTH + 1, 2 * CHUNK_LENGTH, count - 1]) {
      expect([table.fileIndex(i), table.start(i), table.end(i)]).toEqual([i % 7, i * 10, i * 10 + 3]);
    }
    expect(table.byteLength).toBe(count * 20);
    // Outside the table: 0, never a stale value.
    expect([table.fileIndex(count), table.start(count + CHUNK_LENGTH)]).toEqual([0, 0]);
  });

  it('a one-range table holds 20 bytes once trimmed', () => {
    const table = new RangeTable();
    table.push(0, 5, 9);
    table.trim();
    expect(table.byteLength).toBe(20);
    expect([table.start(0), table.end(0)]).toEqual([5, 9]);
  });
});

describe('Uint32List', () => {
  it('reads, overwrites (clamped) and zero-fills across chunk edges', () => {
    const list = Uint32List.zeros(CHUNK_LENGTH + 5);
    expect(list.length).toBe(CHUNK_LENGTH + 5);
    list.set(CHUNK_LENGTH + 1, 42);
    list.set(3, 2 ** 40);
    list.set(CHUNK_LENGTH + 5, 7); // outside: ignored
    expect([list.at(CHUNK_LENGTH + 1), list.at(3), list.at(CHUNK_LENGTH + 5), list.at(0)]).toEqual([
      42, 0xffffffff, 0, 0,
    ]);
    list.push(9);
    expect(list.at(CHUNK_LENGTH + 5)).toBe(9);
  });
});
