/**
 * The cluster as a user runs it: `parajob coordinator`, two `parajob node` processes, then
 * `parajob job create` and `parajob job stream`, all separate OS processes over loopback gRPC.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertBuilt, killAllCli, runCli, startCoordinatorCli, startNodesCli } from '../helpers/cli-process.js';
import { makeInputFiles, makeTempDir, writeText } from '../helpers/input-files.js';
import { LIST_FILES_SCRIPT, parallelJobYaml } from '../helpers/job-yaml.js';

const FILES = 2000;
const MINI_BATCH_SIZE = 7;
const MINI_BATCHES = Math.ceil(FILES / MINI_BATCH_SIZE);

describe('a coordinator and 2 nodes started as CLI processes', () => {
  let dir: string;
  let address: string;
  let names: string[];

  beforeAll(async () => {
    assertBuilt();
    dir = await makeTempDir('parajob-cluster-');
    names = await makeInputFiles(join(dir, 'data'), FILES);
    await writeText(dir, 'code/list.mjs', LIST_FILES_SCRIPT);
    await writeText(
      dir,
      'job.yml',
      parallelJobYaml({
        compute: 'cpu-cluster',
        miniBatchSize: `"${MINI_BATCH_SIZE}"`,
        instanceCount: 2,
        maxConcurrencyPerInstance: 2,
        appendRowFile: './out/rows.txt',
      }),
    );
    ({ address } = await startCoordinatorCli(join(dir, 'coordinator')));
    await startNodesCli(address, ['n1', 'n2'], { dir, compute: 'cpu-cluster' });
  });

  afterAll(async () => {
    await killAllCli();
  });

  it('runs a 2,000-file job: every file once in the output, reports that agree, both nodes working', async () => {
    const create = await runCli(['job', 'create', '--file', join(dir, 'job.yml'), '--coordinator', address]);
    expect(create.exit?.code, create.describeOutput()).toBe(0);
    const jobId = create.stdoutLines.at(-1) ?? '';
    expect(jobId).toMatch(/^\S+$/);
    const runDir = /run directory (\S+)/.exec(create.stdout)?.[1] ?? '';
    expect(runDir).not.toBe('');

    const stream = await runCli(['job', 'stream', jobId, '--coordinator', address], { timeoutMs: 120_000 });
    expect(stream.exit?.code, stream.describeOutput()).toBe(0);
    expect(stream.stdout).toContain(`Job ${jobId} succeeded`);
    expect(stream.stdout).toContain(join(dir, 'out', 'rows.txt'));
    expect(stream.stdout).toContain(join(runDir, 'logs'));

    // Every file's line exactly once.
    const rows = (await readFile(join(dir, 'out', 'rows.txt'), 'utf8')).split('\n').filter(Boolean);
    expect(rows).toHaveLength(FILES);
    expect([...rows].sort()).toEqual([...names].sort());

    // The CSV: one successful attempt per mini-batch, items adding up, work on both nodes.
    const csv = parse(await readFile(join(runDir, 'logs', 'sys', 'job_report', 'processed_mini-batches.csv'), 'utf8'), {
      columns: true,
    }) as Record<string, string>[];
    const done = csv.filter((row) => row.Status === 'RUN_DONE');
    expect(new Set(done.map((row) => row['Mini-batch Id'])).size).toBe(MINI_BATCHES);
    expect(done).toHaveLength(MINI_BATCHES);
    expect(done.reduce((sum, row) => sum + Number(row.Succeeded), 0)).toBe(FILES);
    expect(done.reduce((sum, row) => sum + Number(row.Total), 0)).toBe(FILES);
    const nodesThatWorked = new Set(done.map((row) => row.Node));
    expect(nodesThatWorked.size).toBe(2);

    // The overview tells the same story.
    const overview = await readFile(join(runDir, 'logs', 'job_progress_overview.txt'), 'utf8');
    expect(overview).toContain(`Scheduled ${MINI_BATCHES} mini batches`);
    expect(overview).toContain(`There are ${MINI_BATCHES} tasks with ${FILES} items.`);
    expect(overview).toContain(`Processed ${MINI_BATCHES} of ${MINI_BATCHES} mini batches`);

    // show and list agree with the stream.
    const show = await runCli(['job', 'show', jobId, '--json', '--coordinator', address]);
    expect(show.exit?.code).toBe(0);
    const status = JSON.parse(show.stdout) as {
      status: string;
      state: string;
      progress: { miniBatchesSucceeded: number; itemsSucceeded: number };
    };
    expect(status.state).toBe('JOB_STATE_SUCCEEDED');
    expect(status.status).toBe('succeeded');
    expect(status.progress.miniBatchesSucceeded).toBe(MINI_BATCHES);
    expect(Number(status.progress.itemsSucceeded)).toBe(FILES);
    const list = await runCli(['job', 'list', '--coordinator', address]);
    expect(list.stdout).toMatch(new RegExp(`^${jobId}\\s+succeeded`, 'm'));
  });
});
