/**
 * How attempts show on the timeline and in the metrics buckets: a failed attempt followed by another
 * is retried, the last failed one is failed, REVOKED and RETURNED are revoked, live leases run.
 */
import { describe, expect, it } from 'vitest';

import type { AttemptView, StepLive } from '../../../src/web/api-types.js';
import { metricsBuckets, timelineView } from '../../../src/web/step-metrics.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

function attempt(
  miniBatchId: number,
  attemptNumber: number,
  status: string,
  startS: number,
  elapsedS = 1,
): AttemptView {
  return {
    miniBatchId,
    attempt: attemptNumber,
    node: 'n1',
    process: `process00${miniBatchId % 2}`,
    startTime: new Date(T0 + startS * 1000).toISOString(),
    total: 2,
    succeeded: status === 'RUN_DONE' ? 2 : 0,
    failed: status === 'RUN_DONE' ? 0 : 2,
    elapsedS,
    runS: elapsedS / 2,
    status,
    errorCategory: '',
    errorMessage: '',
  };
}

const ATTEMPTS = [
  attempt(0, 1, 'RUN_DONE', 0),
  attempt(1, 1, 'RUN_EXCEPTION', 0),
  attempt(1, 2, 'RUN_TIMEOUT', 2),
  attempt(2, 1, 'WORKER_CRASHED', 1),
  attempt(3, 1, 'REVOKED', 1),
  attempt(3, 2, 'RUN_DONE', 3, 4),
];

const LIVE: StepLive = {
  total: 5,
  pending: 0,
  leased: 1,
  succeeded: 2,
  failed: 1,
  retries: 2,
  itemsSucceeded: 4,
  itemsFailed: 2,
  leases: [{ miniBatchId: 2, attempt: 2, nodeId: 'n2', grantedAtMs: T0 + 5_000 }],
  nodes: [],
};

describe('the timeline', () => {
  it('classifies each attempt and draws live leases as running, one lane per node and process', () => {
    const view = timelineView(ATTEMPTS, { live: LIVE }, { nowMs: T0 + 10_000, tailOnly: false });
    const status = Object.fromEntries(
      view.lanes.flatMap((lane) => lane.bars.map((bar) => [`${bar.miniBatchId}.${bar.attempt}`, bar.status])),
    );
    expect(status).toEqual({
      '0.1': 'done',
      '1.1': 'retried',
      '1.2': 'failed',
      '2.1': 'retried',
      '2.2': 'running',
      '3.1': 'revoked',
      '3.2': 'done',
    });
    expect(view.counts).toEqual({ running: 1, done: 2, failed: 1, retried: 2, revoked: 1 });
    expect(view.lanes.map((lane) => [lane.node, lane.process])).toEqual([
      ['n1', 'process000'],
      ['n1', 'process001'],
      ['n2', ''],
    ]);
    expect([view.fromMs, view.toMs]).toEqual([T0, T0 + 10_000]);
  });

  it('counts a failed attempt as retried while the step runs and a retry is still allowed', () => {
    const failedOnce = [attempt(5, 1, 'RUN_EXCEPTION', 0), attempt(6, 2, 'RUN_EXCEPTION', 0)];
    const statuses = (view: ReturnType<typeof timelineView>) =>
      view.lanes.flatMap((lane) => lane.bars.map((bar) => `${bar.miniBatchId}:${bar.status}`)).sort();
    const running = timelineView(failedOnce, { live: undefined, retriesQueuedUpTo: 1 }, { nowMs: T0, tailOnly: false });
    expect(statuses(running)).toEqual(['5:retried', '6:failed']);
    const ended = timelineView(failedOnce, { live: undefined }, { nowMs: T0, tailOnly: false });
    expect(statuses(ended)).toEqual(['5:failed', '6:failed']);
  });

  it('filters by status', () => {
    const view = timelineView(ATTEMPTS, { live: LIVE }, { nowMs: T0 + 10_000, tailOnly: false, status: 'retried' });
    expect(view.lanes.flatMap((lane) => lane.bars.map((bar) => bar.miniBatchId)).sort()).toEqual([1, 2]);
    expect(view.counts.done).toBe(2);
  });
});

describe('the metrics buckets', () => {
  it('counts endings, items and run() time per bucket, and done mini-batches so far', () => {
    const { bucketMs, buckets } = metricsBuckets(ATTEMPTS, { live: LIVE }, { nowMs: T0 + 10_000, running: false });
    expect(bucketMs).toBe(1_000);
    // The last attempt ends at 7 s: seven one-second buckets.
    expect(buckets).toHaveLength(7);
    const total = (key: 'done' | 'failed' | 'retried' | 'revoked' | 'items') =>
      buckets.reduce((sum, bucket) => sum + bucket[key], 0);
    expect([total('done'), total('failed'), total('retried'), total('revoked'), total('items')]).toEqual([
      2, 1, 2, 1, 4,
    ]);
    expect(buckets.at(-1)).toMatchObject({ atMs: T0 + 7_000, done: 1, doneTotal: 2, runMeanS: 2, runMaxS: 2 });
    // While running, the series reaches now.
    expect(metricsBuckets(ATTEMPTS, { live: LIVE }, { nowMs: T0 + 10_000, running: true }).buckets).toHaveLength(10);
  });

  it('has no buckets before the first attempt', () => {
    expect(metricsBuckets([], { live: undefined }, { nowMs: T0, running: true }).buckets).toEqual([]);
  });
});
