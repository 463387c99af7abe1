/**
 * Reads a coordinator's journal without changing it (no tail repair, no new segment), for fault tests
 * that check what a killed coordinator had made durable: which mini-batches' completions it committed.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { decodeSegmentHeader, scanSegment } from '../../src/coordinator/journal/frame.js';
import { listJournal } from '../../src/coordinator/journal/journal-files.js';
import { decodeRecord } from '../../src/coordinator/journal/records.js';

/** Ids of the mini-batches whose completion is committed in the journal of `coordinatorDataDir`, by step run id. */
export async function committedMiniBatches(coordinatorDataDir: string): Promise<Map<string, Set<number>>> {
  const dir = join(coordinatorDataDir, 'journal');
  const listing = await listJournal(dir);
  if (listing.snapshots.length > 0)
    throw new Error(`${dir} holds a snapshot: committedMiniBatches reads segments from the first record only`);
  const stepRunIds = new Map<number, string>();
  const committed = new Map<string, Set<number>>();
  for (const segment of listing.segments) {
    const bytes = await readFile(join(dir, segment.name));
    const header = decodeSegmentHeader(bytes);
    if (!header.ok) continue; // a segment the crash left without its header holds nothing
    for (const entry of scanSegment(bytes, header).entries) {
      const record = decodeRecord(entry);
      if (record.type === 'step.started') stepRunIds.set(record.record.stepKey, record.record.stepRunId);
      if (record.type !== 'batch.committed') continue;
      const stepRunId = stepRunIds.get(record.stepKey) ?? String(record.stepKey);
      const ids = committed.get(stepRunId) ?? new Set<number>();
      ids.add(record.event.miniBatchId);
      committed.set(stepRunId, ids);
    }
  }
  return committed;
}
