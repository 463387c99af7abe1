import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { formatJobList, formatJobStatus, formatJobSummary, resultFileOf } from '../../../src/cli/job-status-text.js';
import { FailureKind, JobState, StepState, StepStatus } from '../../../src/gen/parajob/v1/parajob.js';
import { jobStatus, progress } from './fixtures.js';

const runDir = join('/data', 'runs', 'job-7');

describe('formatJobSummary', () => {
  it('says how the job ended, its counts, outputs, logs folder and result file', () => {
    const status = jobStatus({
      jobId: 'job-7',
      state: JobState.JOB_STATE_SUCCEEDED,
      runDir,
      createdAtMs: 1_000,
      endedAtMs: 13_500,
      outputs: [{ name: 'result', path: '/data/runs/job-7/outputs/result/parallel_run_step.txt' }],
      progress: progress({ miniBatchesTotal: 20, miniBatchesSucceeded: 20, itemsTotal: 200, itemsSucceeded: 200 }),
    });
    const text = formatJobSummary(status);
    expect(text.split('\n')).toEqual([
      'Job job-7 succeeded in 12.5s: 20/20 mini-batches succeeded (0 failed), 200/200 items succeeded (0 failed).',
      'Outputs:',
      '  result: /data/runs/job-7/outputs/result/parallel_run_step.txt',
      `Logs: ${join(runDir, 'logs')}`,
      `Result: ${join(runDir, 'logs', 'job_result.txt')}`,
    ]);
  });

  it('gives the failure kind and reason of a failed job, and prefers the coordinator result file', () => {
    const status = jobStatus({
      state: JobState.JOB_STATE_FAILED,
      failureKind: FailureKind.FAILURE_KIND_INIT,
      stateReason: 'init() threw: Error: no model',
      runDir,
      resultFile: '/elsewhere/job_result.txt',
    });
    const text = formatJobSummary(status);
    expect(text).toMatch(/^Job job-1 failed \(init\(\) failed\) in /);
    expect(text).toContain('Reason: init() threw: Error: no model');
    expect(text).toContain('Result: /elsewhere/job_result.txt');
  });

  it('lists each step log folder of a multi-step pipeline', () => {
    const status = jobStatus({
      state: JobState.JOB_STATE_SUCCEEDED,
      runDir,
      steps: [
        {
          ...StepStatus.fromPartial({ type: 'parallel', stepState: StepState.STEP_STATE_SUCCEEDED }),
          name: 'a',
          state: JobState.JOB_STATE_SUCCEEDED,
          runDir: join(runDir, 'steps', 'a'),
          stateReason: '',
          progress: undefined,
        },
        {
          ...StepStatus.fromPartial({ type: 'parallel', stepState: StepState.STEP_STATE_SUCCEEDED }),
          name: 'b',
          state: JobState.JOB_STATE_SUCCEEDED,
          runDir: join(runDir, 'steps', 'b'),
          stateReason: '',
          progress: undefined,
        },
      ],
    });
    const text = formatJobSummary(status);
    expect(text).toContain(`step a (succeeded): ${join(runDir, 'steps', 'a', 'logs')}`);
    expect(text).toContain(`step b (succeeded): ${join(runDir, 'steps', 'b', 'logs')}`);
  });
});

describe('resultFileOf', () => {
  it('falls back to <run dir>/logs/job_result.txt, or nothing without a run dir', () => {
    expect(resultFileOf({ resultFile: '', runDir })).toBe(join(runDir, 'logs', 'job_result.txt'));
    expect(resultFileOf({ resultFile: '', runDir: '' })).toBe('');
  });
});

describe('formatJobStatus', () => {
  it('labels the state, reason, progress and run dir', () => {
    const text = formatJobStatus(
      jobStatus({
        name: 'file-hash',
        state: JobState.JOB_STATE_WAITING_FOR_FIRST_TASK,
        stateReason: 'waiting for 2 nodes',
        runDir,
        createdAtMs: Date.parse('2026-01-01T00:00:00Z'),
      }),
      Date.parse('2026-01-01T00:01:00Z'),
    );
    expect(text).toContain('Job:      job-1 (file-hash)');
    expect(text).toContain('State:    waiting');
    expect(text).toContain('Reason:   waiting for 2 nodes');
    expect(text).toContain('Created:  2026-01-01T00:00:00.000Z');
    expect(text).toContain('Elapsed:  1m 00s');
    expect(text).toContain(`Run dir:  ${runDir}`);
  });
});

describe('formatJobList', () => {
  it('aligns one row per job under a header', () => {
    const lines = formatJobList([
      jobStatus({
        jobId: 'a',
        name: 'first',
        state: JobState.JOB_STATE_SUCCEEDED,
        progress: progress({ miniBatchesTotal: 3, miniBatchesSucceeded: 3 }),
      }),
      jobStatus({
        jobId: 'long-id',
        state: JobState.JOB_STATE_RUNNING,
        progress: progress({ miniBatchesTotal: 10, miniBatchesFailed: 1, miniBatchesSucceeded: 4 }),
      }),
    ]).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^JOB\s+STATE\s+STEPS\s+MINI-BATCHES\s+CREATED\s+NAME$/);
    expect(lines[1]).toMatch(/^a\s+succeeded\s+3\/3\s+first$/);
    expect(lines[2]).toMatch(/^long-id\s+running\s+5\/10$/);
    // Columns line up: STATE starts at the same offset on every row.
    expect(lines[1]!.indexOf('succeeded')).toBe(lines[0]!.indexOf('STATE'));
  });

  it('says so when there are no jobs', () => {
    expect(formatJobList([])).toBe('No jobs.');
  });
});

describe('job names', () => {
  it('are left out where they only repeat the id', () => {
    const status = jobStatus({ jobId: 'job-9', name: 'job-9' });
    expect(formatJobStatus(status)).toContain('Job:      job-9\n');
    expect(formatJobList([status]).split('\n')[1]).toMatch(/^job-9\s+running\s+0\/0$/);
  });
});
