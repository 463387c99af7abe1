/**
 * The error thresholds over real processes (a coordinator and a node started through bin/parajob.js,
 * loopback gRPC), each both ways: exceeded → the job fails and job_result.txt names the threshold, its
 * value, the count over it and the first failed mini-batches; not exceeded → the job succeeds with the
 * failures reported. Plus run() returning fewer items (failed items, not retried) or more (capped,
 * with a warning), and the job-level `--chaos` of the CLI.
 */
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { checkOutputFile, describeLineCheck, isExact } from '../../cluster/fault/exactly-once.js';
import { FaultCluster } from '../../cluster/fault/fault-cluster.js';
import { JobTracker } from '../../cluster/fault/job-tracker.js';
import { readAttempts, readJobError, readJobResult, readSummary } from '../../cluster/fault/run-reports.js';
import { JobState } from '../../src/gen/parajob/v1/parajob.js';
import { assertBuilt, runCli } from '../helpers/cli-process.js';
import { acceptedRowsFile, type FaultWorkspace, makeFaultWorkspace, namesOf, writeFaultJob } from './support.js';

/** 40 files in mini-batches of 4: 10 mini-batches. */
const FILES = 40;
const SIZE = 4;

describe('error thresholds', () => {
  let workspace: FaultWorkspace;
  let cluster: FaultCluster;

  beforeAll(async () => {
    assertBuilt();
    workspace = await makeFaultWorkspace('thresholds', FILES);
    cluster = await FaultCluster.start({ dir: join(workspace.dir, 'cluster') });
    await cluster.startNode({ name: 't1', cores: 2 });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  /** Mini-batches 1 and 2 throw in their only attempt: 2 of 10 mini-batches (20%), 8 items fail. */
  const TWO_FAIL = 'throw:mb=1|2:message=bad row';

  it.each([
    {
      setting: 'mini_batch_error_threshold 1',
      threshold: 1,
      args: undefined,
      fails: /The mini_batch_error_threshold of 1 was exceeded: 2 failed mini-batches\./,
    },
    { setting: 'mini_batch_error_threshold 2', threshold: 2, args: undefined, fails: undefined },
    {
      setting: '--allowed_failed_percent 10',
      threshold: -1,
      args: '--allowed_failed_percent 10',
      fails: /The allowed_failed_percent of 10% was exceeded: 20% of mini-batches failed\./,
    },
    { setting: '--allowed_failed_percent 20', threshold: -1, args: '--allowed_failed_percent 20', fails: undefined },
    {
      setting: '--error_threshold 7',
      threshold: -1,
      args: '--error_threshold 7',
      fails: /The error_threshold of 7 was exceeded: 8 failed items\./,
    },
    { setting: '--error_threshold 8', threshold: -1, args: '--error_threshold 8', fails: undefined },
  ])('two failed mini-batches with $setting', async ({ setting, threshold, args, fails }) => {
    const { spec, output } = await writeFaultJob(workspace, {
      name: `two-fail-${setting.replace(/[^a-z0-9]+/g, '-')}`,
      miniBatchSize: SIZE,
      maxRetries: 0,
      miniBatchErrorThreshold: threshold,
      concurrency: 1,
      ...(args === undefined ? {} : { programArguments: args }),
    });
    const job = await cluster.submit(spec, { chaos: TWO_FAIL });
    const final = await job.end();
    const result = await readJobResult(job.runDir);
    const check = await checkOutputFile(acceptedRowsFile(output, final.state), workspace.names);
    expect(check.duplicated).toEqual([]);
    expect(check.unexpected).toEqual([]);
    if (fails === undefined) {
      expect(final.state, job.describe()).toBe(JobState.JOB_STATE_SUCCEEDED);
      expect(result).toMatch(/succeeded with errors.*8 of 10 mini batches succeeded, 2 failed; 8 of 40 items failed/);
      expect(check.lost.sort()).toEqual([...namesOf(workspace, SIZE, 1), ...namesOf(workspace, SIZE, 2)]);
    } else {
      expect(final.state, job.describe()).toBe(JobState.JOB_STATE_FAILED);
      expect(result).toMatch(/\(FAILURE_KIND_THRESHOLD\)/);
      expect(result).toMatch(fails);
      expect(result).toMatch(
        /First failed mini-batches: mini-batch 1 \(attempt 1\): Error: bad row; mini-batch 2 \(attempt 1\): Error: bad row\./,
      );
      expect(final.stateReason).toMatch(fails);
    }
    expect(await readJobError(job.runDir)).toMatch(
      /Error: 2 failed attempt\(s\), 2 mini-batch\(es\) failed after their last attempt/,
    );
  });

  it.each([
    { threshold: 2, state: JobState.JOB_STATE_FAILED },
    { threshold: 3, state: JobState.JOB_STATE_SUCCEEDED },
  ])(
    'counts items run() did not return against --error_threshold $threshold, without retrying them',
    async ({ threshold, state }) => {
      const { spec, output } = await writeFaultJob(workspace, {
        name: `fewer-${threshold}`,
        miniBatchSize: SIZE,
        concurrency: 1,
        programArguments: `--error_threshold ${threshold}`,
      });
      const job = await cluster.submit(spec, { chaos: 'fewer:mb=0-2:drop=1' });
      const final = await job.end();
      expect(final.state, job.describe()).toBe(state);
      const attempts = await readAttempts(job.runDir);
      for (const id of [0, 1, 2]) {
        const rows = attempts.filter((row) => row.miniBatchId === id);
        expect(rows.map((row) => [row.attempt, row.status, row.succeeded, row.failed, row.errorCategory])).toEqual([
          [1, 'RUN_DONE', 3, 1, 'FewerItems'],
        ]);
      }
      const check = await checkOutputFile(acceptedRowsFile(output, final.state), workspace.names);
      expect(check.duplicated).toEqual([]);
      // run() dropped the last item of mini-batches 0..2: exactly those three lines are missing.
      const dropped = [0, 1, 2].map((id) => namesOf(workspace, SIZE, id).at(-1) as string);
      if (state === JobState.JOB_STATE_SUCCEEDED) expect(check.lost.sort()).toEqual(dropped);
      else {
        expect(await readJobResult(job.runDir)).toMatch(
          /The error_threshold of 2 was exceeded: 3 failed items\. Some mini-batches returned fewer results/,
        );
        expect(check.lost).toEqual(expect.arrayContaining(dropped));
      }
      const summary = await readSummary(job.runDir);
      expect(summary.fewerItems).toEqual({ miniBatches: 3, items: 3 });
      expect(summary.failedAttempts).toBe(0);
      expect(await readJobError(job.runDir)).toMatch(
        /FewerItems: 3 run\(\) call\(s\) returned fewer items than given: 3 failed item\(s\), not retried/,
      );
    },
  );

  it('caps a run() that returns more items than it was given, with a warning in the CSV and the summary', async () => {
    const { spec, output } = await writeFaultJob(workspace, {
      name: 'more',
      miniBatchSize: SIZE,
      programArguments: '--error_threshold 0',
      env: { FAULT_EXTRA_MB: '4' },
    });
    const job = await cluster.submit(spec);
    const final = await job.end();
    expect(final.state, job.describe()).toBe(JobState.JOB_STATE_SUCCEEDED);
    expect(final.progress?.itemsSucceeded).toBe(FILES);
    const row = (await readAttempts(job.runDir)).find((attempt) => attempt.miniBatchId === 4);
    expect(row).toMatchObject({ status: 'RUN_DONE', succeeded: SIZE, failed: 0, errorCategory: 'TooManyItems' });
    expect(row?.errorMessage).toMatch(/run\(\) returned 6 items for 4 inputs; counted 4 as succeeded/);
    const summary = await readSummary(job.runDir);
    expect(summary.tooManyItems).toEqual({ miniBatches: 1, items: 2 });
    expect(summary.items).toEqual({ total: FILES, succeeded: FILES, failed: 0 });
    expect(await readJobResult(job.runDir)).toMatch(
      /Warning: 1 run\(\) call\(s\) returned more items than given \(2 extra, capped\)/,
    );
    // The rows are kept as returned: every input line once, plus the two extra ones.
    const check = await checkOutputFile(output, workspace.names);
    expect(check.lost).toEqual([]);
    expect(check.duplicated).toEqual([]);
    expect(check.unexpected.sort()).toEqual(['extra-4-a', 'extra-4-b']);
  });

  it('takes a job chaos plan from `parajob run --chaos`', async () => {
    const { spec, output } = await writeFaultJob(workspace, {
      name: 'run-chaos',
      miniBatchSize: SIZE,
      programArguments: '--error_threshold 1',
    });
    const bad = await runCli([
      'run',
      spec,
      '--data-dir',
      join(workspace.dir, 'run-data'),
      '--chaos',
      'fewer:drop=zero',
    ]);
    expect(bad.exit?.code, bad.describeOutput()).toBe(2);
    expect(bad.stderr).toMatch(/drop must be a positive integer/);

    const run = await runCli([
      'run',
      spec,
      '--data-dir',
      join(workspace.dir, 'run-data'),
      '--chaos',
      'fewer:mb=5:drop=1',
    ]);
    expect(run.exit?.code, run.describeOutput()).toBe(0);
    expect(run.stderr).toMatch(/warning: fault injection is on for this job \(chaos "fewer:mb=5:drop=1"\)/);
    const check = await checkOutputFile(output, workspace.names);
    expect(check.lost).toEqual(namesOf(workspace, SIZE, 5).slice(-1));
    expect(check.duplicated).toEqual([]);
  });

  it('takes a job chaos plan from `parajob job create --chaos` and refuses one that does not parse', async () => {
    const { spec, output } = await writeFaultJob(workspace, { name: 'cli-chaos', miniBatchSize: SIZE });
    const bad = await runCli([
      'job',
      'create',
      '--file',
      spec,
      '--coordinator',
      cluster.address,
      '--chaos',
      'explode:mb=1',
    ]);
    expect(bad.exit?.code, bad.describeOutput()).toBe(2);
    expect(bad.stderr).toMatch(/unknown fault "explode"/);

    const create = await runCli([
      'job',
      'create',
      '--file',
      spec,
      '--coordinator',
      cluster.address,
      '--chaos',
      'throw:mb=0:attempt=1',
    ]);
    expect(create.exit?.code, create.describeOutput()).toBe(0);
    expect(create.stderr).toMatch(/fault injection is on for this job/);
    const jobId = create.stdoutLines.at(-1) ?? '';
    const runDir = /run directory (\S+)/.exec(create.stdout)?.[1] ?? '';
    const job = new JobTracker(cluster.api, jobId, runDir);
    try {
      const final = await job.end();
      expect(final.state, job.describe()).toBe(JobState.JOB_STATE_SUCCEEDED);
    } finally {
      job.close();
    }
    const attempts = (await readAttempts(runDir)).filter((row) => row.miniBatchId === 0);
    expect(attempts.map((row) => [row.attempt, row.status])).toEqual([
      [1, 'RUN_EXCEPTION'],
      [2, 'RUN_DONE'],
    ]);
    const check = await checkOutputFile(output, workspace.names);
    expect(isExact(check), describeLineCheck(check)).toBe(true);
  });
});
