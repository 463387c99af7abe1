/**
 * The journal in PostgreSQL (`parajob coordinator --store postgres://…`): the same records, snapshots
 * and replay as the file journal (journal-store.ts), for a coordinator whose state must outlive its
 * machine, and a second coordinator waiting as a hot standby (postgres-schema.ts: lock and epoch).
 *
 * Group commit, as in the file journal: write() only queues a record and returns its lsn; a flush loop
 * takes everything queued and commits it in ONE transaction (the epoch checked first), while the next
 * records gather for the next one. durable() resolves only after the COMMIT that covers every record
 * written before it returned: nothing is acknowledged before it is committed.
 *
 * Failure is for good, as in the file journal: a failed transaction, a lost connection or a newer
 * epoch leaves the store failed (every waiter and later call gets the error) and rejects `lost`, so
 * the coordinator stops instead of serving work it can no longer record.
 */
import type pg from 'pg';
import type { Logger } from 'pino';

import { JournalUnavailableError } from './file-journal.js';
import { type JournalEntry, type JournalRecord, MAX_BODY_BYTES } from './frame.js';
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

interface Waiter {
  /** Resolved once `committedSerial` reaches this. */
  readonly serial: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** The PostgreSQL journal (see the module comment). Open with postgresJournalStore. */
export class PostgresJournal implements JournalStore {
  private queue: QueuedWrite[] = [];
  private enqueuedSerial = 0;
  private committedSerial = 0;
  private readonly waiters: Waiter[] = [];
  private flushing: Promise<void> | undefined;
  private failure: Error | undefined;
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
    client.on('error', (error) => this.fail(error));
    client.on('end', () => {
      if (!this.closing) this.fail(new Error('the connection to PostgreSQL ended'));
    });
  }

  /** The lsn the next record gets. */
  get nextLsn(): number {
    return this.nextLsnValue;
  }

  write(record: JournalRecord): number {
    if (this.failure !== undefined) throw this.failure;
    if (record.type < 1 || record.type > 255 || !Number.isInteger(record.type))
      throw new RangeError(`journal record type must be 1..255, got ${record.type}`);
    if (record.payload.length >= MAX_BODY_BYTES)
      throw new RangeError(`journal record payload of ${record.payload.length} bytes is too large`);
    const entry = { lsn: this.nextLsnValue, type: record.type, payload: record.payload };
    const last = this.queue[this.queue.length - 1];
    if (last?.kind === 'records') last.entries.push(entry);
    else this.enqueue({ kind: 'records', entries: [entry] });
    return this.nextLsnValue++;
  }

  durable(): Promise<void> {
    return this.whenCommitted(this.enqueuedSerial);
  }

  snapshot(payload: readonly Uint8Array[]): Promise<number> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const bytes = Buffer.concat(payload.map((part) => Buffer.from(part.buffer, part.byteOffset, part.byteLength)));
    return new Promise<number>((resolve, reject) => {
      this.enqueue({ kind: 'snapshot', lsn: this.nextLsnValue, payload: bytes, resolve });
      this.whenCommitted(this.enqueuedSerial).catch(reject);
    });
  }

  async close(): Promise<void> {
    if (this.closing) return;
    try {
      if (this.failure === undefined) await this.durable();
    } finally {
      this.closing = true;
      this.failure ??= new JournalUnavailableError('journal closed');
      // Ending the session releases the advisory lock: a standby takes over at once.
      await this.client.end().catch(() => undefined);
    }
  }

  private enqueue(write: QueuedWrite): void {
    this.queue.push(write);
    this.enqueuedSerial += 1;
    this.flushing ??= this.flushLoop();
  }

  private whenCommitted(serial: number): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.committedSerial >= serial) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ serial, resolve, reject }));
  }

  /** Commits batches until nothing is queued: one transaction per batch (see the module comment). */
  private async flushLoop(): Promise<void> {
    // One turn of the event loop gathers the records written with this one (a whole batch of results).
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      while (this.queue.length > 0 && this.failure === undefined) {
        const batch = this.queue;
        const serial = this.enqueuedSerial;
        this.queue = [];
        const commitStarted = performance.now();
        await this.commit(batch);
        this.onSync?.((performance.now() - commitStarted) / 1000);
        this.committedSerial = serial;
        for (const write of batch) if (write.kind === 'snapshot') write.resolve(write.lsn);
        this.settleWaiters();
      }
    } catch (error) {
      this.fail(error);
    } finally {
      this.flushing = undefined;
    }
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

  private settleWaiters(): void {
    let settled = 0;
    while (settled < this.waiters.length && (this.waiters[settled] as Waiter).serial <= this.committedSerial) settled++;
    for (const waiter of this.waiters.splice(0, settled)) waiter.resolve();
  }

  private fail(error: unknown): void {
    if (this.failure !== undefined) return;
    this.failure =
      error instanceof JournalUnavailableError
        ? error
        : new JournalUnavailableError(
            `journal write failed: ${error instanceof Error ? error.message : String(error)}`,
            { cause: error },
          );
    this.queue = [];
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.failure);
    this.rejectLost(this.failure);
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
