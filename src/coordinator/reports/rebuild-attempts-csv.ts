/**
 * processed_mini-batches.csv made consistent with the journal after a coordinator restart. The CSV is
 * appended to while a step runs and flushed now and then, so a crash leaves it out of step with what
 * the journal holds: rows of attempts whose outcome never became durable (the mini-batch runs again,
 * or its attempt is revoked on resume, and gets a new row), a row written twice (a kept lease whose
 * result the node sent again), a torn last line, and no row at all for completions whose rows were
 * still buffered. At the end of a resumed step run the CSV is rewritten against its final ledger: a
 * row is kept when the ledger counts its attempt (a completion: the mini-batch succeeded with that
 * attempt, its last; any other outcome: an attempt that did not succeed), one row per attempt, the
 * last written (after a restart, the outcome the journal holds); a succeeded mini-batch without its row
 * gets one saying it was rebuilt from the journal (its item counts are not journaled per mini-batch:
 * the totals are in summary.json).
 */
import { readFile, rename, writeFile } from 'node:fs/promises';

import { parse } from 'csv-parse/sync';

import { type Ledger, MiniBatchState } from '../ledger/ledger.js';
import { csvField, csvHeaderLine } from './processed-mini-batches-csv.js';

/** Column indexes of the fields the rebuild reads (processed-mini-batches-csv.ts). */
const MINI_BATCH = 0;
const ATTEMPT = 1;
const STATUS = 10;

/** The ledger facts the rebuild needs: per mini-batch, its state and its last attempt. */
export type AttemptsLedger = Pick<Ledger, 'miniBatchCount' | 'states' | 'attempts'>;

/** True when the ledger counts this attempt's row (see the module comment). */
function counted(ledger: AttemptsLedger, miniBatchId: number, attempt: number, status: string): boolean {
  const state = ledger.states[miniBatchId];
  const last = ledger.attempts[miniBatchId] ?? 0;
  if (state === undefined || attempt < 1 || attempt > last) return false;
  if (status === 'RUN_DONE') return state === MiniBatchState.succeeded && attempt === last;
  return attempt < last || state !== MiniBatchState.succeeded;
}

/** The CSV text (header first) rebuilt from `text` against `ledger`. */
export function rebuildAttemptsCsvText(text: string, ledger: AttemptsLedger): string {
  const records = parse(text, { relax_column_count: true, skip_records_with_error: true }) as string[][];
  // One row per attempt, the last written winning (moved to the end: rows stay in the order they settled).
  const rows = new Map<string, string>();
  const done = new Set<number>();
  for (const record of records.slice(1)) {
    const miniBatchId = Number(record[MINI_BATCH]);
    const attempt = Number(record[ATTEMPT]);
    const status = record[STATUS] ?? '';
    if (!Number.isInteger(miniBatchId) || !counted(ledger, miniBatchId, attempt, status)) continue;
    const key = `${miniBatchId}/${attempt}`;
    rows.delete(key);
    rows.set(key, `${record.map(csvField).join(',')}\n`);
    if (status === 'RUN_DONE') done.add(miniBatchId);
  }
  const lines = [csvHeaderLine(), ...rows.values()];
  for (let id = 0; id < ledger.miniBatchCount; id++) {
    if (ledger.states[id] !== MiniBatchState.succeeded || done.has(id)) continue;
    const attempt = ledger.attempts[id] ?? 0;
    lines.push(`${id},${attempt},,,,,,,,,RUN_DONE,Recovered,rebuilt from the journal after a coordinator restart\n`);
  }
  return lines.join('');
}

/** Rewrites the CSV at `path` against `ledger` (a new file renamed into place: never half-written). */
export async function rebuildAttemptsCsv(path: string, ledger: AttemptsLedger): Promise<void> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  const rebuilt = `${path}.rebuilt`;
  await writeFile(rebuilt, rebuildAttemptsCsvText(text, ledger));
  await rename(rebuilt, path);
}
