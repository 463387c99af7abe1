/**
 * What a step run sees of the journal: where to resume its output, its ledger (fresh, the journaled
 * one after a restart, or one carrying a rerun's reused mini-batches), and one call per ledger event it
 * applied. The step run never sees records, segments or syncs (DESIGN.md: machines never touch the
 * journal).
 */
import type { Ledger, LedgerEvent } from '../ledger/ledger.js';
import type { CoordinatorJournal, StepJournal } from './coordinator-journal.js';
import { journaledStepLedger, type ReusableMiniBatches } from './durable-state.js';

/**
 * Mini-batches of an earlier run of the step that a rerun reuses: their rows are the first
 * `outputEnd` bytes of the step's append_row output, copied there before the step run starts.
 */
export interface CarriedMiniBatches extends ReusableMiniBatches {
  readonly miniBatchCount: number;
  readonly outputEnd: number;
}

/** A step run's journal (see the module comment). */
export interface StepRunJournal {
  /** True when the step run was under way before a coordinator restart (it resumes from the journal). */
  readonly resuming: boolean;
  /** The append_row output's journaled length when the step run resumes after a restart; else undefined. */
  readonly resumeOutputAt: number | undefined;
  /**
   * The journaled number of mini-batches when the step run resumes (or carries a rerun's mini-batches):
   * the input must cut the same way again.
   */
  readonly resumeMiniBatchCount: number | undefined;
  /**
   * When the step run resumes: its ledger as the journal holds it (a copy; item counts 0, the input is
   * not cut yet), for rebuilding the run directory's reports before anything is appended to them.
   * Undefined for a step run that does not resume.
   */
  journaledLedger(): Ledger | undefined;
  /**
   * The ledger for the cut input: the journaled one when resuming (`resumed` true; its live leases
   * kept, for the step run to reclaim from the nodes that come back), else a fresh one. Throws when
   * the input no longer cuts as it did before.
   */
  openLedger(
    shape: { readonly miniBatchCount: number; readonly maxRetries: number },
    itemCount: (miniBatchId: number) => number,
  ): { readonly ledger: Ledger; readonly resumed: boolean };
  /**
   * Journals a ledger event the step run applied. A completion passes the output's end offset once its
   * rows are queued: it is journaled only after the output is synced past it.
   */
  record(event: LedgerEvent, outputEnd?: number): void;
  /** How to sync the step's append_row output (flush + fdatasync). */
  attachOutput(sync: () => Promise<void>): void;
  /**
   * Resolves once every event journaled so far is durable, completions with their rows synced (the
   * node's results are acknowledged then); rejects when the output failed first.
   */
  durable(): Promise<void>;
  /** Journals the step's end after its last completions; resolves once durable. */
  ended(state: 'succeeded' | 'failed' | 'cancelled'): Promise<void>;
}

/**
 * The StepRunJournal of step run `stepRunId` of job `jobId`; `carried`: a rerun's reused mini-batches
 * (ignored when the step run resumes: its journal holds them already, or nothing if they were lost).
 */
export function stepRunJournal(
  journal: CoordinatorJournal,
  jobId: string,
  stepRunId: string,
  carried?: CarriedMiniBatches,
): StepRunJournal {
  const known = journal.state.jobs.get(jobId)?.steps.get(stepRunId);
  let step: StepJournal | undefined;
  let syncOutput: (() => Promise<void>) | undefined;
  const resuming = known !== undefined && known.ended === undefined;
  const carrying = resuming ? undefined : carried;
  return {
    resuming,
    resumeOutputAt: resuming ? known.outputEnd : carrying?.outputEnd,
    resumeMiniBatchCount: resuming ? known.started.miniBatchCount : carrying?.miniBatchCount,
    journaledLedger: () => (resuming ? journaledStepLedger(known) : undefined),
    openLedger(shape, itemCount) {
      const opened = journal.startStep(jobId, stepRunId, shape, itemCount);
      step = opened.step;
      if (syncOutput !== undefined) step.attachOutput(syncOutput);
      if (carrying !== undefined) {
        const { succeeded, itemsSucceeded } = carrying;
        step.carry(opened.ledger, { type: 'batches.carried', succeeded, itemsSucceeded }, carrying.outputEnd);
      }
      return { ledger: opened.ledger, resumed: opened.resumed !== undefined };
    },
    record(event, outputEnd) {
      if (step === undefined) throw new Error(`ledger event ${event.type} journaled before the ledger was opened`);
      step.record(event, outputEnd);
    },
    attachOutput(sync) {
      syncOutput = sync;
      step?.attachOutput(sync);
    },
    durable: async () => (step === undefined ? journal.durable() : step.durable()),
    ended: async (state) => step?.ended(state),
  };
}
