/**
 * Group commit, the part the file journal and the PostgreSQL journal share: writes queue up while a
 * flush runs, the next flush takes all of them at once (one fdatasync, or one transaction), and every
 * caller waiting on a write resolves only after the flush that covers it returned.
 *
 * The store says how a batch becomes durable (`flushBatch`); this module keeps the order: a serial per
 * queued write, the serial the last flush covered, and the callers waiting, in serial order.
 *
 * Failure is for good: once a flush fails (after a failed fsync the kernel may have dropped the dirty
 * pages; after a lost session the lock may be someone else's), every waiter and every later call gets
 * the same JournalUnavailableError. Retrying could acknowledge data that is gone.
 */
import { type JournalRecord, MAX_BODY_BYTES } from './frame.js';

/** The journal failed (a write or sync error) or was closed: nothing more can be made durable. */
export class JournalUnavailableError extends Error {
  override readonly name: string = 'JournalUnavailableError';
}

/** Throws RangeError unless `record` can be stored: a type byte 1..255 and a payload under the frame limit. */
export function checkJournalRecord(record: JournalRecord): void {
  if (record.type < 1 || record.type > 255 || !Number.isInteger(record.type))
    throw new RangeError(`journal record type must be 1..255, got ${record.type}`);
  if (record.payload.length >= MAX_BODY_BYTES)
    throw new RangeError(`journal record payload of ${record.payload.length} bytes is too large`);
}

/** Options of a GroupCommit. */
export interface GroupCommitOptions<W> {
  /**
   * Makes `batch` (every write queued since the last flush, in order) durable; rejects when it cannot.
   * Called with nothing else in flight: the next batch waits for this one.
   */
  readonly flushBatch: (batch: readonly W[]) => Promise<void>;
  /** Called once, when the queue fails for good, with the error every caller now gets. */
  readonly onFailure?: (error: JournalUnavailableError) => void;
}

interface Waiter {
  /** Resolved once `flushedSerial` reaches this. */
  readonly serial: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** The queue, the flush loop and the waiters of a journal store (see the module comment). */
export class GroupCommit<W> {
  private queue: W[] = [];
  /** Counts queued writes; each write's serial is its place in this count. */
  private enqueuedSerial = 0;
  private flushedSerial = 0;
  /** Callers waiting for a flush, in serial order. */
  private readonly waiters: Waiter[] = [];
  private flushing: Promise<void> | undefined;
  private failureValue: JournalUnavailableError | undefined;

  constructor(private readonly options: GroupCommitOptions<W>) {}

  /** Set once the queue failed or was closed: the error every call gets. */
  get failure(): JournalUnavailableError | undefined {
    return this.failureValue;
  }

  /** The write queued last that no flush has taken yet (a store may add records to it). */
  get last(): W | undefined {
    return this.queue[this.queue.length - 1];
  }

  /** Queues `write` for the next flush (starting the flush loop if it is idle). */
  enqueue(write: W): void {
    this.queue.push(write);
    this.enqueuedSerial += 1;
    this.flushing ??= this.flushLoop();
  }

  /** Resolves once every write queued so far is flushed; rejects once the queue has failed. */
  flushed(): Promise<void> {
    if (this.failureValue !== undefined) return Promise.reject(this.failureValue);
    const serial = this.enqueuedSerial;
    if (this.flushedSerial >= serial) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ serial, resolve, reject }));
  }

  /**
   * Fails the queue for good with `error` (wrapped in a JournalUnavailableError unless it is one):
   * what is queued is dropped and every waiter rejected. Later calls are ignored.
   */
  fail(error: unknown): void {
    if (this.failureValue !== undefined) return;
    this.failureValue =
      error instanceof JournalUnavailableError
        ? error
        : new JournalUnavailableError(
            `journal write failed: ${error instanceof Error ? error.message : String(error)}`,
            { cause: error },
          );
    this.queue = [];
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.failureValue);
    this.options.onFailure?.(this.failureValue);
  }

  /** Marks the queue closed (call after the last flush): later calls get "journal closed". */
  close(): void {
    this.failureValue ??= new JournalUnavailableError('journal closed');
  }

  /** Flushes batches until nothing is queued (see the module comment). */
  private async flushLoop(): Promise<void> {
    // One turn of the event loop gathers the writes made with this one (a whole batch of results).
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      while (this.queue.length > 0 && this.failureValue === undefined) {
        const batch = this.queue;
        const serial = this.enqueuedSerial;
        this.queue = [];
        await this.options.flushBatch(batch);
        this.flushedSerial = serial;
        this.settleWaiters();
      }
    } catch (error) {
      this.fail(error);
    } finally {
      this.flushing = undefined;
    }
  }

  private settleWaiters(): void {
    let settled = 0;
    while (settled < this.waiters.length && (this.waiters[settled] as Waiter).serial <= this.flushedSerial) settled++;
    for (const waiter of this.waiters.splice(0, settled)) waiter.resolve();
  }
}
