/**
 * A step's mini-batches for the UI's table: every attempt from the step's
 * `logs/sys/job_report/processed_mini-batches.csv` (which the coordinator appends to as results come
 * in), newest first, filtered by status, plus the live leases of the ledger (the running ones). Past
 * TAIL_BYTES of CSV only its tail is read: a job with millions of mini-batches stays cheap to look at.
 */
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { parse } from 'csv-parse/sync';

import type { AttemptView, MiniBatchesView, StepLive } from './api-types.js';

/** CSV bytes read at most (the tail of a bigger file). */
export const TAIL_BYTES = 4 * 1024 * 1024;

/** The attempts CSV of a step run directory. */
export function attemptsCsvPath(stepRunDir: string): string {
  return join(stepRunDir, 'logs', 'sys', 'job_report', 'processed_mini-batches.csv');
}

async function readTail(file: string): Promise<{ text: string; tailOnly: boolean } | undefined> {
  const info = await stat(file).catch(() => undefined);
  if (info === undefined) return undefined;
  const start = Math.max(0, info.size - TAIL_BYTES);
  const buffer = Buffer.alloc(info.size - start);
  const handle = await open(file, 'r');
  try {
    await handle.read(buffer, 0, buffer.length, start);
  } finally {
    await handle.close();
  }
  let text = buffer.toString('utf8');
  // Mid-file: drop the partial first line (a quoted field with a newline may cost one more row).
  if (start > 0) text = text.slice(text.indexOf('\n') + 1);
  // A row being written may be cut: keep whole lines only.
  text = text.slice(0, text.lastIndexOf('\n') + 1);
  return { text, tailOnly: start > 0 };
}

function attemptOf(fields: readonly string[]): AttemptView | undefined {
  const number = (index: number) => Number(fields[index] ?? '');
  const miniBatchId = number(0);
  if (!Number.isInteger(miniBatchId)) return undefined;
  return {
    miniBatchId,
    attempt: number(1),
    node: fields[2] ?? '',
    process: fields[3] ?? '',
    startTime: fields[4] ?? '',
    total: number(5),
    succeeded: number(6),
    failed: number(7),
    elapsedS: number(8),
    runS: number(9),
    status: fields[10] ?? '',
    errorCategory: fields[11] ?? '',
    errorMessage: fields[12] ?? '',
  };
}

/** The step's attempts in the order written (oldest first), from the CSV's tail when it is big. */
export async function readAttempts(
  stepRunDir: string,
): Promise<{ readonly attempts: AttemptView[]; readonly tailOnly: boolean }> {
  const tail = await readTail(attemptsCsvPath(stepRunDir));
  const records: string[][] =
    tail === undefined
      ? []
      : (parse(tail.text, { relax_column_count: true, skip_records_with_error: true }) as string[][]);
  const attempts = records.map(attemptOf).filter((row): row is AttemptView => row !== undefined);
  return { attempts, tailOnly: tail?.tailOnly ?? false };
}

/**
 * The step's attempts (newest first, `status` and `miniBatch` filters, at most `limit`) and its live
 * leases.
 */
export async function miniBatchesView(
  stepRunDir: string,
  live: StepLive | undefined,
  options: { readonly status?: string; readonly miniBatch?: number; readonly limit: number },
): Promise<MiniBatchesView> {
  const { attempts, tailOnly } = await readAttempts(stepRunDir);
  const { status, miniBatch } = options;
  const filtered = attempts.filter(
    (row) =>
      (status === undefined || status === '' || row.status === status) &&
      (miniBatch === undefined || row.miniBatchId === miniBatch),
  );
  return {
    live,
    attempts: filtered.reverse().slice(0, options.limit),
    attemptsRead: attempts.length,
    tailOnly,
  };
}
