/**
 * A job's journal writes, in order: each parallel step's end after its last completions, the job's end
 * after its steps'. A failed write is logged, not thrown (the job goes on; a restart may run a step again).
 */
import type { Logger } from 'pino';

import { JobStatus } from '../../gen/parajob/v1/parajob.js';
import type { CoordinatorJournal } from '../journal/coordinator-journal.js';
import { type CarriedMiniBatches, type StepRunJournal, stepRunJournal } from '../journal/step-run-journal.js';
import type { StepOutcome } from '../step-run/outcome.js';

/** One job's journaling; every method is a no-op when the coordinator keeps no journal. */
export class JobJournaling {
  /** Each running parallel step's journal, by wire job id. */
  private readonly steps = new Map<string, StepRunJournal>();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly journal: CoordinatorJournal | undefined,
    private readonly jobId: string,
    private readonly logger: Logger,
  ) {}

  /** True when the step run `wireJobId` was under way before a coordinator restart. */
  resumes(wireJobId: string): boolean {
    const known = this.journal?.state.jobs.get(this.jobId)?.steps.get(wireJobId);
    return known !== undefined && known.ended === undefined;
  }

  /**
   * The journal of the parallel step run `wireJobId` (with a rerun's `carried` mini-batches), kept
   * until its end is journaled.
   */
  forStep(wireJobId: string, carried?: CarriedMiniBatches): StepRunJournal | undefined {
    if (this.journal === undefined) return undefined;
    const journal = stepRunJournal(this.journal, this.jobId, wireJobId, carried);
    this.steps.set(wireJobId, journal);
    return journal;
  }

  /** Journals a parallel step's end (after its last completions). */
  stepEnded(wireJobId: string, stepName: string, state: StepOutcome['state']): void {
    const journal = this.steps.get(wireJobId);
    if (journal === undefined) return;
    this.steps.delete(wireJobId);
    this.chain = this.chain
      .then(() => journal.ended(state))
      .catch((error: unknown) =>
        this.logger.error({ jobId: this.jobId, step: stepName, err: error }, 'journaling the step end failed'),
      );
  }

  /** Resolves once every write asked for so far is done (or failed and was logged). */
  settled(): Promise<void> {
    return this.chain;
  }

  /** Journals the job's end (after its steps'). */
  jobEnded(status: JobStatus): void {
    const journal = this.journal;
    if (journal === undefined) return;
    const ended = JobStatus.toJSON(status);
    this.chain = this.chain
      .then(() => journal.jobEnded(this.jobId, ended))
      .catch((error: unknown) => this.logger.error({ jobId: this.jobId, err: error }, 'journaling the job end failed'));
  }
}
