/**
 * mini_batch_size: "500 rows" (parajob's extension): exact row counts per mini-batch, a mini-batch
 * never crossing files; and --error_threshold counting rows.
 */
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertBuilt, killAllCli } from '../helpers/cli-process.js';
import { makeTempDir, writeText } from '../helpers/input-files.js';
import { readLines, readSummary, runTabularJob, tabularJobYaml } from '../helpers/tabular-job.js';

/** File → rows; ids are global and consecutive across the files (a.csv first). */
const FILES: readonly (readonly [string, number])[] = [
  ['a.csv', 2345],
  ['b.csv', 700],
];
const TOTAL_ROWS = FILES.reduce((sum, [, rows]) => sum + rows, 0);

let dir: string;

beforeAll(async () => {
  assertBuilt();
  dir = await makeTempDir('parajob-tabular-rows-');
  await writeText(
    dir,
    'table/MLTable',
    'paths:\n  - pattern: ./*.csv\ntransformations:\n  - read_delimited: {header: all_files_same_headers}\n',
  );
  let id = 0;
  for (const [name, rows] of FILES) {
    const lines = ['id,label'];
    // Blank lines now and then: carried by ranges, never counted as rows.
    for (let i = 0; i < rows; i++) lines.push(`${id++},row ${i}${i % 97 === 0 ? '\n' : ''}`);
    await writeText(dir, `table/${name}`, `${lines.join('\n')}\n`);
  }
  await writeText(
    dir,
    'code/rows.mjs',
    'export function run(rows, context) { return rows.map((row) => [row.id, context.miniBatchId, rows.length]); }\n',
  );
  await writeText(
    dir,
    'code/drop-one.mjs',
    'export function run(rows) { return rows.slice(1).map((row) => [row.id]); }\n',
  );
});

afterAll(async () => {
  await killAllCli();
});

describe('mini_batch_size: "500 rows"', () => {
  it('every mini-batch holds exactly 500 rows, except the last of each file', async () => {
    const yaml = tabularJobYaml({
      miniBatchSize: '"500 rows"',
      instanceCount: 1,
      maxConcurrencyPerInstance: 2,
      entryScript: 'rows.mjs',
    });
    const { cli, runDir } = await runTabularJob(dir, 'rows', yaml);
    expect(cli.exit?.code, cli.describeOutput()).toBe(0);

    const byMiniBatch = new Map<number, number[]>();
    for (const line of await readLines(join(dir, 'out', 'result.txt'))) {
      const [id, miniBatchId, count] = line.split(' ').map(Number) as [number, number, number];
      const ids = byMiniBatch.get(miniBatchId) ?? [];
      ids.push(id);
      byMiniBatch.set(miniBatchId, ids);
      expect(count).toBe(Math.min(500, count));
    }
    const sizes = [...byMiniBatch.entries()].sort(([a], [b]) => a - b).map(([, ids]) => ids.length);
    expect(sizes).toEqual([500, 500, 500, 500, 345, 500, 200]);
    // Mini-batch i holds consecutive ids: rows are cut in file order.
    let next = 0;
    for (const [, ids] of [...byMiniBatch.entries()].sort(([a], [b]) => a - b)) {
      expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: ids.length }, (_, i) => next + i));
      next += ids.length;
    }
    expect(next).toBe(TOTAL_ROWS);
    // Rows are known up front with a rows cut: the totals are exact from the start.
    expect(cli.stdout).toContain(`${TOTAL_ROWS}/${TOTAL_ROWS} items succeeded`);
    expect((await readSummary(runDir)).items).toEqual({ total: TOTAL_ROWS, succeeded: TOTAL_ROWS, failed: 0 });
  }, 60_000);

  it('--error_threshold counts rows: one dropped row per mini-batch exceeds a threshold of 3', async () => {
    const yaml = tabularJobYaml({
      miniBatchSize: '"500 rows"',
      entryScript: 'drop-one.mjs',
      outputFile: './out-threshold/result.txt',
      programArguments: '--error_threshold 3',
    });
    const { cli } = await runTabularJob(dir, 'threshold', yaml);
    expect(cli.exit?.code, cli.describeOutput()).toBe(1);
    expect(cli.output).toMatch(/error_threshold of 3 was exceeded: [4-7] failed items/);
  }, 60_000);
});
