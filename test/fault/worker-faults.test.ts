/**
 * Faults inside a job's workers, over real processes (a coordinator and a node started through
 * bin/parajob.js, loopback gRPC): a run() that hangs, a worker SIGKILLed mid-batch (by chaos, every
 * attempt; and from outside), init() that always throws, and a cancelled job. Each checks the
 * append_row output line by line and what the reports say.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { checkOutputFile, describeLineCheck, isExact } from '../../cluster/fault/exactly-once.js';
import { FaultCluster } from '../../cluster/fault/fault-cluster.js';
import {
  readAttempts,
  readDroppedResults,
  readJobError,
  readJobResult,
  readSummary,
} from '../../cluster/fault/run-reports.js';
import { JobState } from '../../src/gen/parajob/v1/parajob.js';
import { assertBuilt, runCli } from '../helpers/cli-process.js';
import { acceptedRowsFile, type FaultWorkspace, makeFaultWorkspace, namesOf, writeFaultJob } from './support.js';

describe('worker faults', () => {
  let workspace: FaultWorkspace;
  let cluster: FaultCluster;

  beforeAll(async () => {
    assertBuilt();
    workspace = await makeFaultWorkspace('worker', 40);
    cluster = await FaultCluster.start({ dir: join(workspace.dir, 'cluster') });
    await cluster.startNode({ name: 'w1', cores: 2 });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('times out a run() that hangs on its first attempt, retries it, and writes every line once', async () => {
    const { spec, output } = await writeFaultJob(workspace, { name: 'hang', miniBatchSize: 4, timeoutS: 1 });
    const job = await cluster.submit(spec, { chaos: 'hang:mb=2:attempt=1' });
    const final = await job.end();
    expect(final.state, job.describe()).toBe(JobState.JOB_STATE_SUCCEEDED);
    const check = await checkOutputFile(output, workspace.names);
    expect(isExact(check), describeLineCheck(check)).toBe(true);
    const attempts = (await readAttempts(job.runDir)).filter((row) => row.miniBatchId === 2);
    expect(attempts.map((row) => [row.attempt, row.status])).toEqual([
      [1, 'RUN_TIMEOUT'],
      [2, 'RUN_DONE'],
    ]);
    expect(attempts[0]?.errorMessage).toMatch(/did not return within 1000 ms/);
  });

  it.each([
    { threshold: -1, state: JobState.JOB_STATE_SUCCEEDED },
    { threshold: 0, state: JobState.JOB_STATE_FAILED },
  ])(
    'fails a mini-batch whose worker is killed in every attempt after max_retries + 1; mini_batch_error_threshold $threshold decides',
    async ({ threshold, state }) => {
      const { spec, output } = await writeFaultJob(workspace, {
        name: `crash-${threshold < 0 ? 'ignored' : 'fatal'}`,
        miniBatchSize: 4,
        maxRetries: 2,
        miniBatchErrorThreshold: threshold,
        // One processor: the job cannot finish the other mini-batches before the threshold trips.
        concurrency: 1,
      });
      const job = await cluster.submit(spec, { chaos: 'crash:mb=3' });
      const final = await job.end();
      expect(final.state, job.describe()).toBe(state);
      const crashed = (await readAttempts(job.runDir)).filter((row) => row.miniBatchId === 3);
      expect(crashed.map((row) => [row.attempt, row.status])).toEqual([
        [1, 'WORKER_CRASHED'],
        [2, 'WORKER_CRASHED'],
        [3, 'WORKER_CRASHED'],
      ]);
      expect(crashed[0]?.errorMessage).toMatch(/signal SIGKILL/);
      const result = await readJobResult(job.runDir);
      if (state === JobState.JOB_STATE_SUCCEEDED) {
        expect(result).toMatch(/succeeded with errors.*9 of 10 mini batches succeeded, 1 failed/);
        // Every line but the failed mini-batch's, each once.
        const check = await checkOutputFile(output, workspace.names);
        expect(check.lost.sort()).toEqual(namesOf(workspace, 4, 3));
        expect(check.duplicated).toEqual([]);
        expect(check.unexpected).toEqual([]);
      } else {
        expect(result).toMatch(/The mini_batch_error_threshold of 0 was exceeded: 1 failed mini-batches/);
        expect(result).toMatch(/mini-batch 3 \(attempt 3\): WorkerCrashed: worker process exited with signal SIGKILL/);
        const check = await checkOutputFile(acceptedRowsFile(output, final.state), workspace.names);
        expect(check.duplicated).toEqual([]);
        expect(check.lost).toEqual(expect.arrayContaining(namesOf(workspace, 4, 3)));
      }
      expect(await readJobError(job.runDir)).toMatch(
        /WorkerCrashed: 3 failed attempt\(s\), 1 mini-batch\(es\) failed after their last attempt/,
      );
      const summary = await readSummary(job.runDir);
      expect(summary.miniBatches.failed).toBe(1);
      expect(summary.attemptFailuresByKind['WorkerCrashed']).toBe(3);
    },
  );

  it('retries the mini-batch of a worker SIGKILLed from outside in the middle of run()', async () => {
    // One processor, so the worker killed is the one in run(): with two, the other (idle) worker dies
    // too and may be handed the retry before its death is noticed. Runs of 20 ms are not pipelined.
    const { spec, output } = await writeFaultJob(workspace, {
      name: 'external-kill',
      miniBatchSize: 4,
      timeoutS: 60,
      concurrency: 1,
      env: { FAULT_SLEEP_MS: '20' },
    });
    // The last mini-batch hangs on its first attempt: once the other nine are done, it is what runs.
    const job = await cluster.submit(spec, { chaos: 'hang:mb=9:attempt=1' });
    await job.until(
      '9 of 10 mini-batches done',
      (tracker) => (tracker.latest?.progress?.miniBatchesSucceeded ?? 0) === 9,
    );
    const killed = await cluster.node('w1').killWorkers();
    expect(killed).toHaveLength(1);
    const final = await job.end();
    expect(final.state, job.describe()).toBe(JobState.JOB_STATE_SUCCEEDED);
    const attempts = (await readAttempts(job.runDir)).filter((row) => row.miniBatchId === 9);
    expect(attempts.map((row) => [row.attempt, row.status])).toEqual([
      [1, 'WORKER_CRASHED'],
      [2, 'RUN_DONE'],
    ]);
    const check = await checkOutputFile(output, workspace.names);
    expect(isExact(check), describeLineCheck(check)).toBe(true);
  });

  it('blames a crash and a hang among pipelined tiny runs on the mini-batch they happened in; the runs behind them go back unrun', async () => {
    // 40 one-file mini-batches on one processor: runs are short, so after the first few each worker
    // holds several runs at once; the faults hit runs with others pipelined behind them.
    const { spec, output } = await writeFaultJob(workspace, {
      name: 'pipelined',
      miniBatchSize: 1,
      concurrency: 1,
      timeoutS: 1,
    });
    const job = await cluster.submit(spec, { chaos: 'crash:mb=20:attempt=1;hang:mb=30:attempt=1' });
    const final = await job.end();
    expect(final.state, job.describe()).toBe(JobState.JOB_STATE_SUCCEEDED);
    const check = await checkOutputFile(output, workspace.names);
    expect(isExact(check), describeLineCheck(check)).toBe(true);
    const attempts = await readAttempts(job.runDir);
    const byBatch = new Map<number, [number, string][]>();
    for (const row of attempts)
      byBatch.set(row.miniBatchId, [...(byBatch.get(row.miniBatchId) ?? []), [row.attempt, row.status]]);
    expect(byBatch.size).toBe(40);
    for (const [id, rows] of byBatch) {
      const expected: [number, string][] =
        id === 20
          ? [
              [1, 'WORKER_CRASHED'],
              [2, 'RUN_DONE'],
            ]
          : id === 30
            ? [
                [1, 'RUN_TIMEOUT'],
                [2, 'RUN_DONE'],
              ]
            : [[1, 'RUN_DONE']];
      expect(rows, `mini-batch ${id}`).toEqual(expected);
    }
  });

  it('fails the job when init() keeps failing, quoting the init error', async () => {
    const { spec } = await writeFaultJob(workspace, {
      name: 'init-fails',
      miniBatchSize: 4,
      concurrency: 1,
      env: { FAULT_INIT_THROWS: 'no model file' },
    });
    const job = await cluster.submit(spec);
    const final = await job.end();
    expect(final.state, job.describe()).toBe(JobState.JOB_STATE_FAILED);
    expect(final.stateReason).toMatch(/init\(\) kept failing.*init exploded: no model file/s);
    const result = await readJobResult(job.runDir);
    expect(result).toMatch(/\(FAILURE_KIND_INIT\)/);
    expect(result).toMatch(/Error: init exploded: no model file/);
    expect(await readJobError(job.runDir)).toMatch(/init\(\) failures: 3/);
  });

  it('cancels a running job with `parajob job cancel`: workers shut down, the output stays consistent', async () => {
    const { spec, output } = await writeFaultJob(workspace, {
      name: 'cancel',
      miniBatchSize: 2,
      env: { FAULT_SLEEP_MS: '150' },
    });
    const job = await cluster.submit(spec);
    await job.until('3 mini-batches done', (tracker) => (tracker.latest?.progress?.miniBatchesSucceeded ?? 0) >= 3);
    const cancel = await runCli(['job', 'cancel', job.jobId, '--coordinator', cluster.address]);
    expect(cancel.exit?.code, cancel.describeOutput()).toBe(0);
    const final = await job.end();
    expect(final.state, job.describe()).toBe(JobState.JOB_STATE_CANCELLED);
    expect(await readJobResult(job.runDir)).toMatch(/was cancelled after .*: cancelled with parajob job cancel/);
    // Kept: the output holds each line at most once, exactly the files of the mini-batches the CSV
    // has as RUN_DONE (not merely as many lines), and not all of them.
    const check = await checkOutputFile(acceptedRowsFile(output, final.state), workspace.names);
    expect(check.duplicated).toEqual([]);
    expect(check.unexpected).toEqual([]);
    const attempts = await readAttempts(job.runDir);
    const done = attempts.filter((row) => row.status === 'RUN_DONE');
    const lines = (await readFile(acceptedRowsFile(output, final.state), 'utf8')).split('\n').filter(Boolean).sort();
    expect(lines).toEqual(done.flatMap((row) => namesOf(workspace, 2, row.miniBatchId)).sort());
    expect(lines.length).toBeLessThan(workspace.names.length);
    // Discarded: the cancel revoked the leases still out (JobEnded); runs that finished in the node's
    // cancel grace sent results that came too late and were dropped: none is RUN_DONE, none in the output.
    const revoked = new Set(
      attempts
        .filter((row) => row.status === 'REVOKED' && row.errorCategory === 'JobEnded')
        .map((row) => row.miniBatchId),
    );
    expect(revoked.size).toBeGreaterThan(0);
    const summary = await readSummary(job.runDir);
    expect(summary.droppedResults).toBeGreaterThan(0);
    await expect.poll(async () => (await readDroppedResults(job.runDir)).length).toBe(summary.droppedResults);
    for (const line of await readDroppedResults(job.runDir)) {
      const miniBatchId = Number(line['miniBatchId']);
      expect(line['reason']).toBe('the step run is over: its leases were revoked');
      expect(revoked.has(miniBatchId)).toBe(true);
      expect(done.some((row) => row.miniBatchId === miniBatchId)).toBe(false);
      for (const name of namesOf(workspace, 2, miniBatchId)) expect(lines).not.toContain(name);
    }
    // shutdown() ran in every worker of the job.
    const logDir = join(job.runDir, 'logs', 'user', 'entry_script_log', 'w1');
    const logs = await Promise.all((await readdir(logDir)).map((file) => readFile(join(logDir, file), 'utf8')));
    expect(logs).toHaveLength(2);
    for (const log of logs) expect(log).toContain('shutdown called');
  });
});
