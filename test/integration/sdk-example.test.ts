/**
 * examples/sdk (a command step, a parallel step over files, a tabular parallel step over the table
 * the command wrote) runs as `npm run example:sdk` runs it (esbuild bundles pipeline.ts and
 * word-count.ts beside them, node runs it): once through runLocal (an embedded coordinator and nodes
 * in its process), once through ParajobClient against a `parajob coordinator` with two `parajob node`
 * processes. On that cluster the test then submits the example's pipeline itself (word-count.ts) with
 * a mini-batch that hangs, cancels it once the rest of its step has succeeded, and reruns it through
 * the client: the rerun reuses the command step and the step's succeeded mini-batches.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { wordCount } from '../../examples/sdk/word-count.js';
import { JobState, type JobStatus, type JobStreamEvent, ParajobClient, StepState } from '../../src/sdk/index.js';
import { assertBuilt, killAllCli, REPO_ROOT, startCoordinatorCli, startNodesCli } from '../helpers/cli-process.js';
import { makeTempDir } from '../helpers/input-files.js';

const run = promisify(execFile);
const COMPILED = join(REPO_ROOT, 'examples', 'sdk', '.pipeline.mjs');

/** Runs the compiled example with `env`; resolves with its stdout (rejects on a non-zero exit). */
async function runExample(env: NodeJS.ProcessEnv): Promise<string> {
  const { stdout } = await run(process.execPath, [COMPILED], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
  return stdout;
}

function expectScored(stdout: string): void {
  const lines = stdout.split('\n');
  expect(lines).toEqual(
    expect.arrayContaining(['step prepare started', 'step prepare ended', 'step score started', 'step score ended']),
  );
  expect(lines.indexOf('step score started')).toBeGreaterThan(lines.indexOf('step prepare ended'));
  expect(stdout).toMatch(/10 documents scored \(.*parallel_run_step\.txt\):/);
  // "document 1 says hello 1 times": 6 words each.
  for (let index = 1; index <= 10; index++) expect(lines).toContain(`  doc${index}.txt 6`);
  // The tabular step: every row of the table once ("doc3,hello,3" → "doc3 hello-hello-hello").
  expect(lines).toEqual(expect.arrayContaining(['step score_table started', 'step score_table ended']));
  expect(stdout).toMatch(/10 table rows read \(.*parallel_run_step\.txt\):/);
  for (let index = 1; index <= 10; index++)
    expect(lines).toContain(`  doc${index} ${Array.from({ length: index }, () => 'hello').join('-')}`);
}

describe('examples/sdk', () => {
  let dir: string;
  beforeAll(async () => {
    assertBuilt();
    dir = await makeTempDir('parajob-sdk-example-');
    await build({
      entryPoints: [join(REPO_ROOT, 'examples', 'sdk', 'pipeline.ts')],
      outfile: COMPILED,
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      logLevel: 'warning',
    });
  });
  afterAll(() => killAllCli());

  it('runs through runLocal and reads its output', async () => {
    expectScored(await runExample({ PARAJOB_DATA_DIR: join(dir, 'local'), PARAJOB_COORDINATOR: '' }));
  }, 150_000);

  describe('on a coordinator with two nodes', () => {
    let address: string;
    let client: ParajobClient;
    beforeAll(async () => {
      ({ address } = await startCoordinatorCli(join(dir, 'coordinator')));
      await startNodesCli(address, ['n1', 'n2'], { dir, compute: 'cpu-cluster' });
      client = new ParajobClient({ address });
    });
    afterAll(() => client?.close());

    it('runs through ParajobClient: every step streamed from start to end', async () => {
      const stdout = await runExample({ PARAJOB_COORDINATOR: address });
      expect(stdout).toContain(`to ${address}`);
      expectScored(stdout);
    }, 150_000);

    it('cancels a submission whose mini-batch hangs, and reruns it reusing what succeeded', async () => {
      // Mini-batch 2 (of score's 0-2, and of score_table's 0-3) hangs in every attempt.
      const { jobId } = await client.jobs.createOrUpdate(wordCount({ count: 10 }), { chaos: 'hang:mb=2' });
      for await (const event of client.jobs.stream(jobId)) {
        if (event.type === 'status' && (stepOf(event.status, 'score')?.progress?.miniBatchesSucceeded ?? 0) >= 2) break;
      }
      await client.jobs.cancel(jobId, 'cancelled by the SDK example test');
      const cancelled = await client.jobs.wait(jobId);
      expect(cancelled.state).toBe(JobState.JOB_STATE_CANCELLED);
      expect(stepOf(cancelled, 'prepare')?.stepState).toBe(StepState.STEP_STATE_SUCCEEDED);
      expect(stepOf(cancelled, 'score')?.stepState).toBe(StepState.STEP_STATE_CANCELLED);

      const rerun = await client.jobs.rerun(jobId);
      expect(rerun.rerunOf).toBe(jobId);
      const events: JobStreamEvent[] = [];
      for await (const event of client.jobs.stream(rerun.jobId)) events.push(event);
      const final = await client.jobs.get(rerun.jobId);
      expect(final.state, final.stateReason).toBe(JobState.JOB_STATE_SUCCEEDED);
      expect(final.rerunOf).toBe(jobId);
      const prepare = stepOf(final, 'prepare');
      expect(prepare?.stepState).toBe(StepState.STEP_STATE_REUSED);
      expect(prepare?.reusedFrom).toContain(jobId);
      const logs = events.flatMap((event) => (event.type === 'log' ? [event.text] : []));
      expect(logs).toContainEqual(
        expect.stringMatching(/reusing 2 of 3 mini-batches that succeeded in \S+; 1 run again/),
      );
      const ended = events.flatMap((event) => (event.type === 'stepEnded' ? [event.step.name] : []));
      expect(ended.sort()).toEqual(['prepare', 'score', 'score_table']);

      const scores = final.outputs.find((output) => output.name === 'scores');
      const rows = (await readFile(scores?.path ?? '', 'utf8')).split('\n').filter(Boolean).sort();
      expect(rows).toEqual(Array.from({ length: 10 }, (_, index) => `doc${index + 1}.txt 6`).sort());
      const greetings = final.outputs.find((output) => output.name === 'greetings');
      expect((await readFile(greetings?.path ?? '', 'utf8')).split('\n').filter(Boolean)).toHaveLength(10);
    }, 150_000);
  });
});

function stepOf(status: JobStatus, name: string) {
  return status.steps.find((step) => step.name === name);
}
