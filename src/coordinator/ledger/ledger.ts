/**
 * The mini-batch ledger of one step run: which mini-batches wait, which are leased to whom, which are
 * done. Plain data and pure functions, no XState and no I/O, so it can be tested on its own and, later,
 * journaled: every change is an explicit LedgerEvent applied by {@link applyLedgerEvent}; the functions
 * that decide which events to make live in decisions.ts. The job machine decides WHEN, the ledger WHAT.
 *
 * Cost: a job can have millions of mini-batches, so there is no object per mini-batch. Per mini-batch
 * the ledger keeps a state byte and two counters in typed arrays (9 bytes); the pending queue is a ring
 * of ints; only live leases (bounded by the nodes' credit) are objects, in a Map keyed by mini-batch id.
 * The mini-batches' content (files, byte ranges) is not here: mini-batch i is a slice of the input that
 * the partition computes on demand.
 */
import { IntQueue } from './int-queue.js';
import { bitmapBytes, hasMiniBatch } from './mini-batch-set.js';

/** A mini-batch's state, one byte each in `Ledger.states`. */
export const MiniBatchState = {
  /** In the pending queue. */
  pending: 0,
  /** Leased to a node: its live lease is in `Ledger.leases`. */
  leased: 1,
  /** An attempt completed (run() returned); some items may still have failed. Final. */
  succeeded: 2,
  /** Out of attempts: every attempt failed. Final. */
  failed: 3,
} as const;
/** One of the MiniBatchState values (0..3). */
export type MiniBatchState = (typeof MiniBatchState)[keyof typeof MiniBatchState];

/** The live lease of a leased mini-batch. */
export interface LeaseRecord {
  readonly miniBatchId: number;
  /** From 1; every lease of a mini-batch has a new attempt number. */
  readonly attempt: number;
  /** Coordinator-wide increasing number; a result is accepted only with the live lease's token. */
  readonly token: number;
  readonly nodeId: string;
  /** Milliseconds since the epoch. */
  readonly grantedAtMs: number;
}

/** A mini-batch that ran out of attempts, kept for messages ("the first failed mini-batches ..."). */
export interface FailedMiniBatch {
  readonly miniBatchId: number;
  readonly attempt: number;
  readonly errorKind: string;
  readonly errorMessage: string;
}

/** Running totals, updated by the reducer so every question about progress is O(1). */
export interface LedgerCounts {
  /** Mini-batches whose attempt completed. */
  succeeded: number;
  /** Mini-batches out of attempts. */
  failed: number;
  itemsSucceeded: number;
  /** Items of failed mini-batches plus items a completed run() did not return. */
  itemsFailed: number;
  /** Attempts that failed (EXCEPTION, TIMEOUT, WORKER_CRASHED), including each failed mini-batch's last. */
  failedAttempts: number;
  /** Re-queues after a failed attempt or a lost/leaving node (not RETURNED leases). */
  retries: number;
  /** Leases a node gave back unrun (RETURNED). */
  returned: number;
}

/** Why a lease was withdrawn without a result that counts as an attempt. */
export type RevokeCause = 'returned' | 'node-lost' | 'node-left' | 'job-ended';

/**
 * Every change to a ledger. Events carry everything needed to replay them (ids, tokens, times), so a
 * journal of events rebuilds the same ledger.
 */
export type LedgerEvent =
  | {
      readonly type: 'lease.granted';
      readonly miniBatchId: number;
      readonly attempt: number;
      readonly token: number;
      readonly nodeId: string;
      readonly atMs: number;
    }
  /** The lease is withdrawn; the mini-batch is re-queued unless the cause is 'job-ended'. */
  | {
      readonly type: 'lease.revoked';
      readonly miniBatchId: number;
      readonly token: number;
      readonly cause: RevokeCause;
    }
  /** run() returned: `succeeded` of `total` items count as succeeded, the rest as failed. */
  | {
      readonly type: 'batch.completed';
      readonly miniBatchId: number;
      readonly token: number;
      readonly total: number;
      readonly succeeded: number;
    }
  /** The attempt failed and the mini-batch has attempts left: it is re-queued. */
  | {
      readonly type: 'attempt.failed';
      readonly miniBatchId: number;
      readonly token: number;
      readonly errorKind: string;
      readonly errorMessage: string;
    }
  /** The attempt failed and it was the last one allowed: the mini-batch is failed. */
  | {
      readonly type: 'batch.failed';
      readonly miniBatchId: number;
      readonly token: number;
      readonly errorKind: string;
      readonly errorMessage: string;
    }
  /**
   * Mini-batches an earlier run of the same step completed (a rerun reuses them): they count as
   * succeeded and leave the pending queue without running. `succeeded` is a bitmap over the
   * mini-batches (mini-batch-set.ts); `itemsSucceeded` the items those runs returned. Only a ledger
   * that has not leased anything yet takes it.
   */
  | { readonly type: 'batches.carried'; readonly succeeded: Uint8Array; readonly itemsSucceeded: number };

/** The events about one mini-batch (all but a rerun's `batches.carried`). */
export type MiniBatchEvent = Exclude<LedgerEvent, { readonly type: 'batches.carried' }>;

/** The ledger of one step run. Mutated only by {@link applyLedgerEvent}. */
export interface Ledger {
  readonly miniBatchCount: number;
  /** Failed attempts a mini-batch may have before it is failed: retry_settings.max_retries + 1. */
  readonly maxAttempts: number;
  /**
   * Items in mini-batch `id` (files or rows): known at cut time, except rows of a table cut by size,
   * which are 0 until a worker reported reading them (see partition-input.ts noteItemsRead).
   */
  readonly itemCount: (miniBatchId: number) => number;
  /** MiniBatchState per mini-batch. */
  readonly states: Uint8Array;
  /** The last attempt number given to each mini-batch (0 = never leased). */
  readonly attempts: Uint32Array;
  /** Failed attempts per mini-batch (what max_retries limits). */
  readonly failedAttempts: Uint32Array;
  /** Pending mini-batch ids, in the order they are leased. */
  readonly pending: IntQueue;
  /** Live leases by mini-batch id. */
  readonly leases: Map<number, LeaseRecord>;
  /** Live leases per node id (derived from `leases`, kept for O(1) fair-share checks). */
  readonly leasesByNode: Map<string, number>;
  readonly counts: LedgerCounts;
  /** The first {@link FAILED_EXAMPLES_KEPT} failed mini-batches, in the order they failed. */
  readonly firstFailures: FailedMiniBatch[];
}

/** How many failed mini-batches a ledger remembers for messages. */
export const FAILED_EXAMPLES_KEPT = 5;

/** What a new ledger needs to know about its mini-batches and retry settings. */
export interface LedgerInit {
  readonly miniBatchCount: number;
  /** retry_settings.max_retries (≥ 0). */
  readonly maxRetries: number;
  readonly itemCount: (miniBatchId: number) => number;
}

/** A ledger with every mini-batch pending, in id order. */
export function createLedger(init: LedgerInit): Ledger {
  const pending = new IntQueue(init.miniBatchCount);
  for (let id = 0; id < init.miniBatchCount; id++) pending.push(id);
  return {
    miniBatchCount: init.miniBatchCount,
    maxAttempts: Math.max(0, init.maxRetries) + 1,
    itemCount: init.itemCount,
    states: new Uint8Array(init.miniBatchCount),
    attempts: new Uint32Array(init.miniBatchCount),
    failedAttempts: new Uint32Array(init.miniBatchCount),
    pending,
    leases: new Map(),
    leasesByNode: new Map(),
    counts: { succeeded: 0, failed: 0, itemsSucceeded: 0, itemsFailed: 0, failedAttempts: 0, retries: 0, returned: 0 },
    firstFailures: [],
  };
}

/**
 * A copy of `ledger` that shares nothing with it (typed arrays copied whole), with `itemCount` as its
 * item counts: a resumed step run's live ledger beside the journal's own.
 */
export function cloneLedger(ledger: Ledger, itemCount: (miniBatchId: number) => number): Ledger {
  return {
    miniBatchCount: ledger.miniBatchCount,
    maxAttempts: ledger.maxAttempts,
    itemCount,
    states: ledger.states.slice(),
    attempts: ledger.attempts.slice(),
    failedAttempts: ledger.failedAttempts.slice(),
    pending: IntQueue.from(ledger.pending.toUint32Array(), ledger.miniBatchCount),
    leases: new Map(ledger.leases),
    leasesByNode: new Map(ledger.leasesByNode),
    counts: { ...ledger.counts },
    firstFailures: [...ledger.firstFailures],
  };
}

/** An event that does not fit the ledger: a bug in whoever decided it, never a user error. */
export class LedgerInvariantError extends Error {
  override readonly name = 'LedgerInvariantError';
}

/**
 * Applies one event to the ledger, in place (copying typed arrays per event would make a big job
 * quadratic). Throws LedgerInvariantError when the event does not fit (a lease event for a token that
 * is not live, a grant of a mini-batch that is not at the head of the queue): decisions.ts only makes
 * events that fit.
 */
export function applyLedgerEvent(ledger: Ledger, event: LedgerEvent): void {
  switch (event.type) {
    case 'lease.granted': {
      if (ledger.pending.length === 0 || ledger.pending.peek() !== event.miniBatchId) {
        throw new LedgerInvariantError(
          `lease.granted for mini-batch ${event.miniBatchId}, which is not at the head of the pending queue`,
        );
      }
      ledger.pending.shift();
      ledger.states[event.miniBatchId] = MiniBatchState.leased;
      ledger.attempts[event.miniBatchId] = event.attempt;
      ledger.leasesByNode.set(event.nodeId, (ledger.leasesByNode.get(event.nodeId) ?? 0) + 1);
      ledger.leases.set(event.miniBatchId, {
        miniBatchId: event.miniBatchId,
        attempt: event.attempt,
        token: event.token,
        nodeId: event.nodeId,
        grantedAtMs: event.atMs,
      });
      return;
    }
    case 'lease.revoked': {
      endLease(ledger, event.miniBatchId, event.token, event.type);
      if (event.cause === 'job-ended') return;
      if (event.cause === 'returned') ledger.counts.returned += 1;
      else ledger.counts.retries += 1;
      // Work taken back from a lost, leaving or returning node did not fail: it goes to the head of the
      // queue so that it runs again at once (failover), not after everything else.
      requeue(ledger, event.miniBatchId, 'head');
      return;
    }
    case 'batch.completed': {
      endLease(ledger, event.miniBatchId, event.token, event.type);
      const succeeded = Math.min(event.succeeded, event.total);
      ledger.states[event.miniBatchId] = MiniBatchState.succeeded;
      ledger.counts.succeeded += 1;
      ledger.counts.itemsSucceeded += succeeded;
      ledger.counts.itemsFailed += event.total - succeeded;
      return;
    }
    case 'attempt.failed': {
      endLease(ledger, event.miniBatchId, event.token, event.type);
      countFailedAttempt(ledger, event.miniBatchId);
      ledger.counts.retries += 1;
      // A failed attempt goes to the tail: by the time it is leased again it likely lands on another
      // processor or node, which is what a retry should prefer.
      requeue(ledger, event.miniBatchId, 'tail');
      return;
    }
    case 'batch.failed': {
      const lease = endLease(ledger, event.miniBatchId, event.token, event.type);
      countFailedAttempt(ledger, event.miniBatchId);
      ledger.states[event.miniBatchId] = MiniBatchState.failed;
      ledger.counts.failed += 1;
      ledger.counts.itemsFailed += ledger.itemCount(event.miniBatchId);
      if (ledger.firstFailures.length < FAILED_EXAMPLES_KEPT) {
        ledger.firstFailures.push({
          miniBatchId: event.miniBatchId,
          attempt: lease.attempt,
          errorKind: event.errorKind,
          errorMessage: event.errorMessage,
        });
      }
      return;
    }
    case 'batches.carried':
      carryOver(ledger, event.succeeded, event.itemsSucceeded);
      return;
  }
}

/** Mini-batches finished for good (succeeded or failed). */
export function finishedCount(ledger: Ledger): number {
  return ledger.counts.succeeded + ledger.counts.failed;
}

/** True when every mini-batch succeeded or failed. */
export function isLedgerComplete(ledger: Ledger): boolean {
  return finishedCount(ledger) === ledger.miniBatchCount;
}

function endLease(ledger: Ledger, miniBatchId: number, token: number, eventType: string): LeaseRecord {
  const lease = ledger.leases.get(miniBatchId);
  if (lease === undefined || lease.token !== token) {
    throw new LedgerInvariantError(
      `${eventType} for mini-batch ${miniBatchId} token ${token}, which is not its live lease`,
    );
  }
  ledger.leases.delete(miniBatchId);
  const held = (ledger.leasesByNode.get(lease.nodeId) ?? 1) - 1;
  if (held === 0) ledger.leasesByNode.delete(lease.nodeId);
  else ledger.leasesByNode.set(lease.nodeId, held);
  return lease;
}

function carryOver(ledger: Ledger, succeeded: Uint8Array, itemsSucceeded: number): void {
  if (ledger.leases.size > 0 || ledger.pending.length !== ledger.miniBatchCount)
    throw new LedgerInvariantError('batches.carried for a ledger that has leased mini-batches already');
  if (succeeded.length !== bitmapBytes(ledger.miniBatchCount))
    throw new LedgerInvariantError(
      `batches.carried holds ${succeeded.length} bytes, not one bit for each of ${ledger.miniBatchCount} mini-batches`,
    );
  const kept: number[] = [];
  let items = 0;
  while (ledger.pending.length > 0) {
    const id = ledger.pending.shift();
    if (!hasMiniBatch(succeeded, id)) {
      kept.push(id);
      continue;
    }
    ledger.states[id] = MiniBatchState.succeeded;
    ledger.counts.succeeded += 1;
    items += ledger.itemCount(id);
  }
  for (const id of kept) ledger.pending.push(id);
  ledger.counts.itemsSucceeded += itemsSucceeded;
  // Items the earlier runs did not return (a completed run() may return fewer rows than it was given).
  ledger.counts.itemsFailed += Math.max(0, items - itemsSucceeded);
}

function requeue(ledger: Ledger, miniBatchId: number, where: 'head' | 'tail'): void {
  ledger.states[miniBatchId] = MiniBatchState.pending;
  if (where === 'head') ledger.pending.unshift(miniBatchId);
  else ledger.pending.push(miniBatchId);
}

function countFailedAttempt(ledger: Ledger, miniBatchId: number): void {
  ledger.failedAttempts[miniBatchId] = (ledger.failedAttempts[miniBatchId] ?? 0) + 1;
  ledger.counts.failedAttempts += 1;
}
