import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadMLTable } from '../../../src/input/mltable/load-mltable.js';
import type { MLTable } from '../../../src/input/mltable/model.js';
import { partitionByKeys } from '../../../src/input/tabular/partition-by-keys.js';
import { readTableBatch } from '../../../src/input/tabular/read-table-batch.js';
import { makeTempDir, removeDir, writeTree } from './helpers.js';

let dir: string;
const stores = ['Store1', 'Store2'];
const brands = ['dominicks', 'minute.maid', 'tropicana'];

beforeAll(async () => {
  dir = await makeTempDir();
  const files: Record<string, string> = {};
  for (const store of stores) {
    for (const brand of brands)
      files[`${store}/${brand}/data.csv`] = `week,qty\n1,${store.length + brand.length}\n2,7\n`;
  }
  await writeTree(dir, files);
});
afterAll(async () => {
  await removeDir(dir);
});

async function load(yaml: string): Promise<MLTable> {
  await writeTree(dir, { MLTable: yaml });
  return loadMLTable(dir);
}

describe('partitionByKeys', () => {
  it('groups whole files by keys from the partition format (string form), one mini-batch per key tuple', async () => {
    const table = await load(
      "paths:\n  - pattern: ./**/*.csv\ntransformations:\n  - read_delimited: {}\n  - extract_columns_from_partition_format: '{Store}/{Brand}/{file_name}.{ext}'\n",
    );
    const batches = await partitionByKeys(table, ['Store', 'Brand']);
    expect(batches.map((b) => b.partitionKeyValue)).toEqual(
      stores.flatMap((Store) => brands.map((Brand) => ({ Store, Brand }))),
    );
    if (table.kind !== 'tabular') throw new Error('expected tabular');
    for (const batch of batches) {
      const { Store, Brand } = batch.partitionKeyValue as { Store: string; Brand: string };
      expect(batch.files).toEqual([path.join(dir, Store, Brand, 'data.csv')]);
      const read = await readTableBatch(batch.ranges, table.reader, table.transforms, batch.partitionKeyValue);
      expect(read.columns).toEqual(['week', 'qty', 'Store', 'Brand', 'file_name', 'ext']);
      expect(read.rows).toEqual([
        [1, Store.length + Brand.length, Store, Brand, 'data', 'csv'],
        [2, 7, Store, Brand, 'data', 'csv'],
      ]);
    }
  });

  it('groups by one key over several files (map form of the format)', async () => {
    const table = await load(
      'paths:\n  - pattern: ./**/*.csv\ntransformations:\n  - read_delimited: {}\n  - extract_columns_from_partition_format:\n      partition_format: "{Store}/{Brand}/data.csv"\n',
    );
    const batches = await partitionByKeys(table, ['Store']);
    expect(batches.map((b) => [b.partitionKeyValue, b.files.length, b.ranges.length])).toEqual(
      stores.map((Store) => [{ Store }, 3, 3]),
    );
  });

  it('groups a file list by path keys without reading files', async () => {
    const table = await load(
      "paths:\n  - pattern: ./**/*.csv\ntransformations:\n  - extract_columns_from_partition_format: '{Store}/{Brand}/{name}'\n",
    );
    const batches = await partitionByKeys(table, ['Brand']);
    expect(batches.map((b) => b.partitionKeyValue['Brand'])).toEqual(brands);
    expect(batches[0]!.files).toEqual(stores.map((s) => path.join(dir, s, 'dominicks', 'data.csv')));
    expect(batches.every((b) => b.ranges.length === 0)).toBe(true);
  });

  it('groups rows by a data column into merged byte ranges when the key is not in the path', async () => {
    const table = await load('paths:\n  - pattern: ./**/*.csv\ntransformations:\n  - read_delimited: {}\n');
    if (table.kind !== 'tabular') throw new Error('expected tabular');
    const batches = await partitionByKeys(table, ['week']);
    expect(batches.map((b) => b.partitionKeyValue)).toEqual([{ week: 1 }, { week: 2 }]);
    let total = 0;
    for (const batch of batches) {
      const read = await readTableBatch(batch.ranges, table.reader, table.transforms, batch.partitionKeyValue);
      expect(read.rows.every((row) => row[0] === batch.partitionKeyValue['week'])).toBe(true);
      total += read.rows.length;
    }
    expect(total).toBe(stores.length * brands.length * 2);
  });

  it('names a key that is no column', async () => {
    const table = await load(
      "paths:\n  - pattern: ./**/*.csv\ntransformations:\n  - extract_columns_from_partition_format: '{Store}/{Brand}/{name}'\n",
    );
    await expect(partitionByKeys(table, ['Region'])).rejects.toThrow(/partition key\(s\) Region are not columns/);
  });
});
