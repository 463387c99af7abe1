/**
 * The coordinator's one journal writer (DESIGN.md "Durable state"): the machines never touch the
 * journal store (the file journal, or PostgreSQL: journal-store.ts); they hand their records to this class (through the StepJournal of each step run), which
 * writes them, applies them to the durable state (durable-state.ts) and takes snapshots of that state.
 *
 * - Lease tokens are not journaled: they are random (ledger/decisions.ts createRandomTokens). Journals
 *   written before that may hold tokens.reserved records, which replay still reads.
 * - A step run's completions are journaled only after its append_row output is synced past their rows
 *   (see StepJournal.record); other ledger events are journaled at once, without waiting.
 */
import type { Logger } from 'pino';

import { applyLedgerEvent, cloneLedger, createLedger, type Ledger, type LedgerEvent } from '../ledger/ledger.js';
import {
  applyRecord,
  createDurableState,
  decodeDurableState,
  type DurableJob,
  type DurableState,
  encodeDurableState,
  materializeStepLedger,
} from './durable-state.js';
import type { FileJournalOptions } from './file-journal.js';
import { fileJournalStore, type JournalStore, type OpenJournalStore, type ReplayedJournal } from './journal-store.js';
import { type CoordinatorRecord, decodeRecord, encodeRecord, type JobAcceptedRecord } from './records.js';

/** Records between snapshots. */
const DEFAULT_SNAPSHOT_EVERY_RECORDS = 100_000;

/** Options of CoordinatorJournal.open. */
export interface CoordinatorJournalOptions extends FileJournalOptions {
  readonly logger: Logger;
  /** A snapshot is taken after this many records. @default 100000 */
  readonly snapshotEveryRecords?: number;
  /** Hears of every record right after it is handed to the journal (fault injection). */
  readonly onRecordWritten?: (record: CoordinatorRecord) => void;
  /** Where the journal lives. @default the file journal in `<dataDir>/journal/` */
  readonly store?: OpenJournalStore;
}

/** The coordinator's journal writer (see the module comment). */
export class CoordinatorJournal {
  private recordsSinceSnapshot = 0;
  private snapshotting = false;

  private constructor(
    private readonly journal: JournalStore,
    /** What the journal holds, kept up to date as records are written. */
    readonly state: DurableState,
    private readonly logger: Logger,
    private readonly snapshotEveryRecords: number,
    private readonly onRecordWritten: ((record: CoordinatorRecord) => void) | undefined,
    /** Rejects when the store is lost for good (see OpenedJournalStore.lost); undefined: never reported. */
    readonly lost: Promise<never> | undefined,
  ) {}

  /**
   * Opens the journal (`options.store`, else `<dataDir>/journal`) and replays it into the durable state
   * before resolving. Throws JournalCorruptError on a damaged journal.
   */
  static async open(dataDir: string, options: CoordinatorJournalOptions): Promise<CoordinatorJournal> {
    const opened = await (options.store ?? fileJournalStore(dataDir, options))();
    const { store: journal, replayed: recovered } = opened;
    const state = replay(recovered);
    if (recovered.truncated !== undefined)
      options.logger.warn(recovered.truncated, 'journal: torn tail of an interrupted write cut off');
    options.logger.info(
      {
        journal: opened.location,
        jobs: state.jobs.size,
        unfinished: [...state.jobs.values()].filter((job) => job.endedStatus === undefined).length,
        snapshotLsn: recovered.snapshot?.lsn,
        replayed: recovered.entries.length,
      },
      'journal opened',
    );
    const writer = new CoordinatorJournal(
      journal,
      state,
      options.logger,
      options.snapshotEveryRecords ?? DEFAULT_SNAPSHOT_EVERY_RECORDS,
      options.onRecordWritten,
      opened.lost,
    );
    await journal.durable();
    return writer;
  }

  /** Jobs the journal knows, in the order they were accepted. */
  jobs(): DurableJob[] {
    return [...this.state.jobs.values()];
  }

  /** Journals an accepted job; resolves once durable (Submit answers after that). */
  async jobAccepted(record: JobAcceptedRecord): Promise<void> {
    this.write({ type: 'job.accepted', record });
    await this.journal.durable();
  }

  /**
   * Journals that an ended job is forgotten (delete, retention sweep); resolves once durable. The
   * next snapshot no longer holds it: call compact() after a batch of deletions.
   */
  async jobDeleted(jobId: string): Promise<void> {
    this.write({ type: 'job.deleted', record: { jobId } });
    await this.journal.durable();
  }

  /** Takes a snapshot now (unless one is being written), which removes the segments it covers. */
  compact(): void {
    this.maybeSnapshot();
  }

  /** Journals a job's end with its final status (JobStatus JSON); resolves once durable. */
  async jobEnded(jobId: string, status: unknown): Promise<void> {
    this.write({ type: 'job.ended', record: { jobId, status } });
    await this.journal.durable();
  }

  /**
   * The journal of a step run whose partition has `miniBatchCount` mini-batches, and its ledger: the
   * journaled one when the step run was under way before a restart (its live leases kept: the nodes
   * that hold them may come back and report them; the step run re-queues those that do not), else a
   * fresh one.
   */
  startStep(
    jobId: string,
    stepRunId: string,
    shape: { readonly miniBatchCount: number; readonly maxRetries: number },
    itemCount: (miniBatchId: number) => number,
  ): { readonly step: StepJournal; readonly ledger: Ledger; readonly resumed: ResumedStep | undefined } {
    const job = this.state.jobs.get(jobId);
    const known = job?.steps.get(stepRunId);
    if (known !== undefined && known.ended === undefined) {
      if (known.started.miniBatchCount !== shape.miniBatchCount) {
        throw new Error(
          `the input now cuts into ${shape.miniBatchCount} mini-batches, but the journal holds ${known.started.miniBatchCount}: the input changed while the coordinator was down`,
        );
      }
      const shadow = materializeStepLedger(known, itemCount);
      const ledger = cloneLedger(shadow, itemCount);
      const step = new StepJournal(this, known.started.stepKey);
      return { step, ledger, resumed: { outputEnd: known.outputEnd, liveLeases: ledger.leases.size } };
    }
    const stepKey = this.state.nextStepKey;
    this.write({
      type: 'step.started',
      record: { stepKey, jobId, stepRunId, miniBatchCount: shape.miniBatchCount, maxRetries: shape.maxRetries },
    });
    const journaled = this.state.steps.get(stepKey);
    if (journaled !== undefined) materializeStepLedger(journaled, itemCount);
    const ledger = createLedger({ ...shape, itemCount });
    return { step: new StepJournal(this, stepKey), ledger, resumed: undefined };
  }

  /** Flushes and closes the journal. */
  async close(): Promise<void> {
    await this.journal.close();
  }

  /** Writes one record (not waiting) and applies it to the durable state. */
  write(record: CoordinatorRecord): void {
    this.journal.write(encodeRecord(record));
    applyRecord(this.state, record);
    this.onRecordWritten?.(record);
    if (++this.recordsSinceSnapshot >= this.snapshotEveryRecords) this.maybeSnapshot();
  }

  /** Resolves once every record written so far is durable. */
  durable(): Promise<void> {
    return this.journal.durable();
  }

  private maybeSnapshot(): void {
    if (this.snapshotting) return;
    const payload = encodeDurableState(this.state);
    if (payload === undefined) return;
    this.recordsSinceSnapshot = 0;
    this.snapshotting = true;
    this.journal
      .snapshot(payload)
      .then(
        (lsn) => this.logger.debug({ lsn }, 'journal snapshot written'),
        (error: unknown) => this.logger.error({ err: error }, 'journal snapshot failed'),
      )
      .finally(() => (this.snapshotting = false));
  }
}

/** What a resumed step run must know besides its ledger. */
export interface ResumedStep {
  /** The append_row output's journaled length: the output is cut back to it. */
  readonly outputEnd: number;
  /** Leases live in the journal (kept: their nodes may still run them; lease-reclaim.ts). */
  readonly liveLeases: number;
}

/**
 * One step run's side of the journal. The step run applies each ledger event to its live ledger and
 * hands it here: completions wait until the output is synced past their rows (`outputEnd`), everything
 * else is journaled at once.
 */
export class StepJournal {
  private deferred: { readonly event: LedgerEvent; readonly outputEnd: number }[] = [];
  private committing: Promise<void> | undefined;
  private syncOutput: (() => Promise<void>) | undefined;
  /** Completions handed in so far, and how many of them are written to the journal. */
  private handedIn = 0;
  private committed = 0;
  /** Callers of durable() waiting for the completions handed in before them, in `upTo` order. */
  private commitWaiters: {
    readonly upTo: number;
    readonly resolve: () => void;
    readonly reject: (e: Error) => void;
  }[] = [];
  /** Set once the output failed: completions are never journaled after that. */
  private failure: Error | undefined;

  constructor(
    private readonly journal: CoordinatorJournal,
    readonly stepKey: number,
  ) {}

  /** Sets how the step's append_row output is made durable (flush + fdatasync). */
  attachOutput(sync: () => Promise<void>): void {
    this.syncOutput = sync;
  }

  /**
   * Journals `event`, already applied to the live ledger. A `batch.completed` is held until the output
   * is synced past `outputEnd` (the output's length once the result's rows are in it).
   */
  record(event: LedgerEvent, outputEnd = 0): void {
    if (event.type !== 'batch.completed') {
      this.journal.write({ type: 'ledger.event', stepKey: this.stepKey, event });
      return;
    }
    this.deferred.push({ event, outputEnd });
    this.handedIn += 1;
    this.committing ??= this.commitLoop();
  }

  /**
   * Applies a rerun's `batches.carried` to the fresh `ledger` and journals it as committed up to
   * `outputEnd`: the carried rows were copied into the output (and synced) before the ledger opened.
   */
  carry(ledger: Ledger, event: Extract<LedgerEvent, { type: 'batches.carried' }>, outputEnd: number): void {
    applyLedgerEvent(ledger, event);
    this.journal.write({ type: 'batch.committed', stepKey: this.stepKey, event, outputEnd });
  }

  /**
   * Resolves once every event handed in so far is journaled and durable (completions: after their
   * rows are synced); rejects when the output failed first. Waits only for what came before the call,
   * so it resolves under a steady stream of later completions too (results are acknowledged on it).
   */
  async durable(): Promise<void> {
    const upTo = this.handedIn;
    if (this.failure !== undefined) throw this.failure;
    if (this.committed < upTo)
      await new Promise<void>((resolve, reject) => this.commitWaiters.push({ upTo, resolve, reject }));
    await this.journal.durable();
  }

  /** Journals the step's end, after its last completions. */
  async ended(state: 'succeeded' | 'failed' | 'cancelled'): Promise<void> {
    while (this.committing !== undefined) await this.committing;
    this.journal.write({ type: 'step.ended', record: { stepKey: this.stepKey, state } });
    await this.journal.durable();
  }

  private async commitLoop(): Promise<void> {
    try {
      while (this.deferred.length > 0) {
        const batch = this.deferred;
        this.deferred = [];
        // One sync covers every completion handed in before it started: their rows were queued first.
        // Always awaited (a step without an output too): the loop must not finish before `committing` is set.
        await this.syncOutput?.();
        for (const { event, outputEnd } of batch)
          this.journal.write({ type: 'batch.committed', stepKey: this.stepKey, event, outputEnd });
        this.committed += batch.length;
        while (this.commitWaiters[0] !== undefined && this.commitWaiters[0].upTo <= this.committed)
          this.commitWaiters.shift()?.resolve();
      }
    } catch (error) {
      // The output failed (its writer holds the error and fails the step); the completions stay
      // unjournaled, so a restart runs their mini-batches again, and no result waiting on them is
      // acknowledged.
      this.deferred = [];
      this.failure = error instanceof Error ? error : new Error(String(error));
      for (const waiter of this.commitWaiters.splice(0)) waiter.reject(this.failure);
    } finally {
      this.committing = undefined;
    }
  }
}

function replay(recovered: ReplayedJournal): DurableState {
  const state =
    recovered.snapshot === undefined ? createDurableState() : decodeDurableState(recovered.snapshot.payload);
  for (const entry of recovered.entries) applyRecord(state, decodeRecord(entry));
  return state;
}
