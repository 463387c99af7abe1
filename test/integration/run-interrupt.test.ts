/**
 * Ctrl-C through the real CLI. During `parajob run`: the first cancels the job (not abandoned), the
 * nodes stop, exit 1; a second exits 130 at once, killing the nodes. On `parajob job stream`: it stops
 * following with exit 130 and the job runs on.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertBuilt, killAllCli, runCli, spawnCli, startCoordinatorCli } from '../helpers/cli-process.js';
import { makeInputFiles, makeTempDir, writeText } from '../helpers/input-files.js';
import { parallelJobYaml } from '../helpers/job-yaml.js';
import { isRunning } from '../helpers/process-state.js';

let dir: string;
let jobFile: string;

beforeAll(async () => {
  assertBuilt();
  dir = await makeTempDir('parajob-interrupt-');
  await makeInputFiles(join(dir, 'data'), 8);
  // run() blocks until killed, so the job is surely running when the signal arrives.
  await writeText(
    dir,
    'code/stuck.mjs',
    'export function init() {}\nexport function run() { return new Promise(() => {}); }\n',
  );
  jobFile = await writeText(
    dir,
    'job.yml',
    parallelJobYaml({ entryScript: 'stuck.mjs', miniBatchSize: '"2"', timeoutS: 300 }),
  );
});

afterAll(async () => {
  await killAllCli();
});

/** Starts `parajob run` on the stuck job and resolves once its mini-batches are running. */
async function runningJob(dataDir: string) {
  const run = spawnCli(['run', jobFile, '--data-dir', dataDir]);
  await run.waitFor(/running \| mini-batches 0\/4 done, 0 failed, [1-9]\d* running/);
  return run;
}

/** The pid of `parajob run`'s node process, from its log (every line carries it). */
async function nodePid(dataDir: string): Promise<number> {
  const first = (await readFile(join(dataDir, 'nodes', 'node-1.log'), 'utf8')).split('\n')[0] ?? '';
  return Number((JSON.parse(first) as { pid: number }).pid);
}

describe('parajob run interrupted', () => {
  it('cancels the job on SIGINT, stops its nodes and exits 1', async () => {
    const dataDir = join(dir, 'data-dir-once');
    const run = await runningJob(dataDir);

    run.signal('SIGINT');
    const exit = await run.waitForExit(60_000);
    expect(exit.code, run.describeOutput()).toBe(1);
    expect(run.stderr).toContain('Interrupted: cancelling the job');
    expect(run.stdout).toMatch(/Job \S+ cancelled in/);
    // The node was stopped by parajob run, not left behind.
    const nodeLog = await readFile(join(dataDir, 'nodes', 'node-1.log'), 'utf8');
    expect(nodeLog).toMatch(/"msg":"node stopped"/);
  });

  it('exits 130 at once on a second SIGINT, killing its nodes instead of waiting for the cancel', async () => {
    const dataDir = join(dir, 'data-dir-twice');
    const run = await runningJob(dataDir);
    const node = await nodePid(dataDir);
    expect(isRunning(node)).toBe(true);

    run.signal('SIGINT');
    // The cancel cannot complete for 5 s (the node's cancel grace: run() never returns).
    await run.waitFor(/Interrupted: cancelling the job/);
    run.signal('SIGINT');
    const exit = await run.waitForExit(30_000);
    expect(exit.code, run.describeOutput()).toBe(130);
    expect(run.stderr).toContain('Interrupted twice: stopping now.');
    expect(run.stdout).not.toMatch(/Job \S+ cancelled in/);
    // The node process was killed (SIGKILL: no "node stopped" line), not left running.
    await expect.poll(() => isRunning(node), { timeout: 10_000 }).toBe(false);
    expect(await readFile(join(dataDir, 'nodes', 'node-1.log'), 'utf8')).not.toMatch(/"msg":"node stopped"/);
  });
});

describe('parajob job stream interrupted', () => {
  it('stops following on SIGINT with exit 130; the job is still there, not cancelled', async () => {
    const { address } = await startCoordinatorCli(join(dir, 'stream-coordinator'));
    // No node at all: the job waits for one for as long as the test needs.
    const create = await runCli(['job', 'create', '--file', jobFile, '--coordinator', address]);
    expect(create.exit?.code, create.describeOutput()).toBe(0);
    const jobId = create.stdoutLines.at(-1) ?? '';

    const stream = spawnCli(['job', 'stream', jobId, '--coordinator', address]);
    await stream.waitFor(/waiting[^\n]*node/i, 30_000);
    stream.signal('SIGINT');
    const exit = await stream.waitForExit(30_000);
    expect(exit.code, stream.describeOutput()).toBe(130);
    expect(stream.stderr).toMatch(new RegExp(`Stopped following job ${jobId}; it is still `));

    const show = await runCli(['job', 'show', jobId, '--coordinator', address, '--json']);
    expect(show.exit?.code, show.describeOutput()).toBe(0);
    const state = (JSON.parse(show.stdout) as { state: string }).state;
    expect(['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLED']).not.toContain(state);
  });
});
