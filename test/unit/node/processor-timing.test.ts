/**
 * The processor machine with a fake worker actor and fake timers: queue hold, pipelining and the
 * supervision timings (default backoff and restart intensity) at their exact boundaries.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Actor, createActor } from 'xstate';

import { BatchOutcome, JobAssignment, ProcessorEventKind } from '../../../src/gen/parajob/v1/parajob.js';
import {
  compileJobSettings,
  DEFAULT_INIT_BACKOFF_MS,
  DEFAULT_RESTART_INTENSITY,
  DEFAULT_RESTART_PERIOD_MS,
  type JobSettings,
  MAX_RESTART_BACKOFF_MS,
} from '../../../src/node/job/job-settings.js';
import { processorMachine, QUEUE_HOLD_MS } from '../../../src/node/processor/processor.machine.js';
import { FakeWorkers } from './fake-worker.js';
import { isBounced, isEvent, isIdle, isResult, leaseOf, NoticeRecorder, processorInput } from './processor-harness.js';

/** Settings with every supervision value at its default (the assignment says 0). */
function defaultSettings(assignment: Partial<JobAssignment> = {}): JobSettings {
  return compileJobSettings(
    JobAssignment.fromPartial({
      jobId: 'job-1',
      entryScript: 'score.mjs',
      outputDir: '/nowhere/out',
      logDir: '/nowhere/logs',
      inputKind: 'files',
      maxConcurrency: 1,
      ...assignment,
    }),
    { cores: 1, codeDir: '/nowhere/code', cacheDir: '/nowhere/cache' },
  );
}

const held = (id: number) => ({ lease: leaseOf(id, [`f${id}`]), receivedAtMs: 0 });
const actors: Actor<typeof processorMachine>[] = [];

function startProcessor(workers: FakeWorkers, settings = defaultSettings()) {
  const recorder = new NoticeRecorder();
  const actor = createActor(processorMachine.provide({ actors: { workerProcess: workers.logic } }), {
    input: processorInput(settings, recorder),
  });
  actor.subscribe({ error: (error) => recorder.failures.push(error) });
  actors.push(actor);
  actor.start();
  return { actor, recorder };
}

const count = (recorder: NoticeRecorder, match: Parameters<NoticeRecorder['timesOf']>[0]) =>
  recorder.timesOf(match).length;
const escalated = isEvent(ProcessorEventKind.PROCESSOR_EVENT_KIND_ESCALATED);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  for (const actor of actors.splice(0)) actor.stop();
  vi.useRealTimers();
});

describe('processor machine with a fake worker, on fake timers', () => {
  it('restarts a failing init() after the default backoff, doubling up to its cap, and escalates past the default restart intensity', async () => {
    expect([DEFAULT_INIT_BACKOFF_MS, DEFAULT_RESTART_INTENSITY, DEFAULT_RESTART_PERIOD_MS]).toEqual([100, 10, 60_000]);
    expect(MAX_RESTART_BACKOFF_MS).toBe(5_000);
    const workers = new FakeWorkers((worker) => (worker.spawned(), worker.initFailed()));
    const { actor, recorder } = startProcessor(workers);
    await vi.advanceTimersByTimeAsync(0);
    expect(workers.started).toHaveLength(1);
    // Backoff 100 × 2^(n-1) after the n-th consecutive failure, never above 5 s.
    const backoffs = [100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000, 5_000, 5_000];
    for (const [n, backoffMs] of backoffs.entries()) {
      await vi.advanceTimersByTimeAsync(backoffMs - 1);
      expect(workers.started).toHaveLength(n + 1);
      await vi.advanceTimersByTimeAsync(1);
      expect(workers.started).toHaveLength(n + 2);
    }
    // 11 failures, 11 restarts within 60 s: more than 10, so no 12th worker.
    expect(actor.getSnapshot().value).toBe('escalated');
    expect(count(recorder, isEvent(ProcessorEventKind.PROCESSOR_EVENT_KIND_INIT_FAILED))).toBe(11);
    const [notice] = recorder.notices.map((entry) => entry.notice).filter(escalated);
    expect(notice?.event.message).toBe('more than 10 worker restarts within 60000 ms');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(workers.started).toHaveLength(11);
    expect(recorder.failures).toEqual([]);
  });

  it.each([
    [DEFAULT_RESTART_PERIOD_MS - 1, 'escalates'],
    [DEFAULT_RESTART_PERIOD_MS, 'restarts'],
  ])(
    'an 11th restart %i ms after the first %s (the default restart period counts restarts within 60 s)',
    async (gapMs, outcome) => {
      const workers = new FakeWorkers();
      const { actor, recorder } = startProcessor(workers);
      await vi.advanceTimersByTimeAsync(0);
      // Ten idle workers exit 100 ms apart (the default backoff after an exit that is not an init failure).
      for (let restart = 1; restart <= 10; restart++) {
        workers.last.exit();
        await vi.advanceTimersByTimeAsync(DEFAULT_INIT_BACKOFF_MS);
        expect(actor.getSnapshot().matches({ alive: 'idle' })).toBe(true);
      }
      await vi.advanceTimersByTimeAsync(gapMs - 10 * DEFAULT_INIT_BACKOFF_MS);
      workers.last.exit();
      expect(actor.getSnapshot().value).toBe(outcome === 'escalates' ? 'escalated' : 'restarting');
      expect(count(recorder, escalated)).toBe(outcome === 'escalates' ? 1 : 0);
      expect(count(recorder, isEvent(ProcessorEventKind.PROCESSOR_EVENT_KIND_WORKER_EXITED))).toBe(11);
    },
  );

  it('holds leases queued behind a run for QUEUE_HOLD_MS, then hands them back and bounces later ones', async () => {
    const workers = new FakeWorkers();
    const { actor, recorder } = startProcessor(workers);
    await vi.advanceTimersByTimeAsync(0);
    actor.send({ type: 'processor.run', leases: [held(1), held(2), held(3)] });
    // A new worker's pace is unknown: only the first run is sent.
    expect(workers.last.runsPerWrite()).toEqual([[1]]);
    await vi.advanceTimersByTimeAsync(QUEUE_HOLD_MS - 1);
    expect(count(recorder, isBounced)).toBe(0);
    actor.send({ type: 'processor.run', leases: [held(4)] });
    await vi.advanceTimersByTimeAsync(1);
    const bounced = recorder.notices.map((entry) => entry.notice).filter(isBounced);
    expect(bounced.map((notice) => notice.leases.map((lease) => lease.lease.miniBatchId))).toEqual([[2, 3, 4]]);
    actor.send({ type: 'processor.run', leases: [held(5)] });
    expect(count(recorder, isBounced)).toBe(2);
    // The long run ends: nothing is left to run, the processor is idle again.
    workers.last.answer([1], 60);
    expect(count(recorder, isIdle)).toBe(2);
    expect(count(recorder, isResult)).toBe(1);
  });

  it('pipelines the queue behind a run once runs are short, and hands back runs that never started when the worker dies', async () => {
    const workers = new FakeWorkers();
    const { actor, recorder } = startProcessor(workers);
    await vi.advanceTimersByTimeAsync(0);
    actor.send({ type: 'processor.run', leases: [held(1)] });
    workers.last.answer([1], 1);
    actor.send({ type: 'processor.run', leases: [held(2), held(3), held(4)] });
    // Run 1 took 1 ms: run 2 and the two behind it go to the worker in one write.
    expect(workers.last.runsPerWrite()).toEqual([[1], [2, 3, 4]]);
    workers.last.answer([2], 1);
    workers.last.exit();
    const results = recorder.notices
      .map((entry) => entry.notice)
      .filter(isResult)
      .map(({ result }) => [result.miniBatchId, result.outcome]);
    expect(results).toEqual([
      [1, BatchOutcome.BATCH_OUTCOME_COMPLETED],
      [2, BatchOutcome.BATCH_OUTCOME_COMPLETED],
      [3, BatchOutcome.BATCH_OUTCOME_WORKER_CRASHED],
    ]);
    const [bounced] = recorder.notices.map((entry) => entry.notice).filter(isBounced);
    expect(bounced?.leases.map((lease) => lease.lease.miniBatchId)).toEqual([4]);
    // The next worker starts unpipelined again.
    await vi.advanceTimersByTimeAsync(DEFAULT_INIT_BACKOFF_MS);
    actor.send({ type: 'processor.run', leases: [held(4), held(5)] });
    expect(workers.last.runsPerWrite()).toEqual([[4]]);
  });

  it('hands queued leases back as RETURNED results without the running lease’s pid or start time', async () => {
    const workers = new FakeWorkers();
    const { actor, recorder } = startProcessor(workers);
    await vi.advanceTimersByTimeAsync(0);
    actor.send({ type: 'processor.run', leases: [held(1), held(2)] });
    await vi.advanceTimersByTimeAsync(10);
    actor.send({ type: 'processor.returnQueued' });
    const [returned] = recorder.notices.map((entry) => entry.notice).filter(isResult);
    expect(returned?.result).toMatchObject({
      miniBatchId: 2,
      outcome: BatchOutcome.BATCH_OUTCOME_RETURNED,
      processName: 'process000',
      pid: 0,
      startedAtMs: 0,
    });
    // Run 1 goes on, with its worker's pid.
    workers.last.answer([1]);
    const [, done] = recorder.notices.map((entry) => entry.notice).filter(isResult);
    expect(done?.result).toMatchObject({ miniBatchId: 1, pid: workers.last.pid });
  });
});
