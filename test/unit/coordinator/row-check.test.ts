import { describe, expect, it } from 'vitest';

import { INVALID_ROWS, rowsProblem, withCheckedRows } from '../../../src/coordinator/step-run/row-check.js';
import { BatchOutcome, type BatchResult, Lease } from '../../../src/gen/parajob/v1/parajob.js';
import { resultFor } from './support/batch-result.js';

const LEASE = Lease.fromPartial({ miniBatchId: 3, attempt: 1, token: 7, itemCount: 2 });

function completedWith(rows: string, rowCount: number): BatchResult {
  return { ...resultFor(LEASE, { total: 2 }), rows: Buffer.from(rows), rowCount };
}

describe('append_row rows check', () => {
  it('accepts newline-terminated rows holding at least the reported count (a row may span lines)', () => {
    expect(rowsProblem(completedWith('a\nb\n', 2))).toBeUndefined();
    expect(rowsProblem(completedWith('multi\nline\nb\n', 2))).toBeUndefined();
    expect(rowsProblem(completedWith('', 0))).toBeUndefined();
  });

  it('names what is wrong otherwise', () => {
    expect(rowsProblem(completedWith('a\nb', 2))).toBe('its 3 bytes of rows do not end in a newline');
    expect(rowsProblem(completedWith('a\n', 2))).toBe('the result reports 2 rows but its rows hold 1 lines');
    expect(rowsProblem(completedWith('', 1))).toBe('the result reports 1 rows but carries none');
    expect(rowsProblem(completedWith('a\n', 0))).toBe('the result reports 0 rows but carries 2 bytes of rows');
  });

  it('turns a completed result with bad rows into a failed attempt without rows; leaves others as they are', () => {
    const checked = withCheckedRows(completedWith('a\nb', 2));
    expect(checked).toMatchObject({
      outcome: BatchOutcome.BATCH_OUTCOME_EXCEPTION,
      rowCount: 0,
      succeeded: 0,
      errorKind: INVALID_ROWS,
      token: 7,
    });
    expect(checked.rows).toHaveLength(0);
    expect(checked.errorMessage).toMatch(/^append_row rows refused, nothing written: /);
    const good = completedWith('a\nb\n', 2);
    expect(withCheckedRows(good)).toBe(good);
    const failed = {
      ...resultFor(LEASE, { total: 2, outcome: BatchOutcome.BATCH_OUTCOME_TIMEOUT }),
      rows: Buffer.from('x'),
    };
    expect(withCheckedRows(failed)).toBe(failed);
  });
});
