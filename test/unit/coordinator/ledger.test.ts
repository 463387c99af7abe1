import { describe, expect, it } from 'vitest';

import {
  acceptResult,
  createTokenCounter,
  grantLeases,
  type ResultForLedger,
  revokeAllLeases,
  revokeNodeLeases,
  type TokenSource,
} from '../../../src/coordinator/ledger/decisions.js';
import {
  applyLedgerEvent,
  cloneLedger,
  createLedger,
  isLedgerComplete,
  type Ledger,
  type LedgerEvent,
  LedgerInvariantError,
  MiniBatchState,
} from '../../../src/coordinator/ledger/ledger.js';
import { describeBreach, findThresholdBreach } from '../../../src/coordinator/ledger/thresholds.js';
import { BatchOutcome } from '../../../src/gen/parajob/v1/parajob.js';

const ITEMS_PER_BATCH = 3;

function newLedger(miniBatchCount: number, maxRetries: number): Ledger {
  return createLedger({ miniBatchCount, maxRetries, itemCount: () => ITEMS_PER_BATCH });
}

function applyAll(ledger: Ledger, events: readonly LedgerEvent[]): void {
  for (const event of events) applyLedgerEvent(ledger, event);
}

function grant(ledger: Ledger, tokens: TokenSource, nodeId: string, count: number): LedgerEvent[] {
  const events = grantLeases(ledger, nodeId, count, tokens, 1_000);
  applyAll(ledger, events);
  return events;
}

function resultFor(
  ledger: Ledger,
  miniBatchId: number,
  outcome: BatchOutcome,
  extra: Partial<ResultForLedger> = {},
): ResultForLedger {
  const lease = ledger.leases.get(miniBatchId);
  if (!lease) throw new Error(`test bug: mini-batch ${miniBatchId} is not leased`);
  return {
    miniBatchId,
    attempt: lease.attempt,
    token: lease.token,
    outcome,
    total: ITEMS_PER_BATCH,
    succeeded: outcome === BatchOutcome.BATCH_OUTCOME_COMPLETED ? ITEMS_PER_BATCH : 0,
    errorKind: outcome === BatchOutcome.BATCH_OUTCOME_EXCEPTION ? 'ValueError' : '',
    errorMessage: outcome === BatchOutcome.BATCH_OUTCOME_EXCEPTION ? `boom in ${miniBatchId}` : '',
    ...extra,
  };
}

function settle(ledger: Ledger, result: ResultForLedger): LedgerEvent {
  const decision = acceptResult(ledger, result);
  if (!decision.accepted) throw new Error(`expected the result to be accepted: ${decision.reason}`);
  applyLedgerEvent(ledger, decision.event);
  return decision.event;
}

describe('grantLeases', () => {
  it.each([
    { pending: 5, requested: 2, granted: [0, 1] },
    { pending: 2, requested: 5, granted: [0, 1] },
    { pending: 3, requested: 0, granted: [] },
    { pending: 0, requested: 4, granted: [] },
  ])('grants min(requested, pending) from the head: $requested of $pending', ({ pending, requested, granted }) => {
    const ledger = newLedger(pending, 2);
    const tokens = createTokenCounter();
    const events = grant(ledger, tokens, 'n1', requested);
    expect(events.map((event) => event.type === 'lease.granted' && event.miniBatchId)).toEqual(granted);
    expect(ledger.pending.length).toBe(pending - granted.length);
    for (const id of granted) {
      expect(ledger.states[id]).toBe(MiniBatchState.leased);
      expect(ledger.leases.get(id)).toMatchObject({ attempt: 1, nodeId: 'n1' });
    }
  });

  it('gives every lease a fresh, increasing token across nodes', () => {
    const ledger = newLedger(4, 0);
    const tokens = createTokenCounter(10);
    grant(ledger, tokens, 'a', 2);
    grant(ledger, tokens, 'b', 2);
    const leaseTokens = [...ledger.leases.values()].map((lease) => lease.token);
    expect(leaseTokens).toEqual([10, 11, 12, 13]);
  });

  it('refuses a grant that is not at the head of the queue', () => {
    const ledger = newLedger(3, 0);
    expect(() =>
      applyLedgerEvent(ledger, { type: 'lease.granted', miniBatchId: 2, attempt: 1, token: 1, nodeId: 'n', atMs: 0 }),
    ).toThrow(LedgerInvariantError);
  });
});

describe('acceptResult', () => {
  it('completes a mini-batch, counting items the run() did not return as failed', () => {
    const ledger = newLedger(2, 2);
    grant(ledger, createTokenCounter(), 'n1', 2);
    settle(ledger, resultFor(ledger, 0, BatchOutcome.BATCH_OUTCOME_COMPLETED));
    settle(ledger, resultFor(ledger, 1, BatchOutcome.BATCH_OUTCOME_COMPLETED, { succeeded: 1 }));
    expect(ledger.counts).toMatchObject({ succeeded: 2, failed: 0, itemsSucceeded: 4, itemsFailed: 2 });
    expect(ledger.leases.size).toBe(0);
    expect(isLedgerComplete(ledger)).toBe(true);
  });

  it.each([
    { maxRetries: 0, failures: 1 },
    { maxRetries: 2, failures: 3 },
    { maxRetries: 4, failures: 5 },
  ])(
    'retries a failing mini-batch until it has failed max_retries + 1 = $failures times',
    ({ maxRetries, failures }) => {
      const ledger = newLedger(1, maxRetries);
      const tokens = createTokenCounter();
      const types: string[] = [];
      for (let attempt = 1; attempt <= failures; attempt++) {
        grant(ledger, tokens, 'n1', 1);
        expect(ledger.leases.get(0)?.attempt).toBe(attempt);
        types.push(settle(ledger, resultFor(ledger, 0, BatchOutcome.BATCH_OUTCOME_EXCEPTION)).type);
      }
      expect(types).toEqual([...Array<string>(failures - 1).fill('attempt.failed'), 'batch.failed']);
      expect(ledger.states[0]).toBe(MiniBatchState.failed);
      expect(ledger.pending.length).toBe(0);
      expect(ledger.counts).toMatchObject({
        failed: 1,
        itemsFailed: ITEMS_PER_BATCH,
        failedAttempts: failures,
        retries: failures - 1,
      });
      expect(ledger.firstFailures).toEqual([
        { miniBatchId: 0, attempt: failures, errorKind: 'ValueError', errorMessage: 'boom in 0' },
      ]);
    },
  );

  it.each([BatchOutcome.BATCH_OUTCOME_TIMEOUT, BatchOutcome.BATCH_OUTCOME_WORKER_CRASHED])(
    'counts outcome %s as a failed attempt with a default error kind',
    (outcome) => {
      const ledger = newLedger(1, 1);
      grant(ledger, createTokenCounter(), 'n1', 1);
      const event = settle(ledger, resultFor(ledger, 0, outcome));
      expect(event).toMatchObject({
        type: 'attempt.failed',
        errorKind: expect.stringMatching(/Timeout|WorkerCrashed/),
      });
      expect(ledger.pending.toArray()).toEqual([0]);
    },
  );

  it('re-queues a RETURNED lease without counting a failed attempt; the next lease is a new attempt', () => {
    const ledger = newLedger(1, 0);
    const tokens = createTokenCounter();
    grant(ledger, tokens, 'n1', 1);
    settle(ledger, resultFor(ledger, 0, BatchOutcome.BATCH_OUTCOME_RETURNED));
    expect(ledger.counts).toMatchObject({ failedAttempts: 0, returned: 1, retries: 0 });
    expect(ledger.states[0]).toBe(MiniBatchState.pending);
    grant(ledger, tokens, 'n2', 1);
    expect(ledger.leases.get(0)).toMatchObject({ attempt: 2, nodeId: 'n2' });
    // max_retries 0 and a returned lease before: this failure is the only one counted, so it fails now.
    expect(settle(ledger, resultFor(ledger, 0, BatchOutcome.BATCH_OUTCOME_EXCEPTION)).type).toBe('batch.failed');
  });

  it('drops a result whose token is not the live lease (fencing), and a duplicate of an accepted one', () => {
    const ledger = newLedger(2, 2);
    const tokens = createTokenCounter();
    grant(ledger, tokens, 'n1', 1);
    const stale = resultFor(ledger, 0, BatchOutcome.BATCH_OUTCOME_COMPLETED);
    applyAll(ledger, revokeNodeLeases(ledger, 'n1', 'node-lost'));
    grant(ledger, tokens, 'n2', 2);
    const decision = acceptResult(ledger, stale);
    expect(decision.accepted).toBe(false);
    expect(!decision.accepted && decision.reason).toMatch(/stale token 1 .*live lease is token 2/);
    expect(ledger.counts.succeeded).toBe(0);
    // The live lease still completes normally; sending its result again is dropped.
    const live = resultFor(ledger, 0, BatchOutcome.BATCH_OUTCOME_COMPLETED);
    settle(ledger, live);
    expect(ledger.counts.succeeded).toBe(1);
    const duplicate = acceptResult(ledger, live);
    expect(!duplicate.accepted && duplicate.reason).toMatch(/has no live lease/);
    expect(ledger.counts.succeeded).toBe(1);
  });

  it('refuses to apply an event for a token that is not live', () => {
    const ledger = newLedger(1, 0);
    grant(ledger, createTokenCounter(), 'n1', 1);
    expect(() =>
      applyLedgerEvent(ledger, { type: 'batch.completed', miniBatchId: 0, token: 99, total: 1, succeeded: 1 }),
    ).toThrow(/not its live lease/);
  });
});

describe('revoking leases', () => {
  it('re-queues only the lost node’s leases, at the head and in order, counting them as retries', () => {
    const ledger = newLedger(6, 2);
    const tokens = createTokenCounter();
    grant(ledger, tokens, 'a', 2); // 0, 1
    grant(ledger, tokens, 'b', 2); // 2, 3
    const events = revokeNodeLeases(ledger, 'a', 'node-lost');
    applyAll(ledger, events);
    expect(events.map((event) => event.miniBatchId)).toEqual([1, 0]);
    expect(ledger.pending.toArray()).toEqual([0, 1, 4, 5]);
    expect([...ledger.leases.keys()]).toEqual([2, 3]);
    expect(ledger.counts.retries).toBe(2);
    expect(ledger.counts.failedAttempts).toBe(0);
  });

  it('counts live leases per node as they are granted, settled and revoked', () => {
    const ledger = newLedger(6, 2);
    const tokens = createTokenCounter();
    grant(ledger, tokens, 'a', 3); // 0, 1, 2
    grant(ledger, tokens, 'b', 2); // 3, 4
    expect(Object.fromEntries(ledger.leasesByNode)).toEqual({ a: 3, b: 2 });
    settle(ledger, resultFor(ledger, 0, BatchOutcome.BATCH_OUTCOME_COMPLETED));
    settle(ledger, resultFor(ledger, 3, BatchOutcome.BATCH_OUTCOME_EXCEPTION));
    expect(Object.fromEntries(ledger.leasesByNode)).toEqual({ a: 2, b: 1 });
    applyAll(ledger, revokeNodeLeases(ledger, 'a', 'node-lost'));
    expect(Object.fromEntries(ledger.leasesByNode)).toEqual({ b: 1 });
  });

  it('a clone shares nothing with its ledger, its pending queue in order even where the ring wrapped', () => {
    const ledger = newLedger(4, 2);
    const tokens = createTokenCounter();
    grant(ledger, tokens, 'a', 2);
    // Revoked leases go back to the head: the ring of pending ids now wraps around its end.
    applyAll(ledger, revokeNodeLeases(ledger, 'a', 'node-lost'));
    grant(ledger, tokens, 'b', 1);
    const clone = cloneLedger(ledger, () => 7);
    expect(clone.pending.toArray()).toEqual(ledger.pending.toArray());
    expect(clone.pending.toArray()).toEqual([1, 2, 3]);
    expect({ ...clone, itemCount: undefined, pending: undefined }).toEqual({
      ...ledger,
      itemCount: undefined,
      pending: undefined,
    });
    grant(clone, tokens, 'b', 3);
    expect(ledger.pending.toArray()).toEqual([1, 2, 3]);
    expect([...ledger.leases.keys()]).toEqual([0]);
    expect(clone.itemCount(0)).toBe(7);
  });

  it('withdraws every lease without re-queueing when the job ends', () => {
    const ledger = newLedger(3, 2);
    grant(ledger, createTokenCounter(), 'a', 3);
    applyAll(ledger, revokeAllLeases(ledger));
    expect(ledger.leases.size).toBe(0);
    expect(ledger.pending.length).toBe(0);
  });
});

describe('thresholds', () => {
  const ignoreAll = { miniBatchErrorThreshold: -1, errorThreshold: -1, allowedFailedPercent: 100 };
  it.each([
    { name: 'nothing set', thresholds: ignoreAll, failed: 9, itemsFailed: 27, breach: undefined },
    {
      name: 'mini-batches at the limit',
      thresholds: { ...ignoreAll, miniBatchErrorThreshold: 2 },
      failed: 2,
      itemsFailed: 6,
      breach: undefined,
    },
    {
      name: 'mini-batches over',
      thresholds: { ...ignoreAll, miniBatchErrorThreshold: 2 },
      failed: 3,
      itemsFailed: 9,
      breach: ['mini_batch_error_threshold', 2, 3],
    },
    {
      name: 'zero allowed',
      thresholds: { ...ignoreAll, miniBatchErrorThreshold: 0 },
      failed: 1,
      itemsFailed: 3,
      breach: ['mini_batch_error_threshold', 0, 1],
    },
    {
      name: 'items over',
      thresholds: { ...ignoreAll, errorThreshold: 5 },
      failed: 0,
      itemsFailed: 6,
      breach: ['error_threshold', 5, 6],
    },
    {
      name: 'percent at the limit',
      thresholds: { ...ignoreAll, allowedFailedPercent: 10 },
      failed: 2,
      itemsFailed: 6,
      breach: undefined,
    },
    {
      name: 'percent over',
      thresholds: { ...ignoreAll, allowedFailedPercent: 10 },
      failed: 3,
      itemsFailed: 9,
      breach: ['allowed_failed_percent', 10, 15],
    },
  ])('$name', ({ thresholds, failed, itemsFailed, breach }) => {
    const found = findThresholdBreach({ failed, itemsFailed }, 20, thresholds);
    expect(found && [found.name, found.limit, found.actual]).toEqual(breach);
  });

  it('describes the breach with its value, the count over it and the first failed mini-batches', () => {
    const ledger = newLedger(4, 0);
    grant(ledger, createTokenCounter(), 'n1', 4);
    for (const id of [2, 0, 3]) settle(ledger, resultFor(ledger, id, BatchOutcome.BATCH_OUTCOME_EXCEPTION));
    const breach = findThresholdBreach(ledger.counts, ledger.miniBatchCount, {
      miniBatchErrorThreshold: 1,
      errorThreshold: -1,
      allowedFailedPercent: 100,
    });
    expect(breach).toBeDefined();
    const text = describeBreach(breach!, ledger.firstFailures);
    expect(text).toContain('mini_batch_error_threshold of 1 was exceeded: 3 failed mini-batches');
    expect(text).toMatch(/mini-batch 2 \(attempt 1\): ValueError: boom in 2; mini-batch 0 .*; mini-batch 3/);
  });
});
