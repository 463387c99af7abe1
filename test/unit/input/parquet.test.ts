/**
 * read_parquet end to end on real parquet files (written with hyparquet-writer): loading the MLTable,
 * cutting into whole-row-group ranges by size and by rows, reading every range back, and the refusal
 * of take/skip.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';

import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { InputError } from '../../../src/errors.js';
import { loadMLTable } from '../../../src/input/mltable/load-mltable.js';
import type { ByteRange, CountedByteRange, ParquetReader, TabularMLTable } from '../../../src/input/mltable/model.js';
import { cutParquet } from '../../../src/input/tabular/cut-parquet.js';
import { cutTable, cutTableInto } from '../../../src/input/tabular/cut-table.js';
import { readParquetMetadata, rowGroupSpans } from '../../../src/input/tabular/parquet-row-groups.js';
import { readTableBatch } from '../../../src/input/tabular/read-table-batch.js';
import { collect, expectOrderedDisjoint, makeTempDir, removeDir, writeTree } from './helpers.js';

const GROUP_ROWS = 100;
const COLUMNS = ['id', 'label', 'score', 'big', 'flag'];

/** The row of global id `id`, as the reader should return it (nulls on a fixed pattern). */
function expectedRow(id: number): unknown[] {
  return [
    id,
    id % 7 === 0 ? null : `row ${id} has spaces`,
    id % 11 === 0 ? null : id / 4,
    id * 1000,
    id % 5 === 0 ? null : id % 2 === 0,
  ];
}

/** Writes ids `[firstId, firstId + rows)` to `file` in row groups of {@link GROUP_ROWS}. */
function writeParquet(file: string, firstId: number, rows: number): void {
  const ids = Array.from({ length: rows }, (_, i) => firstId + i);
  const column = (c: number) => ids.map((id) => expectedRow(id)[c]);
  parquetWriteFile({
    filename: file,
    rowGroupSize: GROUP_ROWS,
    columnData: [
      { name: 'id', data: ids, type: 'INT32', nullable: false },
      { name: 'label', data: column(1) as (string | null)[], type: 'STRING' },
      { name: 'score', data: column(2) as (number | null)[], type: 'DOUBLE' },
      // INT64 comes back as bigint from hyparquet: the reader turns it into a JSON number.
      { name: 'big', data: ids.map((id) => BigInt(id) * 1000n), type: 'INT64' },
      { name: 'flag', data: column(4) as (boolean | null)[], type: 'BOOLEAN' },
    ],
  });
}

let dir: string;
/** a.parquet: ids 0–299 in 3 row groups; b.parquet: ids 300–349 in 1 row group. */
let fileA: string;
let fileB: string;
const PARQUET: ParquetReader = { format: 'parquet', includePathColumn: false };

beforeAll(async () => {
  dir = await makeTempDir();
  await writeTree(dir, {
    'table/MLTable': 'paths:\n  - pattern: ./*.parquet\ntransformations:\n  - read_parquet\n',
    'with-path/MLTable':
      'paths:\n  - file: ../table/a.parquet\ntransformations:\n  - read_parquet:\n      include_path_column: true\n',
    'take/MLTable': 'paths:\n  - pattern: ../table/*.parquet\ntransformations:\n  - read_parquet\n  - take: 10\n',
    'skip/MLTable': 'paths:\n  - pattern: ../table/*.parquet\ntransformations:\n  - read_parquet\n  - skip: 1\n',
  });
  fileA = path.join(dir, 'table', 'a.parquet');
  fileB = path.join(dir, 'table', 'b.parquet');
  writeParquet(fileA, 0, 300);
  writeParquet(fileB, 300, 50);
});

afterAll(async () => {
  await removeDir(dir);
});

async function tabular(folder: string): Promise<TabularMLTable> {
  const table = await loadMLTable(path.join(dir, folder));
  if (table.kind !== 'tabular') throw new Error(`expected a tabular MLTable, got ${table.kind}`);
  return table;
}

/** Reads each range as its own mini-batch; checks the columns of each; returns all rows in order. */
async function readAll(ranges: readonly ByteRange[], table: TabularMLTable, columns = COLUMNS): Promise<unknown[][]> {
  const rows: unknown[][] = [];
  for (const range of ranges) {
    const batch = await readTableBatch([range], table.reader, table.transforms);
    expect(batch.columns).toEqual(columns);
    expect(batch.source).toEqual([{ path: range.path, start: range.start, end: range.end }]);
    if ('rows' in range) expect(batch.rows).toHaveLength((range as CountedByteRange).rows);
    rows.push(...batch.rows.map((row) => [...row]));
  }
  return rows;
}

const ALL_ROWS = Array.from({ length: 350 }, (_, id) => expectedRow(id));

describe('read_parquet', () => {
  it('loads as a tabular MLTable with the parquet reader', async () => {
    const table = await tabular('table');
    expect(table.reader).toEqual(PARQUET);
    expect(table.files).toEqual([fileA, fileB]);
    expect((await tabular('with-path')).reader).toEqual({ format: 'parquet', includePathColumn: true });
  });

  it('finds the row groups in the footer: contiguous byte spans with their rows', async () => {
    const { metadata } = await readParquetMetadata(fileA);
    const spans = rowGroupSpans(metadata);
    expect(spans.map((s) => [s.firstRow, s.rows])).toEqual([
      [0, 100],
      [100, 100],
      [200, 100],
    ]);
    expect(spans[0]!.start).toBe(4); // after the "PAR1" magic
    for (let i = 1; i < spans.length; i++) expect(spans[i]!.start).toBe(spans[i - 1]!.end);
  });

  it('takes a dictionary_page_offset of 0 (written by some writers for no dictionary) as absent', async () => {
    const { metadata } = await readParquetMetadata(fileA);
    const spans = rowGroupSpans(metadata);
    const zeroed = {
      ...metadata,
      row_groups: metadata.row_groups.map((group) => ({
        ...group,
        columns: group.columns.map((chunk) => ({
          ...chunk,
          meta_data: chunk.meta_data && { ...chunk.meta_data, dictionary_page_offset: 0n },
        })),
      })),
    };
    // The first chunk of each group may have had a dictionary: its start moves to its data page, never to 0.
    const zeroedSpans = rowGroupSpans(zeroed);
    zeroedSpans.forEach((span, i) => {
      expect(span.start).toBeGreaterThanOrEqual(spans[i]!.start);
      expect(span.start).toBeLessThan(spans[i]!.end);
      expect(span.end).toBe(spans[i]!.end);
    });
  });

  it('reads INT64 beyond 2^53 as a string, exactly', async () => {
    const file = path.join(dir, 'big.parquet');
    parquetWriteFile({ filename: file, columnData: [{ name: 'n', data: [2n ** 60n + 1n, 5n], type: 'INT64' }] });
    const batch = await readTableBatch(await collect(cutParquet(file, { unit: 'rows', value: 10 })), PARQUET, []);
    expect(batch.rows).toEqual([['1152921504606846977'], [5]]);
  });

  it('cuts by rows into whole row groups, each range counting its rows', async () => {
    const table = await tabular('table');
    const spansA = rowGroupSpans((await readParquetMetadata(fileA)).metadata);
    const spansB = rowGroupSpans((await readParquetMetadata(fileB)).metadata);
    // 150 rows: two groups reach it (200), then the last group of a alone; b has one group.
    const ranges = (await collect(cutTable(table, { unit: 'rows', value: 150 }))) as CountedByteRange[];
    expect(ranges).toEqual([
      { path: fileA, start: spansA[0]!.start, end: spansA[1]!.end, rows: 200 },
      { path: fileA, start: spansA[2]!.start, end: spansA[2]!.end, rows: 100 },
      { path: fileB, start: spansB[0]!.start, end: spansB[0]!.end, rows: 50 },
    ]);
    expect(await readAll(ranges, table)).toEqual(ALL_ROWS);
    // One row per mini-batch still gives whole row groups: a row group cannot be split.
    const single = (await collect(cutParquet(fileA, { unit: 'rows', value: 1 }))) as CountedByteRange[];
    expect(single.map((r) => r.rows)).toEqual([100, 100, 100]);
    expect(single.map((r) => [r.start, r.end])).toEqual(spansA.map((s) => [s.start, s.end]));
  });

  it('cuts by size into whole row groups; every row is read exactly once', async () => {
    const table = await tabular('table');
    const sizeA = (await stat(fileA)).size;
    for (const bytes of [1, 2_000, 1 << 20]) {
      const ranges = (await collect(cutTable(table, { unit: 'bytes', value: bytes }))) as CountedByteRange[];
      expectOrderedDisjoint(
        ranges.filter((r) => r.path === fileA),
        sizeA,
      );
      for (const [i, range] of ranges.entries()) {
        expect(range.rows % GROUP_ROWS === 0 || range.path === fileB).toBe(true);
        // Each range reaches the size with its last row group and not before (the last of a file may fall short).
        const spans = rowGroupSpans((await readParquetMetadata(range.path)).metadata).filter(
          (s) => s.start >= range.start && s.end <= range.end,
        );
        expect(spans.map((s) => s.rows).reduce((a, b) => a + b)).toBe(range.rows);
        if (spans.length > 1) expect(spans[spans.length - 2]!.end - range.start).toBeLessThan(bytes);
        if (ranges[i + 1]?.path === range.path) expect(range.end - range.start).toBeGreaterThanOrEqual(bytes);
      }
      expect(ranges.reduce((sum, r) => sum + r.rows, 0)).toBe(350);
      if (bytes === 1) expect(ranges.map((r) => r.rows)).toEqual([100, 100, 100, 50]);
      if (bytes === 1 << 20) expect(ranges.map((r) => r.rows)).toEqual([300, 50]);
      // Row groups here are ~1.4–1.8 kB: 2 kB takes two of them.
      if (bytes === 2_000) expect(ranges.map((r) => r.rows)).toEqual([200, 100, 50]);
      expect(await readAll(ranges, table)).toEqual(ALL_ROWS);
    }
  });

  it('cutTableInto hands the same ranges with their row counts', async () => {
    const table = await tabular('table');
    const ranges = await collect(cutTable(table, { unit: 'rows', value: 150 }));
    const emitted: unknown[] = [];
    await cutTableInto(table, { unit: 'rows', value: 150 }, (fileIndex, start, end, rows) =>
      emitted.push({ path: table.files[fileIndex], start, end, rows }),
    );
    expect(emitted).toEqual(ranges);
  });

  it('reads several ranges as one mini-batch, and adds the Path column first with include_path_column', async () => {
    const table = await tabular('with-path');
    const ranges = await collect(cutTable(table, { unit: 'rows', value: 100 }));
    expect(ranges).toHaveLength(3);
    const batch = await readTableBatch([ranges[2]!, ranges[0]!], table.reader, table.transforms);
    expect(batch.columns).toEqual(['Path', ...COLUMNS]);
    expect(batch.rows).toEqual([...ALL_ROWS.slice(200, 300), ...ALL_ROWS.slice(0, 100)].map((row) => [fileA, ...row]));
  });

  it('reads a range that starts inside a row group as no rows of it (a group belongs to the range holding its start)', async () => {
    const table = await tabular('table');
    const spans = rowGroupSpans((await readParquetMetadata(fileA)).metadata);
    const batch = await readTableBatch(
      [{ path: fileA, start: spans[0]!.start + 1, end: spans[1]!.end }],
      table.reader,
      [],
    );
    expect(batch.rows).toEqual(ALL_ROWS.slice(100, 200));
  });

  it('refuses take and skip with a clear error naming the MLTable', async () => {
    for (const folder of ['take', 'skip']) {
      const table = await tabular(folder);
      const cut = collect(cutTable(table, { unit: 'rows', value: 100 }));
      await expect(cut).rejects.toThrow(InputError);
      await expect(collect(cutTable(table, { unit: 'bytes', value: 100 }))).rejects.toThrow(
        `${table.source}: take/skip are not supported with read_parquet (parquet mini-batches are whole row groups)`,
      );
      await expect(cutTableInto(table, { unit: 'rows', value: 100 }, () => {})).rejects.toThrow(
        /take\/skip are not supported with read_parquet/,
      );
    }
  });

  it('fails a file that is not parquet with the file named', async () => {
    await writeTree(dir, {
      'bad/x.parquet': 'id,label\n1,a\n',
      'bad/MLTable': 'paths:\n  - file: ./x.parquet\ntransformations:\n  - read_parquet\n',
    });
    const table = await tabular('bad');
    await expect(collect(cutTable(table, { unit: 'rows', value: 10 }))).rejects.toThrow(
      /x\.parquet: cannot read it as parquet \(read_parquet\)/,
    );
  });
});
