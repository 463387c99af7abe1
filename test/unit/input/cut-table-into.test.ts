/**
 * cutTableInto, the coordinator's allocation-free cut: it must hand over exactly the ranges cutTable
 * yields, in the same order, with the file's index in the table and the row count when known, for
 * every size unit, with take/skip windows, across files and across the cursor's 4 MiB read chunks.
 */
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { loadMLTable } from '../../../src/input/mltable/load-mltable.js';
import type { CountedByteRange, TabularMLTable } from '../../../src/input/mltable/model.js';
import { cutByRows, cutByRowsInto } from '../../../src/input/tabular/cut-by-rows.js';
import { cutTable, cutTableInto, type TabularBatchSize } from '../../../src/input/tabular/cut-table.js';
import { collect, delimited, makeTempDir, removeDir, writeTree } from './helpers.js';

let dir: string;
beforeEach(async () => {
  dir = await makeTempDir();
});
afterEach(async () => {
  await removeDir(dir);
});

async function tabular(): Promise<TabularMLTable> {
  const table = await loadMLTable(dir);
  if (table.kind !== 'tabular') throw new Error('expected a tabular MLTable');
  return table;
}

/** cutTable's ranges in the shape cutTableInto hands over. */
async function viaGenerator(table: TabularMLTable, size: TabularBatchSize): Promise<unknown[]> {
  const ranges = await collect(cutTable(table, size));
  return ranges.map((range) => [
    table.files.indexOf(range.path),
    range.start,
    range.end,
    'rows' in range ? (range as CountedByteRange).rows : undefined,
  ]);
}

async function viaSink(table: TabularMLTable, size: TabularBatchSize): Promise<unknown[]> {
  const out: unknown[] = [];
  await cutTableInto(table, size, (fileIndex, start, end, rows) => out.push([fileIndex, start, end, rows]));
  return out;
}

const SIZES: TabularBatchSize[] = [
  { unit: 'rows', value: 1 },
  { unit: 'rows', value: 2 },
  { unit: 'rows', value: 1000 },
  { unit: 'bytes', value: 1 },
  { unit: 'bytes', value: 7 },
];

describe('cutTableInto', () => {
  it('hands over the same ranges as cutTable, with file indexes, with and without take/skip', async () => {
    await writeTree(dir, { '1.csv': 'n\n0\n1\n', '2.csv': 'n\n2\n\n3\n', '3.csv': 'n\n4\n5', '4.csv': 'n\n' });
    for (const transforms of ['', '  - skip: 2\n', '  - take: 3\n', '  - skip: 2\n  - take: 3\n', '  - skip: 9\n']) {
      await writeTree(dir, {
        MLTable: `paths:\n  - pattern: ./*.csv\ntransformations:\n  - read_delimited: {}\n${transforms}`,
      });
      const table = await tabular();
      for (const size of SIZES) {
        const expected = await viaGenerator(table, size);
        expect(await viaSink(table, size), `${JSON.stringify(transforms)} ${JSON.stringify(size)}`).toEqual(expected);
      }
    }
  });

  it('cuts a file of many rows across read chunks one row at a time, without losing a row', async () => {
    // ~5.5 MiB: more than one 4 MiB read chunk, so rows straddle a chunk edge.
    const rows = 700_000;
    const lines = ['id'];
    for (let i = 0; i < rows; i++) lines.push(String(i).padStart(7, '0'));
    await writeTree(dir, {
      'big.csv': `${lines.join('\n')}\n`,
      MLTable: 'paths:\n  - file: ./big.csv\ntransformations:\n  - read_delimited: {}\n',
    });
    const table = await tabular();
    let count = 0;
    let previousEnd = 'id\n'.length;
    let contiguous = true;
    await cutTableInto(table, { unit: 'rows', value: 1 }, (fileIndex, start, end, rowCount) => {
      if (fileIndex !== 0 || start !== previousEnd || end - start !== 8 || rowCount !== 1) contiguous = false;
      previousEnd = end;
      count += 1;
    });
    expect(contiguous).toBe(true);
    expect(count).toBe(rows);
  });
});

describe('cutByRowsInto', () => {
  it('emits what cutByRows yields, the last partial range included', async () => {
    const file = path.join(dir, 'a.csv');
    await writeTree(dir, { 'a.csv': 'a,b\n1,2\n\n3,4\r\n5,6\n\n' });
    for (const rows of [1, 2, 3, 10]) {
      const out: unknown[] = [];
      await cutByRowsInto(file, rows, delimited(), (start, end, count) =>
        out.push({ path: file, start, end, rows: count }),
      );
      expect(out).toEqual(await collect(cutByRows(file, rows, delimited())));
    }
  });

  it('refuses a row count that is not a whole number ≥ 1', async () => {
    await writeTree(dir, { 'a.csv': 'a\n1\n' });
    await expect(cutByRowsInto(path.join(dir, 'a.csv'), 0, delimited(), () => undefined)).rejects.toThrow(RangeError);
  });
});
