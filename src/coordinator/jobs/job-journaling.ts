/**
 * A job's journal writes, in order: each parallel step's end after its last completions, the job's end
 * after its steps'. A failed write is logged, not thrown (the job goes on; a restart may run a step again).
 */
import type { Logger } from 'pino';

import { JobStatus } from '../../gen/parajob/v1/parajob.js';
import type { CoordinatorJournal } from '../journal/coordinator-journal.js';
import { type StepRunJournal, stepRunJournal } from '../journal/step-run-journal.js';
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

  /** The journal of the parallel step run `wireJobId`, kept until its end is journaled. */
  forStep(wireJobId: string): StepRunJournal | undefined {
    if (this.journal === undefined) return undefined;
    const journal = stepRunJournal(this.journal, this.jobId, wireJobId);
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
