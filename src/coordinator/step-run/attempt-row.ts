/**
 * The processed_mini_batches.csv row an accepted result leaves, and the one a revoked lease leaves.
 * Pure: the leasing code (leasing.ts) applies the ledger event and writes the row; what the row says
 * for each kind of result is decided here (table-tested in test/unit/coordinator/attempt-row.test.ts).
 */
import { BatchOutcome, type BatchResult } from '../../gen/parajob/v1/parajob.js';
import type { LeaseRecord, LedgerEvent } from '../ledger/ledger.js';
import type { ItemCountWarning } from '../reports/error-digest.js';
import type { AttemptRow, AttemptStatus } from '../reports/processed-mini-batches-csv.js';

/** An accepted result as a row, and the item-count warning it carries (run() returned more or fewer items). */
export interface AcceptedAttempt {
  readonly row: AttemptRow;
  /** `count` items in excess ('more') or missing ('fewer'); the row's errorMessage says so. */
  readonly itemCountWarning?: { readonly kind: ItemCountWarning; readonly count: number };
}

/** Who ran the attempt and how many items its mini-batch holds. */
export interface AttemptFacts {
  readonly nodeId: string;
  /** The lease's attempt (the coordinator's count, not the node's). */
  readonly attempt: number;
  /** Items of the mini-batch: the result's total, or the ledger's count when the worker counted none. */
  readonly total: number;
}

const FAILED_STATUS: Readonly<Partial<Record<BatchOutcome, AttemptStatus>>> = {
  [BatchOutcome.BATCH_OUTCOME_TIMEOUT]: 'RUN_TIMEOUT',
  [BatchOutcome.BATCH_OUTCOME_WORKER_CRASHED]: 'WORKER_CRASHED',
};

/** The CSV status of a failed attempt: LOAD_TIMEOUT (task_overhead_timeout) is a TIMEOUT outcome with its own kind. */
export function failedStatusOf(result: BatchResult): AttemptStatus {
  if (result.outcome === BatchOutcome.BATCH_OUTCOME_TIMEOUT && result.errorKind === 'LoadTimeout')
    return 'LOAD_TIMEOUT';
  return FAILED_STATUS[result.outcome] ?? 'RUN_EXCEPTION';
}

/** The row of `result`, accepted by the ledger as `event`. */
export function acceptedAttemptOf(result: BatchResult, event: LedgerEvent, facts: AttemptFacts): AcceptedAttempt {
  const base = {
    miniBatchId: result.miniBatchId,
    attempt: facts.attempt,
    nodeId: facts.nodeId,
    processName: result.processName,
    startedAtMs: result.startedAtMs,
    total: facts.total,
    elapsedMs: result.elapsedMs,
    runMs: result.runMs,
  };
  switch (event.type) {
    case 'batch.completed': {
      const succeeded = Math.min(event.succeeded, event.total);
      const failed = event.total - succeeded;
      const row = { ...base, succeeded, failed, status: 'RUN_DONE' as const };
      if (result.returned > event.total) {
        // Azure counts at most one success per input item; the rows are kept as returned.
        return {
          row: {
            ...row,
            errorCategory: 'TooManyItems',
            errorMessage: `warning: run() returned ${result.returned} items for ${event.total} inputs; counted ${event.total} as succeeded`,
          },
          itemCountWarning: { kind: 'more', count: result.returned - event.total },
        };
      }
      if (failed > 0) {
        return {
          row: {
            ...row,
            errorCategory: 'FewerItems',
            errorMessage: `run() returned ${succeeded} items for ${event.total} inputs: ${failed} failed item(s), not retried`,
          },
          itemCountWarning: { kind: 'fewer', count: failed },
        };
      }
      return { row: { ...row, errorCategory: '', errorMessage: '' } };
    }
    case 'lease.revoked':
      return { row: { ...base, succeeded: 0, failed: 0, status: 'RETURNED', errorCategory: '', errorMessage: '' } };
    case 'attempt.failed':
    case 'batch.failed':
      return {
        row: {
          ...base,
          succeeded: 0,
          failed: facts.total,
          status: failedStatusOf(result),
          errorCategory: event.errorKind,
          errorMessage: event.errorMessage,
        },
      };
    default:
      return { row: { ...base, succeeded: 0, failed: 0, status: 'RUN_DONE', errorCategory: '', errorMessage: '' } };
  }
}

/** The row of a lease withdrawn before its result came (node lost or left, job ended). */
export function revokedAttemptRow(
  lease: LeaseRecord,
  total: number,
  category: string,
  reason: string,
  nowMs: number,
): AttemptRow {
  return {
    miniBatchId: lease.miniBatchId,
    attempt: lease.attempt,
    nodeId: lease.nodeId,
    processName: '',
    startedAtMs: lease.grantedAtMs,
    total,
    succeeded: 0,
    failed: 0,
    elapsedMs: nowMs - lease.grantedAtMs,
    runMs: 0,
    status: 'REVOKED',
    errorCategory: category,
    errorMessage: reason,
  };
}
