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
export type AttemptStatus =
  'RUN_DONE' | 'RUN_EXCEPTION' | 'RUN_TIMEOUT' | 'LOAD_TIMEOUT' | 'WORKER_CRASHED' | 'RETURNED' | 'REVOKED';

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
  // One template instead of an array and a join: this runs once per attempt, tens of thousands of
  // times a second on a busy coordinator.
  return (
    `${row.miniBatchId},${row.attempt},${csvField(row.nodeId)},${csvField(row.processName)},${isoTime(row.startedAtMs)},` +
    `${row.total},${row.succeeded},${row.failed},${(row.elapsedMs / 1000).toFixed(3)},${(row.runMs / 1000).toFixed(3)},` +
    `${row.status},${csvField(row.errorCategory)},${csvField(row.errorMessage)}\n`
  );
}

let lastIsoMs = 0;
let lastIso = '';

/** UTC ISO 8601 of `ms`, '' for 0 (unknown). Results of one batch often share their start millisecond. */
function isoTime(ms: number): string {
  if (!(ms > 0)) return '';
  if (ms !== lastIsoMs) {
    lastIso = new Date(ms).toISOString();
    lastIsoMs = ms;
  }
  return lastIso;
}

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

/** A field quoted when it holds a comma, a quote, a line break or edge spaces; quotes doubled. */
export function csvField(value: string): string {
  if (value.length === 0 || !NEEDS_QUOTES.test(value)) return value;
  return `"${value.replace(/"/g, '""')}"`;
}
