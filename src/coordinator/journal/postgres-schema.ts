/**
 * The PostgreSQL journal's tables, its leadership and its replay (postgres-journal.ts writes):
 * - parajob_journal_records (lsn, type, payload): one row per journal record, lsns consecutive;
 * - parajob_journal_snapshots (lsn, payload): the durable state below `lsn`; older rows are deleted
 *   with the records the snapshot covers, in the snapshot's own transaction;
 * - parajob_journal_epoch: one row, bumped by every coordinator that becomes active.
 *
 * Leadership: the active coordinator holds a session advisory lock (released by PostgreSQL when its
 * session ends, a SIGKILLed or vanished coordinator included); a second one blocks on the lock as a hot
 * standby. On taking the lock it bumps the epoch, then replays. Every write transaction of the active
 * one first reads the epoch FOR SHARE and gives up if it is no longer its own, so a coordinator that
 * lost its lock without noticing can write nothing once another has taken over: either its
 * transaction commits before the bump (and the new one replays it) or it sees the new epoch.
 */
import type pg from 'pg';

import { ParajobError } from '../../errors.js';
import type { JournalEntry } from './frame.js';
import type { ReplayedJournal } from './journal-store.js';

/** The advisory lock key of the journal (one cluster per database): "parajob" in ASCII. */
export const JOURNAL_LOCK_KEY = '0x7061726a6f62';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS parajob_journal_records (lsn bigint PRIMARY KEY, type smallint NOT NULL, payload bytea NOT NULL);
CREATE TABLE IF NOT EXISTS parajob_journal_snapshots (lsn bigint PRIMARY KEY, payload bytea NOT NULL);
CREATE TABLE IF NOT EXISTS parajob_journal_epoch (id smallint PRIMARY KEY CHECK (id = 1), epoch bigint NOT NULL);
INSERT INTO parajob_journal_epoch (id, epoch) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
`;

/**
 * Server-side keepalive of the active coordinator's session: a coordinator whose machine vanishes
 * without closing its connection is noticed (and its lock released) in about 5 + 2 × 3 = 11 s instead of
 * the server's default two hours. No effect on Unix-socket connections, which notice at once.
 */
const SESSION_KEEPALIVE = 'SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3';

/** Records read per query during replay. */
const REPLAY_PAGE_ROWS = 20_000;

/** The PostgreSQL journal cannot be used: damaged (records missing), or not a parajob journal. */
export class PostgresJournalError extends ParajobError {
  override readonly name = 'PostgresJournalError';
}

/** The hex text of the advisory lock key as a bigint parameter. */
const lockKey = (): string => BigInt(JOURNAL_LOCK_KEY).toString();

/**
 * Makes the session of `client` the active coordinator's: waits for the advisory lock (calling
 * `onStandby` first when another coordinator holds it), creates the tables if need be and bumps the
 * epoch. Resolves with this coordinator's epoch.
 */
export async function becomeActive(client: pg.Client, onStandby: () => void): Promise<number> {
  const tried = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [
    lockKey(),
  ]);
  if (tried.rows[0]?.locked !== true) {
    onStandby();
    await client.query('SELECT pg_advisory_lock($1::bigint)', [lockKey()]);
  }
  await client.query(SESSION_KEEPALIVE);
  await client.query(SCHEMA);
  const bumped = await client.query<{ epoch: string }>(
    'UPDATE parajob_journal_epoch SET epoch = epoch + 1 WHERE id = 1 RETURNING epoch',
  );
  return Number(bumped.rows[0]?.epoch);
}

/** The epoch now in the table, read FOR SHARE inside the caller's transaction (a takeover waits for it). */
export async function currentEpoch(client: pg.Client): Promise<number> {
  const result = await client.query<{ epoch: string }>(
    'SELECT epoch FROM parajob_journal_epoch WHERE id = 1 FOR SHARE',
  );
  return Number(result.rows[0]?.epoch);
}

/** Inserts records (consecutive lsns) with one statement. */
export async function insertRecords(client: pg.Client, entries: readonly JournalEntry[]): Promise<void> {
  await client.query(
    'INSERT INTO parajob_journal_records (lsn, type, payload) SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::bytea[])',
    [
      entries.map((entry) => entry.lsn),
      entries.map((entry) => entry.type),
      entries.map((entry) => Buffer.from(entry.payload.buffer, entry.payload.byteOffset, entry.payload.byteLength)),
    ],
  );
}

/** Stores a snapshot at `lsn` and deletes the records and snapshots it covers. */
export async function insertSnapshot(client: pg.Client, lsn: number, payload: Buffer): Promise<void> {
  await client.query('INSERT INTO parajob_journal_snapshots (lsn, payload) VALUES ($1, $2)', [lsn, payload]);
  await client.query('DELETE FROM parajob_journal_records WHERE lsn < $1', [lsn]);
  await client.query('DELETE FROM parajob_journal_snapshots WHERE lsn < $1', [lsn]);
}

/**
 * Reads the journal back: the newest snapshot and every record after it, checked to be consecutive.
 * Resolves with them and the lsn the next record gets. Throws PostgresJournalError on a gap.
 */
export async function readJournal(client: pg.Client): Promise<{ replayed: ReplayedJournal; nextLsn: number }> {
  const snapshots = await client.query<{ lsn: string; payload: Buffer }>(
    'SELECT lsn, payload FROM parajob_journal_snapshots ORDER BY lsn DESC LIMIT 1',
  );
  const newest = snapshots.rows[0];
  const snapshot = newest === undefined ? undefined : { lsn: Number(newest.lsn), payload: newest.payload };
  let nextLsn = snapshot?.lsn ?? 0;
  const entries: JournalEntry[] = [];
  for (;;) {
    const page = await client.query<{ lsn: string; type: number; payload: Buffer }>(
      'SELECT lsn, type, payload FROM parajob_journal_records WHERE lsn >= $1 ORDER BY lsn LIMIT $2',
      [nextLsn, REPLAY_PAGE_ROWS],
    );
    for (const row of page.rows) {
      const lsn = Number(row.lsn);
      if (lsn !== nextLsn) {
        throw new PostgresJournalError(
          `the PostgreSQL journal is missing records ${nextLsn}..${lsn - 1}: the coordinator will not start on a damaged journal`,
        );
      }
      entries.push({ lsn, type: row.type, payload: row.payload });
      nextLsn += 1;
    }
    if (page.rows.length < REPLAY_PAGE_ROWS) break;
  }
  return { replayed: { snapshot, entries }, nextLsn };
}
