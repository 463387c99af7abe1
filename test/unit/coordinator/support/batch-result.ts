/**
 * The BatchResult a node would send for a lease in coordinator tests: COMPLETED with every item
 * succeeded and `lines` as the append_row rows, or a failed outcome with a ValueError.
 */
import { BatchOutcome, type BatchResult, type Lease } from '../../../../src/gen/parajob/v1/parajob.js';

export interface ResultOptions {
  /** Items given to run(). */
  readonly total: number;
  /** @default BATCH_OUTCOME_COMPLETED */
  readonly outcome?: BatchOutcome;
  /** Rows of a completed result, one line each. @default none */
  readonly lines?: readonly string[];
  /** Error message of a failed result. @default `bad <miniBatchId>` */
  readonly errorMessage?: string;
}

/** A result answering `lease` (see the module comment). */
export function resultFor(lease: Lease, options: ResultOptions): BatchResult {
  const outcome = options.outcome ?? BatchOutcome.BATCH_OUTCOME_COMPLETED;
  const ok = outcome === BatchOutcome.BATCH_OUTCOME_COMPLETED;
  const lines = ok ? (options.lines ?? []) : [];
  return {
    miniBatchId: lease.miniBatchId,
    attempt: lease.attempt,
    token: lease.token,
    outcome,
    total: options.total,
    succeeded: ok ? options.total : 0,
    returned: ok ? options.total : 0,
    rows: Buffer.from(lines.map((line) => `${line}\n`).join('')),
    rowCount: lines.length,
    errorKind: ok ? '' : 'ValueError',
    errorMessage: ok ? '' : (options.errorMessage ?? `bad ${lease.miniBatchId}`),
    processName: 'process000',
    pid: 42,
    startedAtMs: Date.now(),
    runMs: 1,
    elapsedMs: 2,
  };
}
