/**
 * The job timeouts over real processes (a coordinator and a node started through bin/parajob.js,
 * loopback gRPC), each both ways: --first_task_creation_timeout, --progress_update_timeout and
 * --task_overhead_timeout trigger with a clear reason when they should, and not when the job is slow
 * but healthy (the job then outlives the timeout, which the test checks so that it proves something).
 */
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { checkOutputFile, describeLineCheck, isExact } from '../../cluster/fault/exactly-once.js';
import { FaultCluster } from '../../cluster/fault/fault-cluster.js';
import { readAttempts, readJobError, readJobResult } from '../../cluster/fault/run-reports.js';
import { JobState, type JobStatus } from '../../src/gen/parajob/v1/parajob.js';
import { assertBuilt } from '../helpers/cli-process.js';
import { acceptedRowsFile, type FaultWorkspace, makeFaultWorkspace, writeFaultJob } from './support.js';

/** How long the job ran, from its creation to its end, in milliseconds. */
function jobDurationMs(status: JobStatus): number {
  return Number(status.endedAtMs) - Number(status.createdAtMs);
}

describe('job timeouts', () => {
  let workspace: FaultWorkspace;
  let cluster: FaultCluster;

  beforeAll(async () => {
    assertBuilt();
    workspace = await makeFaultWorkspace('timeouts', 20);
    cluster = await FaultCluster.start({ dir: join(workspace.dir, 'cluster') });
    await cluster.startNode({ name: 'c1', cores: 2 });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('fails with first_task_creation_timeout when no node can take the first mini-batch', async () => {
    const { spec } = await writeFaultJob(workspace, {
      name: 'no-nodes',
      miniBatchSize: 2,
      compute: 'gpu-pool',
      programArguments: '--first_task_creation_timeout 1',
    });
    const job = await cluster.submit(spec);
    const final = await job.end();
    expect(final.state, job.describe()).toBe(JobState.JOB_STATE_FAILED);
    expect(final.stateReason).toMatch(
      /First task creation is taking longer than 1 seconds: no mini-batch was handed to a node \(still waiting for 1 more node of compute 'gpu-pool'/,
    );
    expect(await readJobResult(job.runDir)).toMatch(
      /\(FAILURE_KIND_TIMEOUT\): First task creation is taking longer than 1 seconds/,
    );
  });

  it('does not apply first_task_creation_timeout once the first mini-batch is running', async () => {
    const { spec, output } = await writeFaultJob(workspace, {
      name: 'first-task-ok',
      miniBatchSize: 2,
      programArguments: '--first_task_creation_timeout 1',
      env: { FAULT_SLEEP_MS: '300' },
    });
    const job = await cluster.submit(spec);
    const final = await job.end();
    expect(final.state, job.describe()).toBe(JobState.JOB_STATE_SUCCEEDED);
    expect(jobDurationMs(final)).toBeGreaterThan(1_000);
    expect(isExact(await checkOutputFile(output, workspace.names))).toBe(true);
  });

  it('fails with progress_update_timeout when no result comes for that long', async () => {
    // Mini-batch 0 hangs in every attempt, well within retry_settings.timeout: progress stops.
    const { spec, output } = await writeFaultJob(workspace, {
      name: 'stalled',
      miniBatchSize: 2,
      timeoutS: 60,
      programArguments: '--progress_update_timeout 1',
    });
    const job = await cluster.submit(spec, { chaos: 'hang:mb=0' });
    const final = await job.end();
    expect(final.state, job.describe()).toBe(JobState.JOB_STATE_FAILED);
    expect(final.stateReason).toMatch(
      /No progress update in 1 seconds\. 1 mini-batch\(es\) were running; 9 of 10 finished/,
    );
    expect(await readJobResult(job.runDir)).toMatch(/\(FAILURE_KIND_TIMEOUT\): No progress update in 1 seconds/);
    // The hung mini-batch's worker was killed: the other nine mini-batches' rows are there, once.
    const check = await checkOutputFile(acceptedRowsFile(output, final.state), workspace.names);
    expect(check.lost.sort()).toEqual(workspace.names.slice(0, 2));
    expect(check.duplicated).toEqual([]);
  });

  it('does not apply progress_update_timeout while results keep coming', async () => {
    const { spec, output } = await writeFaultJob(workspace, {
      name: 'steady',
      miniBatchSize: 2,
      programArguments: '--progress_update_timeout 1.5',
      env: { FAULT_SLEEP_MS: '400' },
    });
    const job = await cluster.submit(spec);
    const final = await job.end();
    expect(final.state, job.describe()).toBe(JobState.JOB_STATE_SUCCEEDED);
    expect(jobDurationMs(final)).toBeGreaterThan(1_500);
    expect(isExact(await checkOutputFile(output, workspace.names))).toBe(true);
  });

  it.each([
    { maxRetries: 1, threshold: -1, state: JobState.JOB_STATE_SUCCEEDED },
    { maxRetries: 0, threshold: 0, state: JobState.JOB_STATE_FAILED },
  ])(
    'fails an attempt not loaded within task_overhead_timeout (LOAD_TIMEOUT); max_retries $maxRetries',
    async ({ maxRetries, threshold, state }) => {
      const { spec, output } = await writeFaultJob(workspace, {
        name: `overhead-${maxRetries}`,
        miniBatchSize: 2,
        maxRetries,
        miniBatchErrorThreshold: threshold,
        programArguments: '--task_overhead_timeout 0.5',
      });
      const job = await cluster.submit(spec, { chaos: 'hang-load:mb=3:attempt=1' });
      const final = await job.end();
      expect(final.state, job.describe()).toBe(state);
      const attempts = (await readAttempts(job.runDir)).filter((row) => row.miniBatchId === 3);
      expect(attempts[0]).toMatchObject({ attempt: 1, status: 'LOAD_TIMEOUT', errorCategory: 'LoadTimeout' });
      expect(attempts[0]?.errorMessage).toMatch(
        /not loaded and handed to run\(\) within 500 ms \(--task_overhead_timeout\)/,
      );
      expect(await readJobError(job.runDir)).toMatch(/LoadTimeout: 1 failed attempt\(s\)/);
      if (state === JobState.JOB_STATE_SUCCEEDED) {
        expect(attempts.map((row) => [row.attempt, row.status])).toEqual([
          [1, 'LOAD_TIMEOUT'],
          [2, 'RUN_DONE'],
        ]);
        const check = await checkOutputFile(output, workspace.names);
        expect(isExact(check), describeLineCheck(check)).toBe(true);
      } else {
        expect(await readJobResult(job.runDir)).toMatch(
          /mini_batch_error_threshold of 0 was exceeded: 1 failed mini-batches\. First failed mini-batches: mini-batch 3 \(attempt 1\): LoadTimeout/,
        );
      }
    },
  );

  it('does not count run() time or waiting in the prefetch queue against task_overhead_timeout', async () => {
    // Each run() takes 700 ms, over the 0.5 s overhead; prefetched leases wait about as long.
    const { spec, output } = await writeFaultJob(workspace, {
      name: 'overhead-ok',
      miniBatchSize: 5,
      programArguments: '--task_overhead_timeout 0.5',
      env: { FAULT_SLEEP_MS: '700' },
    });
    const job = await cluster.submit(spec);
    const final = await job.end();
    expect(final.state, job.describe()).toBe(JobState.JOB_STATE_SUCCEEDED);
    const attempts = await readAttempts(job.runDir);
    expect(attempts.every((row) => row.status === 'RUN_DONE')).toBe(true);
    expect(attempts).toHaveLength(4);
    expect(isExact(await checkOutputFile(output, workspace.names))).toBe(true);
  });
});
