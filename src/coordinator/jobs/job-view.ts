/**
 * What the Jobs service and Watch sessions see of a job: a JobRun, or an EndedJob: a job that ended
 * before the coordinator restarted (known from the journal), or one that ended long enough ago to leave
 * memory (its final status and its last messages, nothing more to do).
 */
import { FailureKind, type JobMessage, JobState, JobStatus } from '../../gen/parajob/v1/parajob.js';
import type { CompiledJob } from '../../jobspec/model.js';
import type { StepLive } from '../../web/source.js';
import type { JobRunListener } from './job-run.js';
import type { JournaledSubmission } from './submission.js';

/** How many of a job's messages are kept for Watch streams that attach late. */
export const MESSAGE_HISTORY_LIMIT = 1000;

/** How many of its last messages an ended job keeps once it left memory. */
export const ENDED_MESSAGES_KEPT = 50;

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
  /** Resolves once the job's journal writes so far are done (its end's, once it ended). */
  settled(): Promise<void>;
}

/** A job that ended before the coordinator restarted, or left memory since: its final status. */
export class EndedJob implements JobView {
  readonly isTerminal = true;
  private readonly finalStatus: JobStatus;
  private readonly lastMessages: readonly JobMessage[];

  constructor(
    readonly jobId: string,
    status: JobStatus,
    /** Its messages (the last ENDED_MESSAGES_KEPT are kept). */
    messages: readonly JobMessage[] = [],
  ) {
    this.finalStatus = status;
    this.lastMessages = messages.slice(-ENDED_MESSAGES_KEPT);
  }

  status(): JobStatus {
    return this.finalStatus;
  }

  listen(): () => void {
    return () => undefined;
  }

  messages(): readonly JobMessage[] {
    return this.lastMessages;
  }

  cancel(): void {}

  compiled(): undefined {
    return undefined;
  }

  stepLive(): undefined {
    return undefined;
  }

  settled(): Promise<void> {
    return Promise.resolve();
  }
}

/** The final status of a journaled job that could not resume after a restart (`error` says why). */
export function unresumableStatus(
  accepted: JournaledSubmission & { readonly acceptedAtMs: number },
  error: unknown,
): JobStatus {
  const jobId = accepted.jobId;
  return {
    ...JobStatus.fromPartial({ jobId, name: jobId, runDir: accepted.runDir }),
    state: JobState.JOB_STATE_FAILED,
    failureKind: FailureKind.FAILURE_KIND_INVALID_INPUT,
    stateReason: `could not resume after a coordinator restart: ${error instanceof Error ? error.message : String(error)}`,
    createdAtMs: accepted.acceptedAtMs,
    endedAtMs: Date.now(),
  };
}
