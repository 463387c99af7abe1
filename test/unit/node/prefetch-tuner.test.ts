import { describe, expect, it } from 'vitest';

import {
  INITIAL_TUNER,
  MAX_PREFETCH,
  MAX_PROCESSOR_QUEUE,
  noteAsked,
  noteGranted,
  noteRun,
  PIPELINE_BUDGET_MS,
  prefetchFor,
  processorQueueFor,
} from '../../../src/node/processor/prefetch-tuner.js';

describe('prefetch tuner', () => {
  it('keeps the configured prefetch until it has measured both a round trip and a run', () => {
    expect(prefetchFor(INITIAL_TUNER, 1)).toBe(1);
    expect(prefetchFor(noteRun(INITIAL_TUNER, 0), 2)).toBe(2);
  });

  it('queues enough leases to cover a round trip when runs are short', () => {
    let tuner = noteGranted(noteAsked(INITIAL_TUNER, 1_000), 1_002, false); // 2 ms round trip
    tuner = noteRun(tuner, 0.25);
    expect(prefetchFor(tuner, 1)).toBe(8);
  });

  it('stays at the configured prefetch for long runs, and never above MAX_PREFETCH', () => {
    const slowRuns = noteRun(noteGranted(noteAsked(INITIAL_TUNER, 0), 5, false), 10_000);
    expect(prefetchFor(slowRuns, 1)).toBe(1);
    const noOps = noteRun(noteGranted(noteAsked(INITIAL_TUNER, 0), 50, false), 0);
    expect(prefetchFor(noOps, 1)).toBe(MAX_PREFETCH);
  });

  it('times only the oldest outstanding request, and keeps timing while leases are still owed', () => {
    let tuner = noteAsked(INITIAL_TUNER, 100);
    tuner = noteAsked(tuner, 150);
    expect(tuner.askedAtMs).toBe(100);
    tuner = noteGranted(tuner, 110, true);
    expect(tuner.roundTripMs).toBe(10);
    expect(tuner.askedAtMs).toBe(110);
    tuner = noteGranted(tuner, 130, false);
    expect(tuner.roundTripMs).toBeCloseTo(10 + 0.2 * (20 - 10));
    expect(tuner.askedAtMs).toBeUndefined();
    expect(noteGranted(tuner, 500, false)).toBe(tuner);
  });

  it('lets a processor queue leases only while runs are short, as many as fit in the pipeline budget', () => {
    expect(processorQueueFor(INITIAL_TUNER)).toBe(1);
    expect(processorQueueFor(noteRun(INITIAL_TUNER, 0))).toBe(1 + MAX_PROCESSOR_QUEUE);
    expect(processorQueueFor(noteRun(INITIAL_TUNER, 0.5))).toBe(1 + PIPELINE_BUDGET_MS / 0.5);
    // A run longer than the budget still gets one queued behind it while it is short.
    expect(processorQueueFor(noteRun(INITIAL_TUNER, 3))).toBe(2);
    expect(processorQueueFor(noteRun(INITIAL_TUNER, 2_000))).toBe(1);
  });
});
