/**
 * The coordinator's durable state: what the journal's records add up to. Pure data and one reducer,
 * like the ledger: the journal writer applies each record here as it writes it, and recovery applies
 * the snapshot and the records after it, so both always agree with the journal (never with state that
 * is not journaled yet, such as a completion whose output rows are still being synced). Snapshots are
 * taken of this state, not of the live machines.
 *
 * A step's ledger needs its partition's item counts, which are not journaled (they come from the input,
 * cut again after a restart): recovered steps keep their snapshot bytes and later events until the
 * step run resumes and {@link materializeStepLedger} builds the ledger.
 *
 * A step that ended without succeeding keeps which of its mini-batches succeeded (one bit each, with
 * its output's journaled length): a rerun of its job reuses them (jobs/rerun-plan.ts).
 */
import {
  applyLedgerEvent,
  cloneLedger,
  createLedger,
  type Ledger,
  type LedgerEvent,
  MiniBatchState,
} from '../ledger/ledger.js';
import { miniBatchesIn } from '../ledger/mini-batch-set.js';
import { ByteReader, ByteWriter } from './byte-codec.js';
import { readLedgerState, writeLedgerState } from './ledger-codec.js';
import type { CoordinatorRecord, JobAcceptedRecord, StepEndedRecord, StepStartedRecord } from './records.js';

/** What a step that ended without succeeding leaves for a rerun: the mini-batches that succeeded. */
export interface ReusableMiniBatches {
  /** Bitmap over the step's mini-batches (ledger/mini-batch-set.ts). */
  readonly succeeded: Uint8Array;
  /** Items those mini-batches' run() calls returned. */
  readonly itemsSucceeded: number;
}

/** One step run as journaled. */
export interface DurableStep {
  readonly started: StepStartedRecord;
  /** The ledger as journaled, once materialized (live steps); else see `snapshotLedger` and `events`. */
  ledger: Ledger | undefined;
  /** Ledger bytes from the snapshot recovery started from (until materialized). */
  snapshotLedger: Uint8Array | undefined;
  /** Ledger events journaled after that snapshot (until materialized). */
  events: LedgerEvent[];
  /** The append_row output's journaled length: the end of the last committed completion's rows. */
  outputEnd: number;
  ended: StepEndedRecord['state'] | undefined;
  /** Set once the step ended failed or cancelled (or its job ended before it). */
  reusable: ReusableMiniBatches | undefined;
}

/** One job as journaled. */
export interface DurableJob {
  readonly accepted: JobAcceptedRecord;
  /** Its final status (JobStatus JSON) once it ended. */
  endedStatus: unknown;
  /** Its step runs by wire job id, in start order. */
  readonly steps: Map<string, DurableStep>;
}

/** Everything journaled (see the module comment). */
export interface DurableState {
  readonly jobs: Map<string, DurableJob>;
  readonly steps: Map<number, DurableStep>;
  /** Lease tokens below this were (or may have been) handed out: a new range starts here. */
  tokensUpTo: number;
  /** The step key the next step run gets. */
  nextStepKey: number;
}

export function createDurableState(): DurableState {
  return { jobs: new Map(), steps: new Map(), tokensUpTo: 1, nextStepKey: 1 };
}

/** A record that does not fit the state: the journal and the code disagree (a bug or a foreign journal). */
export class DurableStateError extends Error {
  override readonly name = 'DurableStateError';
}

/** Applies one record (in journal order). */
export function applyRecord(state: DurableState, record: CoordinatorRecord): void {
  switch (record.type) {
    case 'job.accepted':
      state.jobs.set(record.record.jobId, { accepted: record.record, endedStatus: undefined, steps: new Map() });
      return;
    case 'step.started': {
      const job = state.jobs.get(record.record.jobId);
      if (job === undefined) throw new DurableStateError(`step.started for unknown job ${record.record.jobId}`);
      const step: DurableStep = {
        started: record.record,
        ledger: undefined,
        snapshotLedger: undefined,
        events: [],
        outputEnd: 0,
        ended: undefined,
        reusable: undefined,
      };
      job.steps.set(record.record.stepRunId, step);
      state.steps.set(record.record.stepKey, step);
      state.nextStepKey = Math.max(state.nextStepKey, record.record.stepKey + 1);
      return;
    }
    case 'ledger.event':
    case 'batch.committed': {
      const step = stepOf(state, record.stepKey);
      if (step.ledger !== undefined) applyLedgerEvent(step.ledger, record.event);
      else step.events.push(record.event);
      if (record.type === 'batch.committed') step.outputEnd = Math.max(step.outputEnd, record.outputEnd);
      return;
    }
    case 'tokens.reserved':
      state.tokensUpTo = Math.max(state.tokensUpTo, record.record.upTo);
      return;
    case 'step.ended': {
      const step = stepOf(state, record.record.stepKey);
      step.ended = record.record.state;
      // An ended step's ledger is never needed again: its outcome and counts are in the job's status,
      // and what a rerun reuses is kept apart.
      keepReusable(step);
      return;
    }
    case 'job.ended': {
      const job = state.jobs.get(record.record.jobId);
      if (job === undefined) throw new DurableStateError(`job.ended for unknown job ${record.record.jobId}`);
      job.endedStatus = record.record.status;
      for (const step of job.steps.values()) keepReusable(step);
      return;
    }
    case 'job.deleted': {
      const job = state.jobs.get(record.record.jobId);
      if (job === undefined) return;
      for (const step of job.steps.values()) state.steps.delete(step.started.stepKey);
      state.jobs.delete(record.record.jobId);
      return;
    }
  }
}

/**
 * Drops an ended step's ledger, keeping its succeeded mini-batches when it did not succeed. A
 * recovered ledger is built without item counts (they come from the input): the states and the items
 * returned, all that is kept, do not depend on them.
 */
function keepReusable(step: DurableStep): void {
  if (step.ended !== 'succeeded' && step.reusable === undefined) {
    const ledger = materializeStepLedger(step, () => 0);
    step.reusable = {
      succeeded: miniBatchesIn(ledger.states, MiniBatchState.succeeded),
      itemsSucceeded: ledger.counts.itemsSucceeded,
    };
  }
  step.ledger = undefined;
  step.snapshotLedger = undefined;
  step.events = [];
}

/**
 * Builds a step's ledger from what recovery held (snapshot bytes, then the events after them), or a
 * fresh one; from then on the step's records are applied to it as they are written.
 */
export function materializeStepLedger(step: DurableStep, itemCount: (miniBatchId: number) => number): Ledger {
  if (step.ledger !== undefined) return step.ledger;
  const ledger = buildStepLedger(step, itemCount);
  step.ledger = ledger;
  step.snapshotLedger = undefined;
  step.events = [];
  return ledger;
}

/**
 * A copy of a step's ledger as journaled, leaving the step as it is (not materialized): what a resumed
 * step run's reports are rebuilt against before its input is cut. Its item counts are 0 (they come
 * from the input); its states, attempts and leases do not depend on them.
 */
export function journaledStepLedger(step: DurableStep): Ledger {
  if (step.ledger === undefined) return buildStepLedger(step, () => 0);
  return cloneLedger(step.ledger, () => 0);
}

function buildStepLedger(step: DurableStep, itemCount: (miniBatchId: number) => number): Ledger {
  const ledger =
    step.snapshotLedger === undefined
      ? createLedger({ miniBatchCount: step.started.miniBatchCount, maxRetries: step.started.maxRetries, itemCount })
      : readLedgerState(new ByteReader(step.snapshotLedger), itemCount);
  for (const event of step.events) applyLedgerEvent(ledger, event);
  return ledger;
}

interface SnapshotHeader {
  readonly jobs: { readonly accepted: JobAcceptedRecord; readonly endedStatus: unknown }[];
  readonly steps: {
    readonly started: StepStartedRecord;
    readonly outputEnd: number;
    readonly ended: StepEndedRecord['state'] | undefined;
    readonly hasLedger: boolean;
    /** Items returned by its reusable mini-batches, whose bitmap follows its ledger (absent: none). */
    readonly reusableItems?: number;
  }[];
  readonly tokensUpTo: number;
  readonly nextStepKey: number;
}

/**
 * The state as snapshot bytes; undefined while a live step's ledger is not materialized yet (a
 * recovered step run still partitioning): the snapshot waits for it.
 */
export function encodeDurableState(state: DurableState): Uint8Array[] | undefined {
  const steps = [...state.steps.values()];
  if (steps.some((step) => step.ended === undefined && step.ledger === undefined && !isJobEnded(state, step)))
    return undefined;
  const header: SnapshotHeader = {
    jobs: [...state.jobs.values()].map((job) => ({ accepted: job.accepted, endedStatus: job.endedStatus })),
    steps: steps.map((step) => ({
      started: step.started,
      outputEnd: step.outputEnd,
      ended: step.ended,
      hasLedger: step.ledger !== undefined,
      ...(step.reusable === undefined ? {} : { reusableItems: step.reusable.itemsSucceeded }),
    })),
    tokensUpTo: state.tokensUpTo,
    nextStepKey: state.nextStepKey,
  };
  const writer = new ByteWriter(1024).string(JSON.stringify(header));
  for (const step of steps) {
    if (step.ledger !== undefined) writeLedgerState(writer, step.ledger);
    if (step.reusable !== undefined) writer.bytes(step.reusable.succeeded);
  }
  return [writer.finish()];
}

/** The state a snapshot holds; its steps' ledgers stay bytes until materialized. */
export function decodeDurableState(payload: Uint8Array): DurableState {
  const reader = new ByteReader(payload);
  const header = JSON.parse(reader.string()) as SnapshotHeader;
  const state = createDurableState();
  state.tokensUpTo = header.tokensUpTo;
  state.nextStepKey = header.nextStepKey;
  for (const job of header.jobs)
    state.jobs.set(job.accepted.jobId, { accepted: job.accepted, endedStatus: job.endedStatus, steps: new Map() });
  for (const entry of header.steps) {
    const job = state.jobs.get(entry.started.jobId);
    if (job === undefined) throw new DurableStateError(`snapshot step of unknown job ${entry.started.jobId}`);
    const step: DurableStep = {
      started: entry.started,
      ledger: undefined,
      snapshotLedger: entry.hasLedger ? ledgerBytes(reader) : undefined,
      events: [],
      outputEnd: entry.outputEnd,
      ended: entry.ended,
      reusable: undefined,
    };
    if (entry.reusableItems !== undefined)
      step.reusable = { itemsSucceeded: entry.reusableItems, succeeded: new Uint8Array(reader.bytes()) };
    job.steps.set(entry.started.stepRunId, step);
    state.steps.set(entry.started.stepKey, step);
  }
  return state;
}

/** The bytes of the next ledger state in `reader` (read once to find its end, kept for later). */
function ledgerBytes(reader: ByteReader): Uint8Array {
  const start = reader.position;
  readLedgerState(reader, () => 0);
  return reader.slice(start, reader.position);
}

function isJobEnded(state: DurableState, step: DurableStep): boolean {
  return state.jobs.get(step.started.jobId)?.endedStatus !== undefined;
}

function stepOf(state: DurableState, stepKey: number): DurableStep {
  const step = state.steps.get(stepKey);
  if (step === undefined) throw new DurableStateError(`ledger record for unknown step key ${stepKey}`);
  return step;
}
