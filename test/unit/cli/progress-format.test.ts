import { describe, expect, it } from 'vitest';

import {
  formatDuration,
  formatProgressLine,
  formatProgressLines,
  formatRate,
  isTerminal,
  progressFields,
} from '../../../src/cli/progress-format.js';
import { JobState, StepState, StepStatus } from '../../../src/gen/parajob/v1/parajob.js';
import { jobStatus, progress } from './fixtures.js';

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [850, '850ms'],
    [12_340, '12.3s'],
    [59_940, '59.9s'],
    [60_000, '1m 00s'],
    [245_000, '4m 05s'],
    [3_600_000, '1h 00m'],
    [7_380_000, '2h 03m'],
    [100_800_000, '1d 04h'],
    [-1, '--'],
    [Number.NaN, '--'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('formatRate', () => {
  it.each([
    [0, '--'],
    [0.25, '0.25/s'],
    [3.24, '3.2/s'],
    [42.26, '42.3/s'],
    [140.4, '140/s'],
  ])('%d → %s', (rate, text) => {
    expect(formatRate(rate)).toBe(text);
  });
});

describe('isTerminal', () => {
  it.each([
    [JobState.JOB_STATE_SUCCEEDED, true],
    [JobState.JOB_STATE_FAILED, true],
    [JobState.JOB_STATE_CANCELLED, true],
    [JobState.JOB_STATE_RUNNING, false],
    [JobState.JOB_STATE_FINISHING, false],
    [JobState.JOB_STATE_WAITING_FOR_FIRST_TASK, false],
  ])('state %d → %s', (state, terminal) => {
    expect(isTerminal(state)).toBe(terminal);
  });
});

describe('formatProgressLine', () => {
  it('shows mini-batches done/failed/running/total, items, rate, ETA and nodes', () => {
    const status = jobStatus({
      progress: progress({
        miniBatchesTotal: 286,
        miniBatchesSucceeded: 11,
        miniBatchesFailed: 1,
        miniBatchesRunning: 4,
        itemsTotal: 2000,
        itemsSucceeded: 77,
        itemsFailed: 7,
        ratePerS: 3.2,
        etaMs: 88_000,
        nodesActive: 2,
        nodesWanted: 2,
      }),
    });
    expect(formatProgressLine(status)).toBe(
      'running | mini-batches 12/286 done, 1 failed, 4 running | items 84/2000 (7 failed) | 3.2/s | ETA 1m 28s | nodes 2/2',
    );
  });

  it('appends what a waiting job waits for', () => {
    const status = jobStatus({
      state: JobState.JOB_STATE_WAITING_FOR_FIRST_TASK,
      stateReason: "waiting for nodes of compute 'cpu': 1 of 3 attached",
      progress: progress({ nodesActive: 1, nodesWanted: 3 }),
    });
    const line = formatProgressLine(status);
    expect(line.startsWith('waiting |')).toBe(true);
    expect(line).toContain('nodes 1/3');
    expect(line.endsWith("| waiting for nodes of compute 'cpu': 1 of 3 attached")).toBe(true);
  });

  it('drops the reason and the ETA once the job ended', () => {
    const status = jobStatus({
      state: JobState.JOB_STATE_FAILED,
      stateReason: 'init() failed',
      progress: progress({ etaMs: 5000 }),
    });
    const fields = progressFields(status);
    expect(fields.note).toBe('');
    expect(fields.eta).toBe('--');
    expect(formatProgressLine(status)).not.toContain('init() failed');
  });

  it('counts retries only when there are some', () => {
    expect(formatProgressLine(jobStatus({ progress: progress({ retries: 3 }) }))).toContain('3 retries');
    expect(formatProgressLine(jobStatus())).not.toContain('retries');
  });

  it('treats a status without progress as zeros', () => {
    const { progress: _omitted, ...rest } = jobStatus();
    expect(formatProgressLine({ ...rest, progress: undefined })).toContain('mini-batches 0/0 done');
  });
});

describe('formatProgressLines', () => {
  const step = (name: string, type: string, stepState: StepState, withProgress = true) =>
    StepStatus.fromPartial({
      name,
      type,
      stepState,
      state: JobState.JOB_STATE_RUNNING,
      ...(withProgress ? { progress: progress({ miniBatchesTotal: 5, miniBatchesSucceeded: 2 }) } : {}),
    });

  it('is the one job line for a job of one step', () => {
    const status = jobStatus({ steps: [step('only', 'parallel', StepState.STEP_STATE_RUNNING)] });
    expect(formatProgressLines(status)).toEqual([{ key: '', line: formatProgressLine(status) }]);
  });

  it('is one line per running parallel step of a pipeline, keyed by step; command steps have none', () => {
    const status = jobStatus({
      steps: [
        step('prep', 'command', StepState.STEP_STATE_SUCCEEDED),
        step('left', 'parallel', StepState.STEP_STATE_RUNNING),
        step('right', 'command', StepState.STEP_STATE_RUNNING),
        step('checking', 'parallel', StepState.STEP_STATE_RUNNING, false),
        step('later', 'parallel', StepState.STEP_STATE_WAITING),
      ],
    });
    const lines = formatProgressLines(status);
    expect(lines.map((line) => line.key)).toEqual(['left']);
    expect(lines[0]?.line).toMatch(/^step 'left': running \| mini-batches 2\/5 done/);
  });

  it('is the job line once the pipeline ended', () => {
    const status = jobStatus({
      state: JobState.JOB_STATE_SUCCEEDED,
      steps: [
        step('a', 'parallel', StepState.STEP_STATE_SUCCEEDED),
        step('b', 'parallel', StepState.STEP_STATE_SUCCEEDED),
      ],
    });
    expect(formatProgressLines(status).map((line) => line.key)).toEqual(['']);
  });
});
