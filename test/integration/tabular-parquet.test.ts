/**
 * read_parquet through `parajob run`: a parquet MLTable (two files, several row groups) cut into
 * mini-batches of whole row groups, read on one node, every row reaching the JS entry script once.
 */
import { join } from 'node:path';

import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertBuilt, killAllCli } from '../helpers/cli-process.js';
import { makeTempDir, writeText } from '../helpers/input-files.js';
import { readLines, readSummary, runTabularJob, tabularJobYaml } from '../helpers/tabular-job.js';

/** File → rows, in row groups of 100; ids are global and consecutive (a.parquet first). */
const FILES: readonly (readonly [string, number])[] = [
  ['a.parquet', 300],
  ['b.parquet', 50],
];
const TOTAL_ROWS = FILES.reduce((sum, [, rows]) => sum + rows, 0);

const label = (id: number) => (id % 7 === 0 ? null : `row ${id}`);
const flag = (id: number) => (id % 5 === 0 ? null : id % 2 === 0);

let dir: string;

beforeAll(async () => {
  assertBuilt();
  dir = await makeTempDir('parajob-tabular-parquet-');
  await writeText(dir, 'table/MLTable', 'paths:\n  - pattern: ./*.parquet\ntransformations:\n  - read_parquet\n');
  let first = 0;
  for (const [name, rows] of FILES) {
    const ids = Array.from({ length: rows }, (_, i) => first + i);
    parquetWriteFile({
      filename: join(dir, 'table', name),
      rowGroupSize: 100,
      columnData: [
        { name: 'id', data: ids.map(BigInt), type: 'INT64', nullable: false },
        { name: 'label', data: ids.map(label), type: 'STRING' },
        { name: 'flag', data: ids.map(flag), type: 'BOOLEAN' },
      ],
    });
    first += rows;
  }
  await writeText(
    dir,
    'code/ids.mjs',
    'export function run(rows, context) { return rows.map((row) => [row.id, row.label, row.flag, context.miniBatchId, rows.length]); }\n',
  );
});

afterAll(async () => {
  await killAllCli();
});

describe('read_parquet job', () => {
  it('mini_batch_size "150 rows" gives whole row groups (200, 100, 50) and every row once, nulls empty', async () => {
    const yaml = tabularJobYaml({
      miniBatchSize: '"150 rows"',
      instanceCount: 1,
      maxConcurrencyPerInstance: 2,
      entryScript: 'ids.mjs',
    });
    const { cli, runDir } = await runTabularJob(dir, 'rows', yaml);
    expect(cli.exit?.code, cli.describeOutput()).toBe(0);

    const lines = await readLines(join(dir, 'out', 'result.txt'));
    const byId = new Map(lines.map((line) => [Number(line.split(' ')[0]), line]));
    expect(lines).toHaveLength(TOTAL_ROWS);
    const sizes = new Map<number, number>();
    for (let id = 0; id < TOTAL_ROWS; id++) {
      const line = byId.get(id);
      // append_row: space-separated, a text with spaces quoted, null empty, booleans as Python prints them.
      const text = label(id) === null ? '' : `"${label(id)}"`;
      const bool = flag(id) === null ? '' : flag(id) ? 'True' : 'False';
      const match = line?.match(/^(\d+) (""|"[^"]*"|) (True|False|) (\d+) (\d+)$/);
      expect(match, `line of id ${id}: ${line}`).toBeTruthy();
      expect(line!.startsWith(`${id} ${text} ${bool} `), `line of id ${id}: ${line}`).toBe(true);
      sizes.set(Number(match![4]), Number(match![5]));
    }
    expect([...sizes.entries()].sort(([a], [b]) => a - b).map(([, rows]) => rows)).toEqual([200, 100, 50]);
    expect(cli.stdout).toContain(`${TOTAL_ROWS}/${TOTAL_ROWS} items succeeded`);
    const summary = await readSummary(runDir);
    expect(summary.items).toEqual({ total: TOTAL_ROWS, succeeded: TOTAL_ROWS, failed: 0 });
    expect(summary.miniBatches.total).toBe(3);
  }, 60_000);
});
