/**
 * processed_mini-batches.csv made consistent with the journal when a step run resumes after a
 * coordinator restart, before anything is appended to it. The CSV is appended to while a step runs and
 * flushed now and then, so a crash leaves it out of step with what the journal holds: rows of attempts
 * whose outcome never became durable (the mini-batch runs again, or its lease is kept for its node and
 * reported again, and gets a new row then), a row written twice, a torn last line, and no row at all
 * for completions whose rows were still buffered. The CSV is rewritten against the journaled ledger: a
 * row is kept when the ledger holds its attempt settled (a completion: the mini-batch succeeded with
 * that attempt, its last; any other outcome: an earlier attempt, or the last one of a mini-batch that
 * is not succeeded and not leased), one row per attempt, the last written; a mini-batch the journal
 * holds succeeded without its row gets one saying it was rebuilt from the journal (its item counts are
 * not journaled per mini-batch: the totals are in summary.json). A rerun's carried mini-batches (never
 * leased in this step run: attempt 0) get no row, as in a run without a crash.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';

import { parse } from 'csv-parse/sync';

import { type Ledger, MiniBatchState } from '../ledger/ledger.js';
import { csvField, csvHeaderLine, PROCESSED_MINI_BATCHES_COLUMNS } from './processed-mini-batches-csv.js';

/** Column indexes of the fields the rebuild reads (processed-mini-batches-csv.ts). */
const MINI_BATCH = 0;
const ATTEMPT = 1;
const STATUS = 10;

/** The ledger facts the rebuild needs: per mini-batch, its state and its last attempt. */
export type AttemptsLedger = Pick<Ledger, 'miniBatchCount' | 'states' | 'attempts'>;

/** What a rebuild changed. */
export interface RebuiltAttempts {
  /** Rows kept (the header not counted). */
  readonly kept: number;
  /** Rows dropped: attempts the journal does not hold settled, rows written twice, a torn last line. */
  readonly dropped: number;
  /** Rows added for succeeded mini-batches the CSV had no completion for. */
  readonly recovered: number;
}

/** True when the ledger holds this attempt settled with this row's outcome (see the module comment). */
function counted(ledger: AttemptsLedger, miniBatchId: number, attempt: number, status: string): boolean {
  const state = ledger.states[miniBatchId];
  const last = ledger.attempts[miniBatchId] ?? 0;
  if (state === undefined || !(attempt >= 1) || attempt > last) return false;
  if (status === 'RUN_DONE') return state === MiniBatchState.succeeded && attempt === last;
  return attempt < last || state === MiniBatchState.pending || state === MiniBatchState.failed;
}

/** The CSV text (header first) rebuilt from `text` against `ledger`, and what changed. */
export function rebuildAttemptsCsvText(
  text: string,
  ledger: AttemptsLedger,
): { readonly text: string; readonly rebuilt: RebuiltAttempts } {
  // Rows end with a line break: whatever follows the last one is a line the crash tore.
  const whole = text.slice(0, text.lastIndexOf('\n') + 1);
  const records = parse(whole, { relax_column_count: true, skip_records_with_error: true }) as string[][];
  // One row per attempt, the last written winning (moved to the end: rows stay in the order they settled).
  const rows = new Map<string, string>();
  const done = new Set<number>();
  let read = whole.length < text.length ? 1 : 0;
  for (const record of records.slice(1)) {
    read += 1;
    const miniBatchId = Number(record[MINI_BATCH]);
    const attempt = Number(record[ATTEMPT]);
    const status = record[STATUS] ?? '';
    if (record.length !== PROCESSED_MINI_BATCHES_COLUMNS.length || !Number.isInteger(miniBatchId)) continue;
    if (!counted(ledger, miniBatchId, attempt, status)) continue;
    const key = `${miniBatchId}/${attempt}`;
    rows.delete(key);
    rows.set(key, `${record.map(csvField).join(',')}\n`);
    if (status === 'RUN_DONE') done.add(miniBatchId);
  }
  const lines = [csvHeaderLine(), ...rows.values()];
  for (let id = 0; id < ledger.miniBatchCount; id++) {
    const attempt = ledger.attempts[id] ?? 0;
    if (ledger.states[id] !== MiniBatchState.succeeded || attempt === 0 || done.has(id)) continue;
    lines.push(`${id},${attempt},,,,,,,,,RUN_DONE,Recovered,rebuilt from the journal after a coordinator restart\n`);
  }
  const recovered = lines.length - 1 - rows.size;
  return { text: lines.join(''), rebuilt: { kept: rows.size, dropped: read - rows.size, recovered } };
}

/** Rewrites the CSV at `path` against `ledger` (a new file renamed into place: never half-written). */
export async function rebuildAttemptsCsv(path: string, ledger: AttemptsLedger): Promise<RebuiltAttempts> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  const rebuilt = rebuildAttemptsCsvText(text, ledger);
  const temporary = `${path}.rebuilt`;
  await writeFile(temporary, rebuilt.text);
  await rename(temporary, path);
  return rebuilt.rebuilt;
}
