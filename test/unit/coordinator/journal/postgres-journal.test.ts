/**
 * The PostgreSQL journal against a real server (cluster/fault/postgres-server.ts): replay gives back
 * what was written, a batch is one transaction, nothing is durable before its COMMIT, a standby takes
 * over when the active one goes, and a coordinator that lost its lock or its epoch can write nothing.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { findPostgres, type PostgresServer, startPostgres } from '../../../../cluster/fault/postgres-server.js';
import { CoordinatorJournal } from '../../../../src/coordinator/journal/coordinator-journal.js';
import type { JournalRecord } from '../../../../src/coordinator/journal/frame.js';
import type { OpenedJournalStore } from '../../../../src/coordinator/journal/journal-store.js';
import {
  JournalFencedError,
  type PostgresJournal,
  postgresJournalStore,
} from '../../../../src/coordinator/journal/postgres-journal.js';
import { createRandomTokens, grantLeases } from '../../../../src/coordinator/ledger/decisions.js';
import { applyLedgerEvent } from '../../../../src/coordinator/ledger/ledger.js';

const logger = pino({ level: 'silent' });
const found = findPostgres();
if ('reason' in found) console.warn(`skipping the PostgreSQL journal tests: ${found.reason}`);

const record = (index: number): JournalRecord => ({ type: 1 + (index % 7), payload: Buffer.from(`record ${index}`) });
const plain = (entries: readonly { lsn: number; type: number; payload: Uint8Array }[]) =>
  entries.map((entry) => ({ lsn: entry.lsn, type: entry.type, payload: Buffer.from(entry.payload).toString() }));

describe.skipIf('reason' in found)('PostgreSQL journal', () => {
  let server: PostgresServer;
  let databases = 0;
  const newDatabase = () => server.createDatabase(`journal_${++databases}`);
  const open = async (
    url: string,
    onStandby?: () => void,
    onSync?: (seconds: number) => void,
  ): Promise<OpenedJournalStore & { store: PostgresJournal }> =>
    (await postgresJournalStore(url, {
      logger,
      ...(onStandby === undefined ? {} : { onStandby }),
      ...(onSync === undefined ? {} : { onSync }),
    })()) as OpenedJournalStore & {
      store: PostgresJournal;
    };
  /** A query on database `url` from a session of the test's own. */
  const sql = async (url: string, text: string, values?: unknown[]) => {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await client.query(text, values);
    } finally {
      await client.end();
    }
  };
  /** The pid of the session holding the journal's advisory lock. */
  const lockHolder = async (url: string): Promise<number> => {
    const result = await sql(url, "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted");
    return Number(result.rows[0]?.pid);
  };

  beforeAll(async () => {
    if ('binDir' in found) server = await startPostgres(found.binDir);
  }, 60_000);
  afterAll(async () => server?.stop());

  it('replays what was written: the newest snapshot and every record after it, in order', async () => {
    const url = await newDatabase();
    const first = await open(url);
    expect(first.replayed.snapshot).toBeUndefined();
    expect(first.replayed.entries).toEqual([]);
    for (let index = 0; index < 30; index++) first.store.write(record(index));
    expect(await first.store.snapshot([Buffer.from('state '), Buffer.from('at 30')])).toBe(30);
    for (let index = 30; index < 45; index++) first.store.write(record(index));
    await first.store.close();

    const second = await open(url);
    expect(second.replayed.snapshot?.lsn).toBe(30);
    expect(Buffer.from(second.replayed.snapshot?.payload ?? []).toString()).toBe('state at 30');
    expect(plain(second.replayed.entries)).toEqual(
      Array.from({ length: 15 }, (_, offset) => ({
        lsn: 30 + offset,
        type: record(30 + offset).type,
        payload: `record ${30 + offset}`,
      })),
    );
    // Compaction: the snapshot's transaction deleted what it covers.
    const left = await sql(url, 'SELECT min(lsn) AS first, count(*) AS n FROM parajob_journal_records');
    expect(left.rows[0]).toEqual({ first: '30', n: '15' });
    expect(second.store.write(record(45))).toBe(45);
    await second.store.close();
  });

  it('commits a batch written in one turn as one transaction, and says durable only after its COMMIT', async () => {
    const url = await newDatabase();
    // Each transaction's time is reported (the /metrics journal fsync histogram).
    const syncs: number[] = [];
    const { store } = await open(url, undefined, (seconds) => syncs.push(seconds));
    for (let index = 0; index < 12_000; index++) store.write(record(index));
    await store.durable();
    expect(syncs).toHaveLength(1);
    const transactions = await sql(
      url,
      'SELECT count(DISTINCT xmin::text) AS n, count(*) AS rows FROM parajob_journal_records',
    );
    expect(transactions.rows[0]).toEqual({ n: '1', rows: '12000' });

    // Another session holds the epoch row: the store's next transaction waits on it, uncommitted.
    const { default: pg } = await import('pg');
    const blocker = new pg.Client({ connectionString: url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT epoch FROM parajob_journal_epoch WHERE id = 1 FOR UPDATE');
    let durable = false;
    store.write(record(12_000));
    const waiting = store.durable().then(() => (durable = true));
    await expect
      .poll(
        async () =>
          (
            await sql(
              url,
              "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'parajob-coordinator' AND wait_event_type = 'Lock'",
            )
          ).rows[0]?.n,
        { timeout: 10_000 },
      )
      .toBe('1');
    expect(durable).toBe(false);
    expect((await sql(url, 'SELECT count(*) AS n FROM parajob_journal_records')).rows[0]?.n).toBe('12000');
    await blocker.query('COMMIT');
    await blocker.end();
    await waiting;
    expect((await sql(url, 'SELECT count(*) AS n FROM parajob_journal_records')).rows[0]?.n).toBe('12001');
    expect(syncs).toHaveLength(2);
    expect(syncs.every((seconds) => seconds > 0)).toBe(true);
    await store.close();
  });

  it('a standby waits while the active one holds the lock, and takes over with a newer epoch when it closes', async () => {
    const url = await newDatabase();
    const active = await open(url);
    active.store.write(record(0));
    active.store.write(record(1));
    await active.store.durable();
    let standingBy!: () => void;
    const standby = new Promise<void>((resolve) => (standingBy = resolve));
    let tookOver = false;
    const next = open(url, standingBy).then((opened) => {
      tookOver = true;
      return opened;
    });
    await standby;
    expect(tookOver).toBe(false);
    await active.store.close();
    const successor = await next;
    expect(successor.store.epoch).toBe(active.store.epoch + 1);
    expect(plain(successor.replayed.entries).map((entry) => entry.payload)).toEqual(['record 0', 'record 1']);
    await successor.store.close();
  });

  it('refuses a write after the lock is lost: the standby takes over and the old one is lost for good', async () => {
    const url = await newDatabase();
    const active = await open(url);
    active.store.write(record(0));
    await active.store.durable();
    let standingBy!: () => void;
    const standby = new Promise<void>((resolve) => (standingBy = resolve));
    const next = open(url, standingBy);
    await standby;
    // The active coordinator's session ends (as when PostgreSQL notices its machine is gone).
    await sql(url, 'SELECT pg_terminate_backend($1)', [await lockHolder(url)]);
    await expect(active.lost).rejects.toThrow(/journal write failed|connection/);
    const successor = await next;
    expect(() => active.store.write(record(1))).toThrow();
    await expect(active.store.durable()).rejects.toThrow();
    successor.store.write(record(1));
    await successor.store.durable();
    expect(plain(successor.replayed.entries).map((entry) => entry.payload)).toEqual(['record 0']);
    await successor.store.close();
  });

  it('fences a write once another epoch was taken, even on a session that is still alive', async () => {
    const url = await newDatabase();
    const { store, lost } = await open(url);
    store.write(record(0));
    await store.durable();
    // A takeover this coordinator did not notice (its lock gone, its session not yet).
    await sql(url, 'UPDATE parajob_journal_epoch SET epoch = epoch + 1');
    store.write(record(1));
    await expect(store.durable()).rejects.toBeInstanceOf(JournalFencedError);
    await expect(lost).rejects.toThrow(/another coordinator took over the journal/);
    expect(() => store.write(record(2))).toThrow(JournalFencedError);
    const rows = await sql(url, 'SELECT lsn FROM parajob_journal_records ORDER BY lsn');
    expect(rows.rows.map((row: { lsn: string }) => row.lsn)).toEqual(['0']);
    await store.close();
  });

  it('serves CoordinatorJournal: a step resumed from PostgreSQL has the journaled ledger', async () => {
    const url = await newDatabase();
    const journal = await CoordinatorJournal.open('/nonexistent', {
      logger,
      store: postgresJournalStore(url, { logger }),
    });
    await journal.jobAccepted({
      jobId: 'job-1',
      specPath: '/specs/job.yml',
      specYaml: 'name: x\n',
      runDir: '/runs/job-1',
      chaos: '',
      codeHashes: [['/code', 'abc']],
      warnings: [],
      acceptedAtMs: 1,
    });
    const { step, ledger } = journal.startStep('job-1', 'job-1', { miniBatchCount: 4, maxRetries: 1 }, () => 2);
    // As a step run does: completions are journaled after the output is synced past their rows.
    step.attachOutput(() => Promise.resolve());
    const grants = grantLeases(ledger, 'node-a', 2, createRandomTokens(), 5);
    for (const event of grants) {
      applyLedgerEvent(ledger, event);
      step.record(event);
    }
    const granted = grants[0];
    if (granted?.type !== 'lease.granted') throw new Error('test bug');
    const done = {
      type: 'batch.completed',
      miniBatchId: granted.miniBatchId,
      token: granted.token,
      total: 2,
      succeeded: 2,
    } as const;
    applyLedgerEvent(ledger, done);
    step.record(done, 7);
    await step.durable();
    await journal.close();

    const resumed = await CoordinatorJournal.open('/nonexistent', {
      logger,
      store: postgresJournalStore(url, { logger }),
    });
    const again = resumed.startStep('job-1', 'job-1', { miniBatchCount: 4, maxRetries: 1 }, () => 2);
    expect(again.resumed).toEqual({ outputEnd: 7, liveLeases: 1 });
    expect(again.ledger.states[granted.miniBatchId]).toBe(ledger.states[granted.miniBatchId]);
    await resumed.close();
  });
});
