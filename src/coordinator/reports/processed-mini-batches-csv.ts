/**
 * `logs/sys/job_report/processed_mini-batches.csv`: one row per attempt of a mini-batch (Azure's
 * report, SPEC.md 6.2, with an Attempt and a Node column instead of Picked Count). Rows are formatted
 * here and buffered by the caller; fields are quoted RFC 4180 style when they need it.
 */

/** The header row. */
export const PROCESSED_MINI_BATCHES_COLUMNS = [
  'Mini-batch Id',
  'Attempt',
  'Node',
  'Process',
  'Start Time',
  'Total',
  'Succeeded',
  'Failed',
  'Elapsed Seconds',
  'Run Method Seconds',
  'Status',
  'Error Category',
  'Error Message',
] as const;

/**
 * Status of an attempt: Azure's RUN_DONE / RUN_EXCEPTION / RUN_TIMEOUT / LOAD_TIMEOUT (not loaded and
 * handed to run() within --task_overhead_timeout), plus parajob's WORKER_CRASHED, RETURNED (given back
 * unrun) and REVOKED (withdrawn: its node was lost or left). A RUN_DONE row whose run() returned fewer or
 * more items than given says so in Error Category (FewerItems, TooManyItems) and Error Message.
 */
export type AttemptStatus = 'RUN_DONE' | 'RUN_EXCEPTION' | 'RUN_TIMEOUT' | 'LOAD_TIMEOUT' | 'WORKER_CRASHED' | 'RETURNED' | 'REVOKED';

/** One attempt, as reported. Times in milliseconds. */
export interface AttemptRow {
  readonly miniBatchId: number;
  readonly attempt: number;
  readonly nodeId: string;
  readonly processName: string;
  /** Milliseconds since the epoch; 0 = unknown (written empty). */
  readonly startedAtMs: number;
  readonly total: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly elapsedMs: number;
  readonly runMs: number;
  readonly status: AttemptStatus;
  readonly errorCategory: string;
  readonly errorMessage: string;
}

/** The header line, "\n"-terminated. */
export function csvHeaderLine(): string {
  return `${PROCESSED_MINI_BATCHES_COLUMNS.map(csvField).join(',')}\n`;
}

/** One attempt as a CSV line, "\n"-terminated. Start Time is UTC ISO 8601; seconds have 3 decimals. */
export function csvAttemptLine(row: AttemptRow): string {
  return (
    [
      String(row.miniBatchId),
      String(row.attempt),
      csvField(row.nodeId),
      csvField(row.processName),
      row.startedAtMs > 0 ? new Date(row.startedAtMs).toISOString() : '',
      String(row.total),
      String(row.succeeded),
      String(row.failed),
      (row.elapsedMs / 1000).toFixed(3),
      (row.runMs / 1000).toFixed(3),
      row.status,
      csvField(row.errorCategory),
      csvField(row.errorMessage),
    ].join(',') + '\n'
  );
}

/** A field quoted when it holds a comma, a quote, a line break or edge spaces; quotes doubled. */
export function csvField(value: string): string {
  if (!/[",\r\n]|^\s|\s$/.test(value)) return value;
  return `"${value.replace(/"/g, '""')}"`;
}
