/**
 * Reads a PostgreSQL journal (`--store`) without taking its lock, for fault tests that check what a
 * killed coordinator had made durable: which mini-batches' completions it committed, by step run id.
 */
import pg from 'pg';

import { readJournal } from '../../src/coordinator/journal/postgres-schema.js';
import { decodeRecord } from '../../src/coordinator/journal/records.js';

/** Ids of the mini-batches whose completion is committed in the journal at `url`, by step run id. */
export async function committedMiniBatchesInPostgres(url: string): Promise<Map<string, Set<number>>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { replayed } = await readJournal(client);
    if (replayed.snapshot !== undefined)
      throw new Error(`the journal at ${url} holds a snapshot: read from the first record only`);
    const stepRunIds = new Map<number, string>();
    const committed = new Map<string, Set<number>>();
    for (const entry of replayed.entries) {
      const record = decodeRecord(entry);
      if (record.type === 'step.started') stepRunIds.set(record.record.stepKey, record.record.stepRunId);
      if (record.type !== 'batch.committed' || record.event.type === 'batches.carried') continue;
      const stepRunId = stepRunIds.get(record.stepKey) ?? String(record.stepKey);
      const ids = committed.get(stepRunId) ?? new Set<number>();
      ids.add(record.event.miniBatchId);
      committed.set(stepRunId, ids);
    }
    return committed;
  } finally {
    await client.end();
  }
}
