import { describe, expect, it } from 'vitest';

import { MiniBatchState } from '../../../src/coordinator/ledger/ledger.js';
import { csvAttemptLine, csvHeaderLine } from '../../../src/coordinator/reports/processed-mini-batches-csv.js';
import { type AttemptsLedger, rebuildAttemptsCsvText } from '../../../src/coordinator/reports/rebuild-attempts-csv.js';

function row(miniBatchId: number, attempt: number, status: 'RUN_DONE' | 'RUN_EXCEPTION' | 'REVOKED', node = 'n1') {
  return csvAttemptLine({
    miniBatchId,
    attempt,
    nodeId: node,
    processName: 'process000',
    startedAtMs: 1_700_000_000_000,
    total: 2,
    succeeded: status === 'RUN_DONE' ? 2 : 0,
    failed: status === 'RUN_DONE' ? 0 : 2,
    elapsedMs: 12,
    runMs: 10,
    status,
    errorCategory: status === 'RUN_EXCEPTION' ? 'UserError' : '',
    errorMessage: status === 'RUN_EXCEPTION' ? 'boom, "quoted"' : '',
  });
}

/** Four mini-batches: 0 and 1 succeeded (1 on its second attempt), 2 failed for good after two attempts, 3 succeeded. */
const ledger: AttemptsLedger = {
  miniBatchCount: 4,
  states: Uint8Array.from([
    MiniBatchState.succeeded,
    MiniBatchState.succeeded,
    MiniBatchState.failed,
    MiniBatchState.succeeded,
  ]),
  attempts: Uint32Array.from([1, 2, 2, 1]),
};

describe('rebuildAttemptsCsvText', () => {
  it('keeps the rows the journal counts, the last per attempt, and rebuilds a missing completion', () => {
    const before = [
      csvHeaderLine(),
      row(0, 1, 'RUN_DONE'),
      // Mini-batch 1's first completion was never journaled: on resume its lease was revoked, it ran again.
      row(1, 1, 'RUN_DONE'),
      row(2, 1, 'RUN_EXCEPTION'),
      // Mini-batch 0's result was sent again to the restarted coordinator: one row stays.
      row(0, 1, 'RUN_DONE', 'n2'),
      row(1, 1, 'REVOKED'),
      row(1, 2, 'RUN_DONE'),
      row(2, 2, 'RUN_EXCEPTION'),
      // Mini-batch 3's row was still buffered at the crash; a torn line is all that is left of another.
      '3,1,n1,"process',
    ].join('');
    expect(rebuildAttemptsCsvText(before, ledger)).toEqual({
      text: [
        csvHeaderLine(),
        row(2, 1, 'RUN_EXCEPTION'),
        row(0, 1, 'RUN_DONE', 'n2'),
        row(1, 1, 'REVOKED'),
        row(1, 2, 'RUN_DONE'),
        row(2, 2, 'RUN_EXCEPTION'),
        '3,1,,,,,,,,,RUN_DONE,Recovered,rebuilt from the journal after a coordinator restart\n',
      ].join(''),
      // Read: 7 whole rows and the torn line; kept 5; 1 added for mini-batch 3.
      rebuilt: { kept: 5, dropped: 3, recovered: 1 },
    });
  });

  it('leaves a consistent CSV as it was', () => {
    const consistent = [
      csvHeaderLine(),
      row(0, 1, 'RUN_DONE'),
      row(1, 1, 'REVOKED'),
      row(2, 1, 'RUN_EXCEPTION'),
      row(1, 2, 'RUN_DONE'),
      row(2, 2, 'RUN_EXCEPTION'),
      row(3, 1, 'RUN_DONE'),
    ].join('');
    expect(rebuildAttemptsCsvText(consistent, ledger)).toEqual({
      text: consistent,
      rebuilt: { kept: 6, dropped: 0, recovered: 0 },
    });
  });

  it('drops the row of an attempt whose lease the journal holds live, and adds none for carried mini-batches', () => {
    // Mini-batch 0 is leased (attempt 2: the journal lost its failure, its node may report it again);
    // 1 was carried from the job a rerun reruns (succeeded, never leased here: attempt 0).
    const resumed: AttemptsLedger = {
      miniBatchCount: 2,
      states: Uint8Array.from([MiniBatchState.leased, MiniBatchState.succeeded]),
      attempts: Uint32Array.from([2, 0]),
    };
    const before = [csvHeaderLine(), row(0, 1, 'RUN_EXCEPTION'), row(0, 2, 'RUN_EXCEPTION')].join('');
    expect(rebuildAttemptsCsvText(before, resumed)).toEqual({
      text: [csvHeaderLine(), row(0, 1, 'RUN_EXCEPTION')].join(''),
      rebuilt: { kept: 1, dropped: 1, recovered: 0 },
    });
  });
});
