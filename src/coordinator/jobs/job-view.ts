/**
 * What the Jobs service and Watch sessions see of a job: a running JobRun, or a job that ended before
 * the coordinator restarted (known from the journal: its final status, nothing more to do).
 */
import { type JobMessage, JobStatus } from '../../gen/parajob/v1/parajob.js';
import type { CompiledJob } from '../../jobspec/model.js';
import type { StepLive } from '../../web/source.js';
import type { JobRunListener } from './job-run.js';

/** How many of a job's messages are kept for Watch streams that attach late. */
export const MESSAGE_HISTORY_LIMIT = 1000;

/** A job as the services see it. */
export interface JobView {
  readonly jobId: string;
  readonly isTerminal: boolean;
  /** The job's status now. */
  status(): JobStatus;
  /** Adds a listener; returns its removal. */
  listen(listener: JobRunListener): () => void;
  /** The job's messages so far (the last MESSAGE_HISTORY_LIMIT), which a new Watch stream starts with. */
  messages(): readonly JobMessage[];
  /** Asks the job to cancel; no-op once it ended. */
  cancel(reason: string): void;
  /** The compiled spec (undefined: the job ended before the coordinator restarted). */
  compiled(): CompiledJob | undefined;
  /** The ledger view of a parallel step that runs or ran in this coordinator (the web UI's). */
  stepLive(stepName: string): StepLive | undefined;
}

/** A job that ended before the coordinator restarted: its journaled final status. */
export class EndedJob implements JobView {
  readonly isTerminal = true;
  private readonly finalStatus: JobStatus;

  constructor(
    readonly jobId: string,
    /** The journaled status (JobStatus JSON). */
    status: unknown,
  ) {
    this.finalStatus = JobStatus.fromJSON(status);
  }

  status(): JobStatus {
    return this.finalStatus;
  }

  listen(): () => void {
    return () => undefined;
  }

  messages(): readonly JobMessage[] {
    return [];
  }

  cancel(): void {}

  compiled(): undefined {
    return undefined;
  }

  stepLive(): undefined {
    return undefined;
  }
}
