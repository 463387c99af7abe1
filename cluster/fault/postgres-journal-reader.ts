/**
 * Reads a PostgreSQL journal (`--store`) without taking its lock, for fault tests that check what a
 * killed coordinator had made durable: which mini-batches' completions it committed, by step run id
 * (the records are read as journal-reader.ts reads the file journal's).
 */
import pg from 'pg';

import { readJournal } from '../../src/coordinator/journal/postgres-schema.js';
import { committedOf, stepRunsOf } from './journal-reader.js';

/** Ids of the mini-batches whose completion is committed in the journal at `url`, by step run id. */
export async function committedMiniBatchesInPostgres(url: string): Promise<Map<string, Set<number>>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { replayed } = await readJournal(client);
    if (replayed.snapshot !== undefined)
      throw new Error(`the journal at ${url} holds a snapshot: read from the first record only`);
    return committedOf(stepRunsOf(replayed.entries));
  } finally {
    await client.end();
  }
}
