import { describe, expect, it } from 'vitest';

import type { LedgerEvent } from '../../../src/coordinator/ledger/ledger.js';
import type { AttemptRow } from '../../../src/coordinator/reports/processed-mini-batches-csv.js';
import {
  type AcceptedAttempt,
  acceptedAttemptOf,
  revokedAttemptRow,
} from '../../../src/coordinator/step-run/attempt-row.js';
import { BatchOutcome, type BatchResult } from '../../../src/gen/parajob/v1/parajob.js';

function result(overrides: Partial<BatchResult>): BatchResult {
  return {
    miniBatchId: 7,
    attempt: 1,
    token: 3,
    outcome: BatchOutcome.BATCH_OUTCOME_COMPLETED,
    total: 4,
    succeeded: 4,
    returned: 4,
    rows: Buffer.alloc(0),
    rowCount: 0,
    errorKind: '',
    errorMessage: '',
    processName: 'process001',
    pid: 42,
    startedAtMs: 1000,
    runMs: 5,
    elapsedMs: 9,
    ...overrides,
  };
}

const completed = (total: number, succeeded: number): LedgerEvent => ({
  type: 'batch.completed',
  miniBatchId: 7,
  token: 3,
  total,
  succeeded,
});
const failed = (type: 'attempt.failed' | 'batch.failed', errorKind: string): LedgerEvent => ({
  type,
  miniBatchId: 7,
  token: 3,
  errorKind,
  errorMessage: 'boom',
});
const FACTS = { nodeId: 'n1', attempt: 2, total: 4 };
const WHERE = { miniBatchId: 7, attempt: 2, nodeId: 'n1', processName: 'process001', startedAtMs: 1000, total: 4 };

/** The row of `result({})` accepted as FACTS, with `fields` changed. */
function row(fields: Partial<AttemptRow>): AttemptRow {
  const base = { ...WHERE, succeeded: 0, failed: 0, elapsedMs: 9, runMs: 5, errorCategory: '', errorMessage: '' };
  return { ...base, status: 'RUN_DONE', ...fields };
}

describe('the row an accepted result leaves', () => {
  it.each<[string, BatchResult, LedgerEvent, AcceptedAttempt]>([
    ['every item succeeded', result({}), completed(4, 4), { row: row({ succeeded: 4 }) }],
    [
      'run() returned fewer items',
      result({ succeeded: 3, returned: 3 }),
      completed(4, 3),
      {
        row: row({
          succeeded: 3,
          failed: 1,
          errorCategory: 'FewerItems',
          errorMessage: 'run() returned 3 items for 4 inputs: 1 failed item(s), not retried',
        }),
        itemCountWarning: { kind: 'fewer', count: 1 },
      },
    ],
    [
      'run() returned more items (capped)',
      result({ returned: 6 }),
      completed(4, 6),
      {
        row: row({
          succeeded: 4,
          errorCategory: 'TooManyItems',
          errorMessage: 'warning: run() returned 6 items for 4 inputs; counted 4 as succeeded',
        }),
        itemCountWarning: { kind: 'more', count: 2 },
      },
    ],
    [
      'handed back (RETURNED)',
      result({ outcome: BatchOutcome.BATCH_OUTCOME_RETURNED }),
      { type: 'lease.revoked', miniBatchId: 7, token: 3, cause: 'returned' },
      { row: row({ status: 'RETURNED' }) },
    ],
    [
      'an exception, to be retried',
      result({ outcome: BatchOutcome.BATCH_OUTCOME_EXCEPTION, errorKind: 'ValueError' }),
      failed('attempt.failed', 'ValueError'),
      { row: row({ failed: 4, status: 'RUN_EXCEPTION', errorCategory: 'ValueError', errorMessage: 'boom' }) },
    ],
    [
      'a run timeout, final',
      result({ outcome: BatchOutcome.BATCH_OUTCOME_TIMEOUT, errorKind: 'Timeout' }),
      failed('batch.failed', 'Timeout'),
      { row: row({ failed: 4, status: 'RUN_TIMEOUT', errorCategory: 'Timeout', errorMessage: 'boom' }) },
    ],
    [
      'a load timeout (task_overhead_timeout)',
      result({ outcome: BatchOutcome.BATCH_OUTCOME_TIMEOUT, errorKind: 'LoadTimeout' }),
      failed('attempt.failed', 'LoadTimeout'),
      { row: row({ failed: 4, status: 'LOAD_TIMEOUT', errorCategory: 'LoadTimeout', errorMessage: 'boom' }) },
    ],
    [
      'a crashed worker',
      result({ outcome: BatchOutcome.BATCH_OUTCOME_WORKER_CRASHED, errorKind: 'WorkerCrashed' }),
      failed('attempt.failed', 'WorkerCrashed'),
      { row: row({ failed: 4, status: 'WORKER_CRASHED', errorCategory: 'WorkerCrashed', errorMessage: 'boom' }) },
    ],
  ])('%s', (_, batchResult, event, expected) => {
    expect(acceptedAttemptOf(batchResult, event, FACTS)).toEqual(expected);
  });
});

describe('the row a revoked lease leaves', () => {
  it('is REVOKED with the lease time as elapsed and no items counted', () => {
    const lease = { miniBatchId: 7, attempt: 2, token: 3, nodeId: 'n1', grantedAtMs: 1000 };
    expect(revokedAttemptRow(lease, 4, 'NodeLost', 'stream ended', 1500)).toEqual({
      ...WHERE,
      processName: '',
      succeeded: 0,
      failed: 0,
      elapsedMs: 500,
      runMs: 0,
      status: 'REVOKED',
      errorCategory: 'NodeLost',
      errorMessage: 'stream ended',
    });
  });
});
