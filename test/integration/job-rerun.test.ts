/**
 * `parajob job rerun` with real processes (a coordinator and a node, through the CLI): a job whose
 * entry script fails some mini-batches while a marker file exists fails; the marker is removed and the
 * job is rerun. The rerun must run only the mini-batches whose rows are not in the first run's output
 * (counted from the run() calls the script logs), and its output must hold every row exactly once.
 * With `restart`, the coordinator is SIGKILLed and started again between the two: what succeeded is
 * then known only from its journal. `job delete` is refused while the rerun runs, then forgets the
 * first job and removes its run directory.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { checkOutputFile, describeLineCheck, isExact, readLines } from '../../cluster/fault/exactly-once.js';
import { FaultCluster } from '../../cluster/fault/fault-cluster.js';
import { JobState } from '../../src/gen/parajob/v1/parajob.js';
import { acceptedRowsFile } from '../fault/support.js';
import { assertBuilt, runCli } from '../helpers/cli-process.js';
import { makeInputFiles, makeTempDir, writeText } from '../helpers/input-files.js';

const FILES = 60;
const MINI_BATCH_SIZE = 3;
const MINI_BATCHES = FILES / MINI_BATCH_SIZE;
/** Mini-batches that fail while the marker exists; the third failure breaks the threshold of 2. */
const FAILING = [3, 10, 17];

/**
 * run() logs its mini-batch id, then fails while RERUN_MARKER exists for the ids in RERUN_FAILING; the
 * first of those waits while RERUN_GATE exists (so a test can hold a rerun open).
 */
const SCRIPT = `import { appendFileSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export async function run(miniBatch, context) {
  appendFileSync(join(process.env.RERUN_LOG, process.pid + '.log'), context.miniBatchId + '\\n');
  const failing = process.env.RERUN_FAILING.split(',').map(Number);
  while (context.miniBatchId === failing[0] && existsSync(process.env.RERUN_GATE)) await sleep(20);
  if (existsSync(process.env.RERUN_MARKER) && failing.includes(context.miniBatchId))
    throw new Error('the marker is there: mini-batch ' + context.miniBatchId + ' fails');
  return miniBatch.map((file) => basename(file));
}
`;

function jobYaml(dir: string): string {
  return [
    'type: parallel',
    'name: rerun-probe',
    'compute: azureml:cpu',
    'inputs:',
    '  files:',
    '    type: uri_folder',
    '    path: ./data',
    'outputs:',
    '  result:',
    '    type: uri_folder',
    'input_data: ${{inputs.files}}',
    `mini_batch_size: "${MINI_BATCH_SIZE}"`,
    'resources:',
    '  instance_count: 1',
    'max_concurrency_per_instance: 1',
    'mini_batch_error_threshold: 2',
    'retry_settings:',
    '  max_retries: 0',
    '  timeout: 30',
    'environment_variables:',
    `  RERUN_LOG: "${join(dir, 'runlog')}"`,
    `  RERUN_MARKER: "${join(dir, 'marker')}"`,
    `  RERUN_GATE: "${join(dir, 'gate')}"`,
    `  RERUN_FAILING: "${FAILING.join(',')}"`,
    'task:',
    '  type: run_function',
    '  code: ./code',
    '  entry_script: probe.mjs',
    '  append_row_to: ${{outputs.result}}',
    '',
  ].join('\n');
}

/** How many times each mini-batch's run() was called, from the script's logs in `dir`. */
async function runCalls(dir: string): Promise<Map<number, number>> {
  const calls = new Map<number, number>();
  for (const name of await readdir(dir)) {
    for (const line of (await readFile(join(dir, name), 'utf8')).split('\n'))
      if (line !== '') calls.set(Number(line), (calls.get(Number(line)) ?? 0) + 1);
  }
  return calls;
}

/** The append_row file of a finished job's status (a succeeded step names its output folder). */
function outputFileOf(status: { readonly outputs: readonly { readonly path: string }[] }): string {
  const path = status.outputs[0]?.path ?? '';
  return path.endsWith('.txt') ? path : join(path, 'parallel_run_step.txt');
}

describe('job rerun', () => {
  let cluster: FaultCluster | undefined;
  let names: string[];
  let workspace: string;

  beforeAll(async () => {
    assertBuilt();
    workspace = await makeTempDir('parajob-rerun-');
    names = await makeInputFiles(join(workspace, 'data'), FILES);
    await writeText(workspace, 'code/probe.mjs', SCRIPT);
  });

  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  it.each([
    { restart: false, title: 'in the same coordinator' },
    { restart: true, title: 'after a coordinator restart (from its journal)' },
  ])(
    'reruns only the mini-batches that did not succeed, every row once, $title',
    async ({ restart }) => {
      const dir = join(workspace, restart ? 'restart' : 'live');
      await mkdir(join(dir, 'runlog'), { recursive: true });
      await writeText(dir, 'marker', 'fail\n');
      const spec = await writeText(workspace, `rerun-${restart ? 'restart' : 'live'}.yml`, jobYaml(dir));
      cluster = await FaultCluster.start({ dir: join(dir, 'cluster') });
      const faults = cluster;
      await faults.startNode({ name: 'n1', cores: 1 });

      const first = await faults.submit(spec);
      const failed = await first.end();
      expect(failed.state, first.describe()).toBe(JobState.JOB_STATE_FAILED);
      // A failed job leaves its output unpublished: its accepted rows are in the partial file beside it.
      const firstRows = new Set(await readLines(acceptedRowsFile(outputFileOf(failed), failed.state)));
      const firstRunCalls = await runCalls(join(dir, 'runlog'));
      for (const id of FAILING.slice(0, 2)) expect(firstRunCalls.get(id)).toBe(1);
      // Which mini-batches succeeded the first time: those whose rows are in its output.
      const succeededFirst = new Set<number>();
      for (let id = 0; id < MINI_BATCHES; id++) {
        const rows = names.slice(id * MINI_BATCH_SIZE, (id + 1) * MINI_BATCH_SIZE);
        if (rows.every((row) => firstRows.has(row))) succeededFirst.add(id);
        else
          expect(
            rows.some((row) => firstRows.has(row)),
            `mini-batch ${id} has part of its rows`,
          ).toBe(false);
      }
      expect(succeededFirst.size).toBeGreaterThan(0);
      expect(succeededFirst.size).toBeLessThan(MINI_BATCHES);

      if (restart) {
        faults.coordinator.signal('SIGKILL');
        await faults.restartCoordinator();
        await faults.node('n1').process.waitFor(/attached to/, 30_000);
      }
      await rm(join(dir, 'marker'));
      await writeText(dir, 'gate', 'hold\n');
      await rename(join(dir, 'runlog'), join(dir, 'runlog-first'));
      await mkdir(join(dir, 'runlog'));

      const rerunCli = await runCli(['job', 'rerun', first.jobId, '--coordinator', faults.address]);
      expect(rerunCli.exit?.code, rerunCli.stderr).toBe(0);
      const rerunId = rerunCli.stdout.trim().split('\n').at(-1) ?? '';
      expect(rerunId).not.toBe(first.jobId);
      // The rerun waits on the gate: deleting the job it reruns is refused meanwhile.
      const refused = await runCli(['job', 'delete', first.jobId, '--coordinator', faults.address]);
      expect(refused.exit?.code).toBe(2);
      expect(refused.stderr).toContain('a rerun of it, is running');
      await rm(join(dir, 'gate'));
      const rerun = faults.follow(rerunId, '');
      const final = await rerun.end();
      expect(final.state, rerun.describe()).toBe(JobState.JOB_STATE_SUCCEEDED);
      expect(final.rerunOf).toBe(first.jobId);
      expect(rerun.hasMessage(new RegExp(`reusing ${succeededFirst.size} of ${MINI_BATCHES} mini-batches`))).toBe(true);

      // Only the mini-batches that did not succeed ran again, each once.
      const again = await runCalls(join(dir, 'runlog'));
      const expected = [...Array(MINI_BATCHES).keys()].filter((id) => !succeededFirst.has(id));
      expect([...again.keys()].sort((a, b) => a - b)).toEqual(expected);
      expect([...again.values()].every((count) => count === 1)).toBe(true);
      const check = await checkOutputFile(outputFileOf(final), names);
      expect(isExact(check), describeLineCheck(check)).toBe(true);

      // Lineage in show and list.
      const show = await runCli(['job', 'show', rerunId, '--coordinator', faults.address]);
      expect(show.stdout).toContain(`Rerun of: ${first.jobId}`);
      const list = await runCli(['job', 'list', '--coordinator', faults.address]);
      expect(list.stdout).toContain(`(rerun of ${first.jobId})`);

      const deleted = await runCli(['job', 'delete', first.jobId, '--coordinator', faults.address]);
      expect(deleted.exit?.code, deleted.stderr).toBe(0);
      expect(existsSync(first.runDir)).toBe(false);
      const gone = await runCli(['job', 'show', first.jobId, '--coordinator', faults.address]);
      expect(gone.exit?.code).toBe(2);
      // The rerun's output is its own: deleting the first job leaves it whole.
      expect(isExact(await checkOutputFile(outputFileOf(final), names))).toBe(true);
    },
    180_000,
  );
});
