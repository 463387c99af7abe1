/**
 * The append_row rows a completed result carries, checked before a byte of them reaches the output:
 * they must end in a newline and hold at least as many lines as the result reports rows (a returned
 * string may itself hold newlines, as in Azure's output, so a row can span lines; never fewer). A
 * result failing the check is turned into a failed attempt (retried like an exception, with a
 * message saying what was wrong), so a buggy or hostile node can neither glue its last row onto the
 * next result's first nor write rows it did not count.
 */
import { BatchOutcome, type BatchResult } from '../../gen/parajob/v1/parajob.js';

export const INVALID_ROWS = 'InvalidRows';
const NEWLINE = 0x0a;

/** What is wrong with `result`'s rows, or undefined when they are well formed. */
export function rowsProblem(result: Pick<BatchResult, 'rows' | 'rowCount'>): string | undefined {
  const { rows, rowCount } = result;
  if (rows.length === 0) return rowCount === 0 ? undefined : `the result reports ${rowCount} rows but carries none`;
  if (rows[rows.length - 1] !== NEWLINE) return `its ${rows.length} bytes of rows do not end in a newline`;
  if (rowCount === 0) return `the result reports 0 rows but carries ${rows.length} bytes of rows`;
  let lines = 0;
  for (let at = rows.indexOf(NEWLINE); at !== -1 && lines < rowCount; at = rows.indexOf(NEWLINE, at + 1)) lines += 1;
  return lines < rowCount ? `the result reports ${rowCount} rows but its rows hold ${lines} lines` : undefined;
}

/** `result` itself, or (a completed result whose rows fail the check) a failed attempt without rows. */
export function withCheckedRows(result: BatchResult): BatchResult {
  if (result.outcome !== BatchOutcome.BATCH_OUTCOME_COMPLETED) return result;
  const problem = rowsProblem(result);
  if (problem === undefined) return result;
  return {
    ...result,
    outcome: BatchOutcome.BATCH_OUTCOME_EXCEPTION,
    rows: new Uint8Array(0),
    rowCount: 0,
    succeeded: 0,
    errorKind: INVALID_ROWS,
    errorMessage: `append_row rows refused, nothing written: ${problem}`,
  };
}
