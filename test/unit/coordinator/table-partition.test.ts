/**
 * The coordinator's partitioning of mltable inputs: byte ranges stored compactly and handed out as
 * lease content, rows known (rows cut) or counted as read (size cut), key partitions, file-list
 * MLTables, and MLTable errors as InputErrors.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { fileListOf } from '../../../src/coordinator/partition/mltable-partition.js';
import {
  assignmentInputOf,
  checkStepInput,
  itemCountOf,
  knownItemsTotal,
  leaseContentOf,
  noteItemsRead,
  type Partition,
  partitionStepInput,
} from '../../../src/coordinator/partition/partition-input.js';
import { RangeTable } from '../../../src/coordinator/partition/range-table.js';
import { InputError } from '../../../src/errors.js';
import type { CompiledParallelStep, MiniBatchSize } from '../../../src/jobspec/model.js';
import { makeStep } from './support/step-fixture.js';

let dir: string;

async function write(relative: string, text: string): Promise<string> {
  const path = join(dir, relative);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
  return path;
}

function stepFor(inputPath: string, size: MiniBatchSize | undefined, partitionKeys?: string[]): CompiledParallelStep {
  return {
    ...makeStep({ runDir: join(dir, 'run'), inputPath, inputType: 'mltable' }),
    miniBatchSize: size,
    partitionKeys,
  };
}

const CSV_ROWS = 100;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parajob-table-partition-'));
  const lines = ['id,name'];
  for (let i = 0; i < CSV_ROWS; i++) lines.push(`${i},"row ${i}"`);
  await write('table/a.csv', `${lines.join('\n')}\n`);
  await write('table/b.csv', 'id,name\n1000,x\n1001,y\n');
  await write(
    'table/MLTable',
    'paths:\n  - pattern: ./*.csv\ntransformations:\n  - read_delimited: {header: all_files_same_headers}\n',
  );
  await write('files/s1/b1/x.txt', 'x');
  await write('files/s1/b2/y.txt', 'y');
  await write('files/s2/b1/z.txt', 'z');
  await write(
    'files/MLTable',
    'paths:\n  - pattern: ./**/*.txt\ntransformations:\n  - extract_columns_from_partition_format: {partition_format: "{store}/{brand}/{name}.txt"}\n',
  );
  await write(
    'bad/MLTable',
    'paths:\n  - file: ./nope.csv\ntransformations:\n  - read_delimited: {header: sometimes}\n',
  );
  await write('badjson/data.jsonl', '{"a": 1}\nnot json\n');
  await write(
    'badjson/MLTable',
    'paths:\n  - file: ./data.jsonl\ntransformations:\n  - read_json_lines: {invalid_lines: error}\n',
  );
  await write('empty/a.csv', 'id,name\n');
  await write('empty/MLTable', 'paths:\n  - file: ./a.csv\ntransformations:\n  - read_delimited: {}\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function leaseRows(partition: Partition): number[] {
  return Array.from({ length: partition.miniBatchCount }, (_, id) => leaseContentOf(partition, id).itemCount);
}

describe('tabular partitions', () => {
  it('a size cut: one range per mini-batch, contiguous, rows counted as read', async () => {
    const partition = await partitionStepInput(
      stepFor(join(dir, 'table'), { value: 256, unit: 'bytes', text: '256b' }),
    );
    expect(partition.kind).toBe('tabular');
    expect(assignmentInputOf(partition).inputKind).toBe('tabular');
    expect(JSON.parse(assignmentInputOf(partition).tabularReaderJson)).toMatchObject({
      reader: { format: 'delimited' },
      transforms: [],
    });
    expect(knownItemsTotal(partition)).toBeUndefined();
    expect(leaseRows(partition).every((rows) => rows === 0)).toBe(true);
    const ranges = Array.from({ length: partition.miniBatchCount }, (_, id) => leaseContentOf(partition, id).ranges);
    expect(ranges.every((list) => list.length === 1)).toBe(true);
    const a = ranges.flat().filter((range) => range.path.endsWith('a.csv'));
    expect(a[0]?.start).toBe('id,name\n'.length);
    for (let i = 1; i < a.length; i++) expect(a[i]?.start).toBe(a[i - 1]?.end);
    noteItemsRead(partition, 0, 17);
    expect(itemCountOf(partition, 0)).toBe(17);
    expect(leaseContentOf(partition, 0).itemCount).toBe(0);
  });

  it('a plain mini_batch_size is bytes, and the default is 1 MB (one range per small file)', async () => {
    const plain = await partitionStepInput(stepFor(join(dir, 'table'), { value: 256, unit: 'plain', text: '256' }));
    expect(plain.miniBatchCount).toBeGreaterThan(2);
    const defaulted = await partitionStepInput(stepFor(join(dir, 'table'), undefined));
    expect(defaulted.miniBatchCount).toBe(2);
  });

  it("a rows cut knows every mini-batch's rows up front", async () => {
    const partition = await partitionStepInput(
      stepFor(join(dir, 'table'), { value: 30, unit: 'rows', text: '30 rows' }),
    );
    expect(leaseRows(partition)).toEqual([30, 30, 30, 10, 2]);
    expect(knownItemsTotal(partition)).toBe(CSV_ROWS + 2);
    noteItemsRead(partition, 0, 99);
    expect(itemCountOf(partition, 0)).toBe(30);
  });

  it('partition_keys over a file-list MLTable: one mini-batch of files per key, with its key JSON', async () => {
    const partition = await partitionStepInput(stepFor(join(dir, 'files'), undefined, ['store', 'brand']));
    expect(partition.kind).toBe('keyed-files');
    const leases = Array.from({ length: partition.miniBatchCount }, (_, id) => leaseContentOf(partition, id));
    expect(leases.map((lease) => JSON.parse(lease.partitionKeyJson))).toEqual([
      { store: 's1', brand: 'b1' },
      { store: 's1', brand: 'b2' },
      { store: 's2', brand: 'b1' },
    ]);
    expect(leases.map((lease) => lease.files)).toEqual([
      [join(dir, 'files/s1/b1/x.txt')],
      [join(dir, 'files/s1/b2/y.txt')],
      [join(dir, 'files/s2/b1/z.txt')],
    ]);
    expect(knownItemsTotal(partition)).toBe(3);
  });

  it('a file-list MLTable without keys: mini-batches by file count', async () => {
    const partition = await partitionStepInput(stepFor(join(dir, 'files'), { value: 2, unit: 'plain', text: '2' }));
    expect(partition.kind).toBe('files');
    expect(leaseContentOf(partition, 0).files).toEqual([
      join(dir, 'files/s1/b1/x.txt'),
      join(dir, 'files/s1/b2/y.txt'),
    ]);
    expect(leaseContentOf(partition, 1).files).toEqual([join(dir, 'files/s2/b1/z.txt')]);
    await expect(
      partitionStepInput(stepFor(join(dir, 'files'), { value: 10, unit: 'rows', text: '10 rows' })),
    ).rejects.toThrow(/only applies to tabular/);
  });
});

describe('MLTable problems are InputErrors naming the file', () => {
  it('an invalid MLTable: file, line and key', async () => {
    const error = await partitionStepInput(stepFor(join(dir, 'bad'), undefined)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    const message = (error as Error).message;
    expect(message).toContain(`${join(dir, 'bad', 'MLTable')}:4:`);
    expect(message).toMatch(/transformations\[0\]\.read_delimited\.header: unknown header mode string "sometimes"/);
  });

  it('a JSON line that does not parse in the first rows: caught at partitioning', async () => {
    await expect(partitionStepInput(stepFor(join(dir, 'badjson'), undefined))).rejects.toThrow(
      new RegExp(
        `${join(dir, 'badjson', 'data.jsonl').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: the line at byte 9 is not a JSON object`,
      ),
    );
  });

  it('a table with no rows', async () => {
    await expect(partitionStepInput(stepFor(join(dir, 'empty'), undefined))).rejects.toThrow(/the table has no rows/);
  });

  it('partition_keys on a uri_folder input', () => {
    const step = { ...makeStep({ runDir: join(dir, 'run'), inputPath: dir }), partitionKeys: ['a'] };
    expect(() => checkStepInput(step)).toThrow(/partition_keys needs an mltable input_data/);
  });
});

describe('storage', () => {
  it('RangeTable grows past its capacity and keeps offsets over 4 GiB exact', () => {
    const table = new RangeTable(2);
    for (let i = 0; i < 10; i++) table.push(i % 3, i * 2 ** 33, i * 2 ** 33 + 7);
    table.trim();
    expect(table.length).toBe(10);
    expect([table.fileIndex(9), table.start(9), table.end(9)]).toEqual([0, 9 * 2 ** 33, 9 * 2 ** 33 + 7]);
    expect(table.byteLength).toBe(10 * 20);
  });

  it('fileListOf keeps the order relative to the deepest common folder', () => {
    expect(fileListOf(['/d/a/x.txt', '/d/b/y.txt', '/d/a2.txt'])).toEqual({
      root: '/d',
      relativePaths: ['a/x.txt', 'b/y.txt', 'a2.txt'],
    });
    expect(fileListOf(['/d/ab/x', '/d/a/y'])).toEqual({ root: '/d', relativePaths: ['ab/x', 'a/y'] });
    expect(fileListOf(['/x', '/y/z'])).toEqual({ root: '/', relativePaths: ['x', 'y/z'] });
  });
});
