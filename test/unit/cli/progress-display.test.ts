import { PassThrough } from 'node:stream';

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { formatMessage, PlainProgressDisplay } from '../../../src/cli/progress-display.js';
import { JobState, StepState, StepStatus } from '../../../src/gen/parajob/v1/parajob.js';
import { jobStatus, progress } from './fixtures.js';

function capture(): { stream: PassThrough; lines: () => string[] } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, lines: () => text.split('\n').filter(Boolean) };
}

describe('PlainProgressDisplay', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('prints at once on a state change, then every interval only when the line changed, and at stop', async () => {
    const { stream, lines } = capture();
    const display = new PlainProgressDisplay(stream, 2000);
    display.update(jobStatus({ state: JobState.JOB_STATE_RUNNING, progress: progress({ miniBatchesTotal: 10 }) }));
    expect(lines()).toHaveLength(1);

    display.update(
      jobStatus({
        state: JobState.JOB_STATE_RUNNING,
        progress: progress({ miniBatchesTotal: 10, miniBatchesSucceeded: 4 }),
      }),
    );
    // Same state: nothing until the interval.
    expect(lines()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(lines()).toHaveLength(2);
    expect(lines()[1]).toContain('mini-batches 4/10 done');

    // Unchanged line: the interval prints nothing new.
    await vi.advanceTimersByTimeAsync(6000);
    expect(lines()).toHaveLength(2);

    display.update(
      jobStatus({
        state: JobState.JOB_STATE_RUNNING,
        progress: progress({ miniBatchesTotal: 10, miniBatchesSucceeded: 9 }),
      }),
    );
    display.stop();
    // stop prints the last status, which the interval had not shown yet.
    expect(lines()).toHaveLength(3);
    expect(lines()[2]).toContain('mini-batches 9/10 done');

    const all = lines();
    display.message({ level: 'warn', text: 'late', atMs: 0 });
    display.update(jobStatus({ state: JobState.JOB_STATE_SUCCEEDED }));
    await vi.advanceTimersByTimeAsync(4000);
    expect(lines()).toEqual(all);
  });

  it('does not repeat at stop a line it just printed', () => {
    const { stream, lines } = capture();
    const display = new PlainProgressDisplay(stream, 2000);
    display.update(
      jobStatus({
        state: JobState.JOB_STATE_SUCCEEDED,
        progress: progress({ miniBatchesTotal: 1, miniBatchesSucceeded: 1 }),
      }),
    );
    display.stop();
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toContain('succeeded | mini-batches 1/1 done');
  });

  it('prints what the job waits for as soon as it changes, and messages as their own lines', () => {
    const { stream, lines } = capture();
    const display = new PlainProgressDisplay(stream, 2000);
    display.update(
      jobStatus({
        state: JobState.JOB_STATE_WAITING_FOR_FIRST_TASK,
        stateReason: 'waiting for nodes: 0 of 2 attached',
      }),
    );
    display.update(
      jobStatus({
        state: JobState.JOB_STATE_WAITING_FOR_FIRST_TASK,
        stateReason: 'waiting for nodes: 1 of 2 attached',
      }),
    );
    display.message({ level: 'warn', text: 'node-2 exited', atMs: 0 });
    display.stop();
    expect(lines()[0]).toContain('0 of 2 attached');
    expect(lines()[1]).toContain('1 of 2 attached');
    expect(lines()[2]).toBe('[warn] node-2 exited');
  });

  it('follows each running parallel step of a pipeline on its own line, at once when a step moves on', async () => {
    const { stream, lines } = capture();
    const display = new PlainProgressDisplay(stream, 2000);
    const step = (name: string, stepState: StepState, state: JobState, done = 0) =>
      StepStatus.fromPartial({
        name,
        type: 'parallel',
        stepState,
        state,
        progress: progress({ miniBatchesTotal: 4, miniBatchesSucceeded: done }),
      });
    const pipeline = (...steps: StepStatus[]) => jobStatus({ stateReason: 'running: a, b', steps });
    const waiting = StepState.STEP_STATE_WAITING;
    const running = StepState.STEP_STATE_RUNNING;
    display.update(pipeline(step('a', running, JobState.JOB_STATE_PARTITIONING), step('b', waiting, 0)));
    display.update(pipeline(step('a', running, JobState.JOB_STATE_RUNNING), step('b', waiting, 0)));
    display.update(
      pipeline(step('a', running, JobState.JOB_STATE_RUNNING, 1), step('b', running, JobState.JOB_STATE_RUNNING)),
    );
    expect(lines()).toEqual([
      expect.stringMatching(/^step 'a': partitioning \| mini-batches 0\/4 done/),
      expect.stringMatching(/^step 'a': running \| mini-batches 0\/4 done/),
      expect.stringMatching(/^step 'a': running \| mini-batches 1\/4 done/),
      expect.stringMatching(/^step 'b': running \| mini-batches 0\/4 done/),
    ]);
    // Only b's counts move: only b's line is printed again.
    display.update(
      pipeline(step('a', running, JobState.JOB_STATE_RUNNING, 1), step('b', running, JobState.JOB_STATE_RUNNING, 3)),
    );
    await vi.advanceTimersByTimeAsync(2000);
    expect(lines().slice(4)).toEqual([expect.stringMatching(/^step 'b': running \| mini-batches 3\/4 done/)]);
    display.stop();
  });

  it('prints nothing at stop when no status ever arrived', () => {
    const { stream, lines } = capture();
    new PlainProgressDisplay(stream, 2000).stop();
    expect(lines()).toEqual([]);
  });
});

describe('formatMessage', () => {
  it('prefixes all but info messages with their level', () => {
    expect(formatMessage({ level: 'info', text: 'hello' })).toBe('hello');
    expect(formatMessage({ level: 'error', text: 'bad' })).toBe('[error] bad');
  });
});
