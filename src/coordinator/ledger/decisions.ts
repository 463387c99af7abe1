/**
 * The deciding half of the ledger: pure functions that look at a ledger and return the MiniBatchEvents to
 * apply (they never change the ledger themselves). Apply the events with applyLedgerEvent, in order.
 */
import { webcrypto } from 'node:crypto';

import { BatchOutcome } from '../../gen/parajob/v1/parajob.js';
import type { Ledger, MiniBatchEvent, RevokeCause } from './ledger.js';

/** Hands out lease tokens: coordinator-wide and never reused (random in production: createRandomTokens). */
export interface TokenSource {
  next(): number;
}

/**
 * Unguessable lease tokens: random integers below 2^53 (the wire carries them as doubles), drawn in
 * batches from the CSPRNG. A result is fenced by its token, so a token must not be predictable.
 */
export function createRandomTokens(): TokenSource {
  const pool = new BigUint64Array(256);
  let used = pool.length;
  return {
    next: () => {
      if (used === pool.length) {
        webcrypto.getRandomValues(pool);
        used = 0;
      }
      return Number((pool[used++] ?? 1n) >> 11n) || 1;
    },
  };
}

/** A TokenSource counting from `first` (tests, where predictable tokens help). */
export function createTokenCounter(first = 1): TokenSource {
  let next = first;
  return { next: () => next++ };
}

/**
 * Leases for up to `count` mini-batches to `nodeId`, from the head of the pending queue: one
 * `lease.granted` event each (attempt = the mini-batch's last attempt + 1, a fresh token). Fewer when
 * fewer are pending; none when `count` ≤ 0. O(events).
 */
export function grantLeases(
  ledger: Ledger,
  nodeId: string,
  count: number,
  tokens: TokenSource,
  atMs: number,
): MiniBatchEvent[] {
  const grantable = Math.min(Math.max(0, Math.floor(count)), ledger.pending.length);
  const events: MiniBatchEvent[] = [];
  for (let offset = 0; offset < grantable; offset++) {
    const miniBatchId = ledger.pending.peek(offset);
    const attempt = (ledger.attempts[miniBatchId] ?? 0) + 1;
    events.push({ type: 'lease.granted', miniBatchId, attempt, token: tokens.next(), nodeId, atMs });
  }
  return events;
}

/** The parts of a wire BatchResult the ledger looks at. */
export interface ResultForLedger {
  readonly miniBatchId: number;
  readonly attempt: number;
  readonly token: number;
  readonly outcome: BatchOutcome;
  readonly total: number;
  readonly succeeded: number;
  readonly errorKind: string;
  readonly errorMessage: string;
}

/** What to do with a result: apply `event`, or drop the result and log `reason`. */
export type ResultDecision =
  { readonly accepted: true; readonly event: MiniBatchEvent } | { readonly accepted: false; readonly reason: string };

/**
 * Decides a result (proto `BatchResult`, fenced by mini_batch_id, attempt and token). Fencing first: only the live lease's token is accepted;
 * anything else (a lease revoked after a lost node, a duplicate) is dropped with the reason. Then:
 * COMPLETED → `batch.completed`; EXCEPTION / TIMEOUT / WORKER_CRASHED (and an unknown outcome, which
 * is treated as an exception so its lease cannot stay live forever) → `attempt.failed` while failed
 * attempts < max_retries + 1, else `batch.failed`; RETURNED → `lease.revoked` (re-queued, not counted).
 */
export function acceptResult(ledger: Ledger, result: ResultForLedger): ResultDecision {
  const lease = ledger.leases.get(result.miniBatchId);
  if (lease === undefined) {
    return { accepted: false, reason: `mini-batch ${result.miniBatchId} has no live lease (token ${result.token})` };
  }
  if (lease.token !== result.token) {
    return {
      accepted: false,
      reason: `stale token ${result.token} for mini-batch ${result.miniBatchId} (attempt ${result.attempt}); the live lease is token ${lease.token} (attempt ${lease.attempt})`,
    };
  }
  const { miniBatchId, token } = result;
  switch (result.outcome) {
    case BatchOutcome.BATCH_OUTCOME_COMPLETED: {
      // A worker that did not count its items (total 0) still ran the whole mini-batch.
      const total = result.total > 0 ? result.total : ledger.itemCount(miniBatchId);
      const succeeded = result.total > 0 ? Math.min(result.succeeded, total) : total;
      return { accepted: true, event: { type: 'batch.completed', miniBatchId, token, total, succeeded } };
    }
    case BatchOutcome.BATCH_OUTCOME_RETURNED:
      return { accepted: true, event: { type: 'lease.revoked', miniBatchId, token, cause: 'returned' } };
    default: {
      const known =
        result.outcome === BatchOutcome.BATCH_OUTCOME_EXCEPTION ||
        result.outcome === BatchOutcome.BATCH_OUTCOME_TIMEOUT ||
        result.outcome === BatchOutcome.BATCH_OUTCOME_WORKER_CRASHED;
      const errorKind = result.errorKind || (known ? outcomeErrorKind(result.outcome) : 'ProtocolError');
      const errorMessage = known
        ? result.errorMessage
        : `unknown batch outcome ${result.outcome}: ${result.errorMessage}`;
      const failedSoFar = (ledger.failedAttempts[miniBatchId] ?? 0) + 1;
      const type = failedSoFar < ledger.maxAttempts ? 'attempt.failed' : 'batch.failed';
      return { accepted: true, event: { type, miniBatchId, token, errorKind, errorMessage } };
    }
  }
}

/** `lease.revoked` events for every live lease held by `nodeId` (a lost or leaving node). O(live leases). */
export function revokeNodeLeases(ledger: Ledger, nodeId: string, cause: RevokeCause): MiniBatchEvent[] {
  const events: MiniBatchEvent[] = [];
  for (const lease of ledger.leases.values()) {
    if (lease.nodeId === nodeId)
      events.push({ type: 'lease.revoked', miniBatchId: lease.miniBatchId, token: lease.token, cause });
  }
  // Each revoked lease goes to the head of the pending queue: revoking the newest first leaves the
  // oldest leased next, so the re-run keeps the original order.
  return events.reverse();
}

/** `lease.revoked` events (cause 'job-ended': not re-queued) for every live lease: the job is over. */
export function revokeAllLeases(ledger: Ledger): MiniBatchEvent[] {
  const events: MiniBatchEvent[] = [];
  for (const lease of ledger.leases.values()) {
    events.push({ type: 'lease.revoked', miniBatchId: lease.miniBatchId, token: lease.token, cause: 'job-ended' });
  }
  return events;
}

function outcomeErrorKind(outcome: BatchOutcome): string {
  if (outcome === BatchOutcome.BATCH_OUTCOME_TIMEOUT) return 'Timeout';
  if (outcome === BatchOutcome.BATCH_OUTCOME_WORKER_CRASHED) return 'WorkerCrashed';
  return 'Exception';
}
