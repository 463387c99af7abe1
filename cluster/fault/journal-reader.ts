/**
 * Reads a coordinator's journal without changing it (no tail repair, no new segment), for fault tests
 * that check what a killed coordinator had made durable: which mini-batches' completions it committed,
 * and which mini-batches it held leased (live leases) when it died. stepRunsOf reads the records of
 * either store; postgres-journal-reader.ts gives it the PostgreSQL journal's.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { decodeSegmentHeader, type JournalEntry, scanSegment } from '../../src/coordinator/journal/frame.js';
import { listJournal } from '../../src/coordinator/journal/journal-files.js';
import { decodeRecord } from '../../src/coordinator/journal/records.js';

/** One step run as its journal left it. */
export interface JournaledStepRun {
  /** Mini-batches whose completion is committed. */
  readonly committed: Set<number>;
  /** Mini-batches with a live lease at the end of the journal (granted, not yet settled). */
  readonly leased: Set<number>;
  /** The last attempt the journal holds granted, per mini-batch ever leased. */
  readonly attempts: Map<number, number>;
}

/** The step runs that journal `entries` (every record from the first one, in order) hold, by step run id. */
export function stepRunsOf(entries: Iterable<JournalEntry>): Map<string, JournaledStepRun> {
  const byKey = new Map<number, JournaledStepRun>();
  const runs = new Map<string, JournaledStepRun>();
  for (const entry of entries) {
    const record = decodeRecord(entry);
    if (record.type === 'step.started') {
      const run = { committed: new Set<number>(), leased: new Set<number>(), attempts: new Map<number, number>() };
      byKey.set(record.record.stepKey, run);
      runs.set(record.record.stepRunId, run);
      continue;
    }
    if (record.type !== 'batch.committed' && record.type !== 'ledger.event') continue;
    const run = byKey.get(record.stepKey);
    if (run === undefined) continue;
    const { event } = record;
    // A rerun's carried mini-batches ran in the job it reruns: they are neither leased nor committed here.
    if (event.type === 'batches.carried') continue;
    if (event.type === 'lease.granted') {
      run.leased.add(event.miniBatchId);
      run.attempts.set(event.miniBatchId, event.attempt);
    } else run.leased.delete(event.miniBatchId);
    if (record.type === 'batch.committed') run.committed.add(event.miniBatchId);
  }
  return runs;
}

/** Ids of the mini-batches whose completion is committed, by step run id. */
export function committedOf(runs: Map<string, JournaledStepRun>): Map<string, Set<number>> {
  return new Map([...runs].map(([stepRunId, run]) => [stepRunId, run.committed]));
}

/** What the journal of `coordinatorDataDir` holds, by step run id. */
export async function journaledStepRuns(coordinatorDataDir: string): Promise<Map<string, JournaledStepRun>> {
  const dir = join(coordinatorDataDir, 'journal');
  const listing = await listJournal(dir);
  if (listing.snapshots.length > 0)
    throw new Error(`${dir} holds a snapshot: journaledStepRuns reads segments from the first record only`);
  const entries: JournalEntry[] = [];
  for (const segment of listing.segments) {
    const bytes = await readFile(join(dir, segment.name));
    const header = decodeSegmentHeader(bytes);
    if (!header.ok) continue; // a segment the crash left without its header holds nothing
    for (const entry of scanSegment(bytes, header).entries) entries.push(entry);
  }
  return stepRunsOf(entries);
}

/** Ids of the mini-batches whose completion is committed in the journal of `coordinatorDataDir`, by step run id. */
export async function committedMiniBatches(coordinatorDataDir: string): Promise<Map<string, Set<number>>> {
  return committedOf(await journaledStepRuns(coordinatorDataDir));
}
