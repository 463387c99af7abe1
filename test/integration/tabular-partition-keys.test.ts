/**
 * partition_keys over a folder tree `<Store>/<Brand>/data.csv` read with a `pattern: ./**\/*.csv`
 * MLTable and extract_columns_from_partition_format: one mini-batch per (Store, Brand), each with its
 * own rows and its key values in context.partitionKeyValue.
 */
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertBuilt, killAllCli } from '../helpers/cli-process.js';
import { makeTempDir, writeText } from '../helpers/input-files.js';
import { readLines, readSummary, runTabularJob, tabularJobYaml } from '../helpers/tabular-job.js';

/** Store → brand → rows in its data.csv. */
const TREE: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  north: { acme: 3, globex: 5 },
  south: { acme: 7 },
  west: { globex: 1, initech: 4, umbrella: 2 },
};

let dir: string;

beforeAll(async () => {
  assertBuilt();
  dir = await makeTempDir('parajob-tabular-keys-');
  await writeText(
    dir,
    'table/MLTable',
    [
      'paths:',
      '  - pattern: ./**/*.csv',
      'transformations:',
      '  - read_delimited: {header: all_files_same_headers}',
      '  - extract_columns_from_partition_format: {partition_format: "{Store}/{Brand}/data.csv"}',
      '',
    ].join('\n'),
  );
  for (const [store, brands] of Object.entries(TREE)) {
    for (const [brand, rows] of Object.entries(brands)) {
      const lines = ['sku,qty', ...Array.from({ length: rows }, (_, i) => `${store}-${brand}-${i},${i + 1}`)];
      await writeText(dir, `table/${store}/${brand}/data.csv`, `${lines.join('\n')}\n`);
    }
  }
  // One row per input row: the key values from the context, the row's own Store/Brand columns, the
  // mini-batch's row count, and whether the row's sku belongs to that key.
  await writeText(
    dir,
    'code/keys.mjs',
    [
      'export function run(rows, context) {',
      '  const { Store, Brand } = context.partitionKeyValue;',
      '  return rows.map((row) => [Store, Brand, row.Store, row.Brand, rows.length, row.sku.startsWith(`${Store}-${Brand}-`), context.miniBatchId]);',
      '}',
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  await killAllCli();
});

describe('partition_keys: [Store, Brand] over <Store>/<Brand>/data.csv', () => {
  it('one mini-batch per key tuple, each with its rows and its key values', async () => {
    const yaml = tabularJobYaml({ partitionKeys: ['Store', 'Brand'], instanceCount: 2, entryScript: 'keys.mjs' });
    const { cli, runDir } = await runTabularJob(dir, 'keys', yaml);
    expect(cli.exit?.code, cli.describeOutput()).toBe(0);

    const lines = await readLines(join(dir, 'out', 'result.txt'));
    const byKey = new Map<string, { rows: number; count: string; miniBatches: Set<string> }>();
    for (const line of lines) {
      const [store, brand, rowStore, rowBrand, count, belongs, miniBatchId] = line.split(' ');
      expect([rowStore, rowBrand, belongs], line).toEqual([store, brand, 'True']);
      const key = `${store}/${brand}`;
      const entry = byKey.get(key) ?? { rows: 0, count: count ?? '', miniBatches: new Set<string>() };
      entry.rows += 1;
      entry.miniBatches.add(miniBatchId ?? '');
      byKey.set(key, entry);
    }
    const expected = Object.entries(TREE).flatMap(([store, brands]) =>
      Object.entries(brands).map(([brand, rows]) => [`${store}/${brand}`, rows] as const),
    );
    expect([...byKey.keys()].sort()).toEqual(expected.map(([key]) => key).sort());
    for (const [key, rows] of expected) {
      const entry = byKey.get(key);
      expect(entry, key).toMatchObject({ rows, count: String(rows) });
      expect(entry?.miniBatches.size, key).toBe(1);
    }

    const summary = await readSummary(runDir);
    expect(summary.miniBatches.total).toBe(expected.length);
    const totalRows = expected.reduce((sum, [, rows]) => sum + rows, 0);
    expect(summary.items).toEqual({ total: totalRows, succeeded: totalRows, failed: 0 });
  }, 60_000);
});
