/** Test helpers for src/input: temp folders and reading every range of a cut. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import type { ByteRange, DelimitedReader, TabularReader } from '../../../src/input/mltable/model.js';
import { readTableBatch } from '../../../src/input/tabular/read-table-batch.js';

export async function makeTempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'parajob-input-'));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Writes `files` (relative path → content) under `dir`, creating folders. */
export async function writeTree(dir: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [relative, content] of Object.entries(files)) {
    const target = path.join(dir, relative);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
  }
}

export function delimited(overrides: Partial<DelimitedReader> = {}): DelimitedReader {
  return {
    format: 'delimited',
    delimiter: ',',
    header: 'all_files_same_headers',
    encoding: 'utf8',
    emptyAsString: false,
    includePathColumn: false,
    supportMultiLine: false,
    inferColumnTypes: false,
    ...overrides,
  };
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Reads each range on its own (as separate mini-batches would be) and concatenates the rows. */
export async function rowsOfRanges(
  ranges: readonly ByteRange[],
  reader: TabularReader,
): Promise<{ columns: string[][]; rows: unknown[][] }> {
  const columns: string[][] = [];
  const rows: unknown[][] = [];
  for (const range of ranges) {
    const batch = await readTableBatch([range], reader, []);
    columns.push([...batch.columns]);
    rows.push(...batch.rows.map((row) => [...row]));
  }
  return { columns, rows };
}

/** Ranges are in order, contiguous or separated only by skipped bytes, never overlapping, non-empty. */
export function expectOrderedDisjoint(ranges: readonly ByteRange[], size: number): void {
  let previousEnd = 0;
  for (const range of ranges) {
    if (range.start < previousEnd || range.end <= range.start || range.end > size) {
      throw new Error(`bad range ${JSON.stringify(range)} after ${previousEnd} (size ${size})`);
    }
    previousEnd = range.end;
  }
}
