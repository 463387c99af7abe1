/**
 * The journal in PostgreSQL (`parajob coordinator --store postgres://…`): the same records, snapshots
 * and replay as the file journal (journal-store.ts), for a coordinator whose state must outlive its
 * machine, and a second coordinator waiting as a hot standby (postgres-schema.ts: lock and epoch).
 *
 * Group commit, as in the file journal: write() only queues a record and returns its lsn; a flush loop
 * takes everything queued and commits it in ONE transaction (the epoch checked first), while the next
 * records gather for the next one. durable() resolves only after the COMMIT that covers every record
 * written before it returned: nothing is acknowledged before it is committed. The queue, the flush loop
 * and the waiters are group-commit.ts's, shared with the file journal.
 *
 * Failure is for good, as in the file journal: a failed transaction, a lost connection or a newer
 * epoch leaves the store failed (every waiter and later call gets the error) and rejects `lost`, so
 * the coordinator stops instead of serving work it can no longer record.
 */
import type pg from 'pg';
import type { Logger } from 'pino';

import type { JournalEntry, JournalRecord } from './frame.js';
import { checkJournalRecord, GroupCommit, JournalUnavailableError } from './group-commit.js';
import type { JournalStore, OpenJournalStore } from './journal-store.js';
import { becomeActive, currentEpoch, insertRecords, insertSnapshot, readJournal } from './postgres-schema.js';

/** Another coordinator took over (a newer epoch): this one must write nothing more. */
export class JournalFencedError extends JournalUnavailableError {
  override readonly name = 'JournalFencedError';
}

/** Rows per INSERT statement (a batch larger than this is several statements in one transaction). */
const INSERT_CHUNK_ROWS = 5_000;

/** Work for the flush loop, in the order it was asked for. */
type QueuedWrite =
  | { readonly kind: 'records'; readonly entries: JournalEntry[] }
  | {
      readonly kind: 'snapshot';
      readonly lsn: number;
      readonly payload: Buffer;
      readonly resolve: (lsn: number) => void;
    };

/** The PostgreSQL journal (see the module comment). Open with postgresJournalStore. */
export class PostgresJournal implements JournalStore {
  private readonly commits = new GroupCommit<QueuedWrite>({
    flushBatch: (batch) => this.commitBatch(batch),
    onFailure: (error) => this.lose(error),
  });
  private closing = false;
  private rejectLost: (error: Error) => void = () => undefined;
  /** Rejects once the store failed for good (see the module comment). */
  readonly lost: Promise<never>;

  constructor(
    private readonly client: pg.Client,
    /** This coordinator's epoch: a write finding another one in the table is refused. */
    readonly epoch: number,
    private nextLsnValue: number,
    /** Hears how long each group commit's transaction took, in seconds (the /metrics histogram). */
    private readonly onSync?: (seconds: number) => void,
  ) {
    this.lost = new Promise<never>((_resolve, reject) => (this.rejectLost = reject));
    // Nobody need listen: the error reaches every caller too.
    this.lost.catch(() => undefined);
    client.on('error', (error) => this.commits.fail(error));
    client.on('end', () => {
      if (!this.closing) this.commits.fail(new Error('the connection to PostgreSQL ended'));
    });
  }

  /** The lsn the next record gets. */
  get nextLsn(): number {
    return this.nextLsnValue;
  }

  write(record: JournalRecord): number {
    if (this.commits.failure !== undefined) throw this.commits.failure;
    checkJournalRecord(record);
    const entry = { lsn: this.nextLsnValue, type: record.type, payload: record.payload };
    const last = this.commits.last;
    if (last?.kind === 'records') last.entries.push(entry);
    else this.commits.enqueue({ kind: 'records', entries: [entry] });
    return this.nextLsnValue++;
  }

  durable(): Promise<void> {
    return this.commits.flushed();
  }

  snapshot(payload: readonly Uint8Array[]): Promise<number> {
    if (this.commits.failure !== undefined) return Promise.reject(this.commits.failure);
    const bytes = Buffer.concat(payload.map((part) => Buffer.from(part.buffer, part.byteOffset, part.byteLength)));
    return new Promise<number>((resolve, reject) => {
      this.commits.enqueue({ kind: 'snapshot', lsn: this.nextLsnValue, payload: bytes, resolve });
      this.commits.flushed().catch(reject);
    });
  }

  async close(): Promise<void> {
    if (this.closing) return;
    try {
      if (this.commits.failure === undefined) await this.durable();
    } finally {
      this.closing = true;
      this.commits.close();
      // Ending the session releases the advisory lock: a standby takes over at once.
      await this.client.end().catch(() => undefined);
    }
  }

  /** Commits one batch of the group commit in one transaction, then answers its snapshots. */
  private async commitBatch(batch: readonly QueuedWrite[]): Promise<void> {
    const commitStarted = performance.now();
    await this.commit(batch);
    this.onSync?.((performance.now() - commitStarted) / 1000);
    for (const write of batch) if (write.kind === 'snapshot') write.resolve(write.lsn);
  }

  private async commit(batch: readonly QueuedWrite[]): Promise<void> {
    await this.client.query('BEGIN');
    try {
      const epoch = await currentEpoch(this.client);
      if (epoch !== this.epoch) {
        throw new JournalFencedError(
          `another coordinator took over the journal (epoch ${epoch}, this one's is ${this.epoch}): this coordinator must stop`,
        );
      }
      for (const write of batch) {
        if (write.kind === 'snapshot') {
          await insertSnapshot(this.client, write.lsn, write.payload);
          continue;
        }
        for (let start = 0; start < write.entries.length; start += INSERT_CHUNK_ROWS)
          await insertRecords(this.client, write.entries.slice(start, start + INSERT_CHUNK_ROWS));
      }
      await this.client.query('COMMIT');
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /** The store failed for good (group-commit.ts rejected every waiter): `lost` rejects, the session ends. */
  private lose(error: JournalUnavailableError): void {
    this.rejectLost(error);
    // The session (and its lock, if it still had it) goes: nothing more can be written through it.
    if (!this.closing) {
      this.closing = true;
      void this.client.end().catch(() => undefined);
    }
  }
}

/** Options of postgresJournalStore. */
export interface PostgresJournalOptions {
  readonly logger: Logger;
  /** Called when another coordinator is active and this one starts waiting as its standby. */
  readonly onStandby?: () => void;
  /** Hears how long each group commit's transaction took, in seconds (BEGIN to COMMIT). */
  readonly onSync?: (seconds: number) => void;
}

/**
 * Opens the journal in the PostgreSQL database at `url` (`postgres://user@host:port/db`): connects,
 * waits as a standby while another coordinator is active, takes over (epoch bumped) and replays.
 */
export function postgresJournalStore(url: string, options: PostgresJournalOptions): OpenJournalStore {
  return async () => {
    const location = redactedUrl(url);
    const { default: pgModule } = await import('pg');
    const client = new pgModule.Client({
      connectionString: url,
      application_name: 'parajob-coordinator',
      keepAlive: true,
    });
    // An error before the store owns the client (connecting, waiting for the lock) surfaces from the
    // query that fails; without a listener it would be thrown from the socket instead.
    const early = (): void => undefined;
    client.on('error', early);
    try {
      await client.connect();
      const epoch = await becomeActive(client, () => {
        options.logger.info({ journal: location }, 'standby: another coordinator is active; waiting to take over');
        options.onStandby?.();
      });
      const { replayed, nextLsn } = await readJournal(client);
      options.logger.info({ journal: location, epoch }, 'this coordinator is the active one (journal lock taken)');
      const store = new PostgresJournal(client, epoch, nextLsn, options.onSync);
      client.off('error', early);
      return { store, replayed, location, lost: store.lost };
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
  };
}

/** `url` without its password, for logs. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparsable url)';
  }
}
