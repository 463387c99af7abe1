/**
 * `parajob run` options through the real CLI: --nodes N starts N node processes whatever
 * instance_count says (the job still takes instance_count of them), and --json prints the final status
 * as the only thing on stdout; a job file naming data and code beside its own folder (`../data`, as
 * Azure's samples do) runs from that folder, outside any path root (the run's coordinator is private).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertBuilt, killAllCli, runCli } from '../helpers/cli-process.js';
import { makeInputFiles, makeTempDir, writeText } from '../helpers/input-files.js';
import { LIST_FILES_SCRIPT, parallelJobYaml } from '../helpers/job-yaml.js';
import { readSummary } from '../helpers/tabular-job.js';

let dir: string;
let names: string[];

beforeAll(async () => {
  assertBuilt();
  dir = await makeTempDir('parajob-run-options-');
  names = await makeInputFiles(join(dir, 'data'), 12);
  await writeText(dir, 'code/list.mjs', LIST_FILES_SCRIPT);
});

afterAll(async () => {
  await killAllCli();
});

describe('parajob run options', () => {
  it('--nodes 3 --json: three node processes for a job of instance_count 2, only the JSON status on stdout', async () => {
    const file = await writeText(
      dir,
      'job.yml',
      parallelJobYaml({ instanceCount: 2, miniBatchSize: '"3"', appendRowFile: './out/result.txt' }),
    );
    const dataDir = join(dir, 'data-dir');
    const runDir = join(dir, 'run');
    const run = await runCli(['run', file, '--nodes', '3', '--json', '--data-dir', dataDir, '--run-dir', runDir]);
    expect(run.exit?.code, run.describeOutput()).toBe(0);

    // --nodes: three node processes started (each wrote its log; whether the third registered before
    // the job was over depends on timing, so that is not asserted).
    expect(run.stderr).toContain("started 3 nodes of compute 'cpu'");
    const logs = (await readdir(join(dataDir, 'nodes'))).sort();
    expect(logs).toEqual(['node-1.log', 'node-2.log', 'node-3.log']);
    const pids = new Set<number>();
    for (const log of logs) {
      const text = await readFile(join(dataDir, 'nodes', log), 'utf8');
      expect(text).toMatch(/"msg":"node starting"/);
      pids.add((JSON.parse(text.split('\n')[0] ?? '') as { pid: number }).pid);
    }
    expect(pids.size).toBe(3);
    // The job itself took instance_count (2) of them.
    expect((await readSummary(runDir)).nodes).toHaveLength(2);

    // --json: stdout is one JSON document, nothing else (the submission line went to stderr).
    const status = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(status).toMatchObject({
      state: 'JOB_STATE_SUCCEEDED',
      runDir,
      progress: { miniBatchesTotal: 4, miniBatchesSucceeded: 4, itemsSucceeded: 12 },
    });
    expect(run.stderr).toMatch(new RegExp(`Job ${String(status['jobId'])} submitted`));
    expect(JSON.stringify(status['outputs'])).toContain(join(dir, 'out', 'result.txt'));
    const rows = (await readFile(join(dir, 'out', 'result.txt'), 'utf8')).split('\n').filter(Boolean);
    expect(rows.sort()).toEqual(names);
  }, 90_000);

  it("runs a job whose inputs, code and output lie outside the job file's folder and the current folder", async () => {
    const jobDir = join(dir, 'jobs', 'nested');
    const file = await writeText(
      jobDir,
      'job.yml',
      parallelJobYaml({ inputPath: '../../data', code: '../../code', appendRowFile: '../../out/outside.txt' }),
    );
    const run = await runCli(['run', file, '--data-dir', join(jobDir, '.parajob')], { cwd: jobDir });
    expect(run.exit?.code, run.describeOutput()).toBe(0);
    const rows = (await readFile(join(dir, 'out', 'outside.txt'), 'utf8')).split('\n').filter(Boolean);
    expect(rows.sort()).toEqual(names);
  }, 90_000);

  it('--force-rerun on a standalone parallel file (which has no settings key) runs the job', async () => {
    const file = await writeText(
      dir,
      'forced.yml',
      parallelJobYaml({ instanceCount: 1, miniBatchSize: '"6"', appendRowFile: './forced/result.txt' }),
    );
    const run = await runCli(['run', file, '--force-rerun', '--json', '--data-dir', join(dir, 'forced-data')]);
    expect(run.exit?.code, run.describeOutput()).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      state: 'JOB_STATE_SUCCEEDED',
      progress: { miniBatchesTotal: 2, miniBatchesSucceeded: 2, itemsSucceeded: 12 },
    });
  }, 90_000);
});
