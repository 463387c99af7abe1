/**
 * Tabular reader options and totals through `parajob run`: include_path_column gives run() a `Path`
 * column first, holding each row's file, for delimited and JSON-lines input; and summary.json's
 * items.total is the row count once every mini-batch of a table cut by size was read, null when the
 * job ended before that.
 */
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertBuilt, killAllCli } from '../helpers/cli-process.js';
import { makeTempDir, writeText } from '../helpers/input-files.js';
import { readLines, readSummary, runTabularJob, tabularJobYaml } from '../helpers/tabular-job.js';

/** Rows per data file; ids run on across files. */
const ROWS = 40;

let dir: string;

beforeAll(async () => {
  assertBuilt();
  dir = await makeTempDir('parajob-tabular-options-');
  for (const [index, name] of ['a', 'b'].entries()) {
    const ids = Array.from({ length: ROWS }, (_, i) => index * ROWS + i);
    await writeText(dir, `csv/${name}.csv`, `id,label\n${ids.map((id) => `${id},label ${id}`).join('\n')}\n`);
    await writeText(
      dir,
      `jsonl/${name}.jsonl`,
      `${ids.map((id) => JSON.stringify({ id, label: `label ${id}` })).join('\n')}\n`,
    );
  }
  await writeText(
    dir,
    'csv/MLTable',
    'paths:\n  - pattern: ./*.csv\ntransformations:\n  - read_delimited:\n      include_path_column: true\n',
  );
  await writeText(
    dir,
    'jsonl/MLTable',
    'paths:\n  - pattern: ./*.jsonl\ntransformations:\n  - read_json_lines:\n      include_path_column: true\n',
  );
  await writeText(
    dir,
    'sized/MLTable',
    'paths:\n  - pattern: ../csv/*.csv\ntransformations:\n  - read_delimited: {}\n',
  );
  // One line per row: its columns in order, its Path, its id.
  await writeText(
    dir,
    'code/paths.mjs',
    "export function run(rows) { return rows.map((row) => [Object.keys(row).join('|'), row.Path, row.id]); }\n",
  );
  await writeText(dir, 'code/ids.mjs', 'export function run(rows) { return rows.map((row) => [row.id]); }\n');
  // Mini-batch 0 fails; every other run() never returns (the failed job kills them).
  await writeText(
    dir,
    'code/fail-first.mjs',
    "export function run(rows, context) {\n  if (context.miniBatchId === 0) throw new Error('first mini-batch fails');\n  return new Promise(() => {});\n}\n",
  );
});

afterAll(async () => {
  await killAllCli();
});

describe('include_path_column', () => {
  it.each([
    { format: 'read_delimited', table: 'csv', extension: 'csv' },
    { format: 'read_json_lines', table: 'jsonl', extension: 'jsonl' },
  ])('$format: a Path column first, holding the file of each row', async ({ table, extension }) => {
    const yaml = tabularJobYaml({
      tablePath: `./${table}`,
      miniBatchSize: '"15 rows"',
      entryScript: 'paths.mjs',
      outputFile: `./out-${table}/result.txt`,
    });
    const { cli } = await runTabularJob(dir, `paths-${table}`, yaml);
    expect(cli.exit?.code, cli.describeOutput()).toBe(0);
    const lines = (await readLines(join(dir, `out-${table}`, 'result.txt'))).sort(
      (x, y) => Number(x.split(' ')[2]) - Number(y.split(' ')[2]),
    );
    const expected = Array.from({ length: 2 * ROWS }, (_, id) => {
      const file = join(dir, table, `${id < ROWS ? 'a' : 'b'}.${extension}`);
      return `Path|id|label ${file} ${id}`;
    });
    expect(lines).toEqual(expected);
  });
});

describe('items.total in summary.json for a table cut by size (rows counted as read)', () => {
  it('is the row count once every mini-batch was read', async () => {
    const yaml = tabularJobYaml({
      tablePath: './sized',
      miniBatchSize: '"1kb"',
      entryScript: 'ids.mjs',
      outputFile: './out-sized-all/result.txt',
    });
    const { cli, runDir } = await runTabularJob(dir, 'sized-all', yaml);
    expect(cli.exit?.code, cli.describeOutput()).toBe(0);
    const summary = await readSummary(runDir);
    expect(summary.miniBatches.total).toBeGreaterThan(1);
    expect(summary.items).toMatchObject({ total: 2 * ROWS, succeeded: 2 * ROWS });
  });

  it('is null when the job ended before every mini-batch was read', async () => {
    const yaml = tabularJobYaml({
      tablePath: './sized',
      miniBatchSize: '"1kb"',
      maxRetries: 0,
      entryScript: 'fail-first.mjs',
      outputFile: './out-sized-failed/result.txt',
      extra: 'mini_batch_error_threshold: 0',
    });
    const { cli, runDir } = await runTabularJob(dir, 'sized-failed', yaml);
    expect(cli.exit?.code, cli.describeOutput()).toBe(1);
    const summary = await readSummary(runDir);
    expect(summary.state).toBe('failed');
    expect(summary.miniBatches.total).toBeGreaterThan(1);
    expect(summary.items.total).toBeNull();
  });
});
