/**
 * The run directory's reports made consistent with the journal when a step run resumes after a
 * coordinator restart, before the resumed run appends anything to them, so that what a user reads
 * there agrees with the journal at every moment, not only once the step ends:
 * - processed_mini-batches.csv is rebuilt against the journaled ledger (rebuild-attempts-csv.ts);
 * - job_progress_overview.txt loses a line the crash tore (its next lines, starting with the one that
 *   says the run resumed and how much of it the journal held, are appended after it);
 * - job_result.txt, summary.json and job_error.txt are removed when a crash during finishing left them:
 *   the journal does not hold the step's end, so the step has not ended; they are written again when
 *   it does.
 */
import { open, rm } from 'node:fs/promises';

import { runDirLayout } from '../../log/layout.js';
import { type AttemptsLedger, rebuildAttemptsCsv, type RebuiltAttempts } from './rebuild-attempts-csv.js';

/** What reconciling changed, for the coordinator's log. */
export interface ReconciledReports extends RebuiltAttempts {
  /** Bytes of a torn last overview line cut off. */
  readonly overviewCut: number;
  /** End-of-step files of an interrupted finish that were removed. */
  readonly staleResultFiles: number;
}

/** Reconciles the reports of the step run in `runDir` with its journaled `ledger` (see the module comment). */
export async function reconcileReportsOnResume(runDir: string, ledger: AttemptsLedger): Promise<ReconciledReports> {
  const layout = runDirLayout(runDir);
  const rebuilt = await rebuildAttemptsCsv(layout.processedMiniBatchesCsv, ledger);
  const overviewCut = await cutTornLine(layout.progressOverview);
  let staleResultFiles = 0;
  for (const path of [layout.jobResult, layout.summaryJson, layout.jobError]) {
    if (await removed(path)) staleResultFiles += 1;
  }
  return { ...rebuilt, overviewCut, staleResultFiles };
}

/** Cuts whatever follows the last line break of the file at `path` (absent: nothing); returns the bytes cut. */
async function cutTornLine(path: string): Promise<number> {
  const handle = await open(path, 'r+').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (handle === undefined) return 0;
  try {
    const { size } = await handle.stat();
    // Overview lines are short: the tail holds the last line break unless the file is one torn line.
    const tailLength = Math.min(size, 64 * 1024);
    const tail = Buffer.alloc(tailLength);
    await handle.read(tail, 0, tailLength, size - tailLength);
    const lastBreak = tail.lastIndexOf(0x0a);
    const keep = lastBreak >= 0 ? size - tailLength + lastBreak + 1 : tailLength === size ? 0 : size;
    if (keep < size) await handle.truncate(keep);
    return size - keep;
  } finally {
    await handle.close();
  }
}

async function removed(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
