/**
 * Follows one submitted job over `Jobs.Watch` and keeps every status and message it sent, so a fault
 * test can wait for a cue ("halfway through", "node n1 lost") and then act. Every wait is bounded.
 */
import { type JobMessage, JobState, type JobStatus } from '../../src/gen/parajob/v1/parajob.js';
import type { JobsApi } from '../../src/rpc/jobs-client.js';
import { ConditionWaiters } from './condition-waiters.js';

const TERMINAL = new Set([JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED]);

/** Mini-batches finished (succeeded or failed) over all of them, from 0 to 1; 0 before partitioning. */
export function fractionDone(status: JobStatus | undefined): number {
  const progress = status?.progress;
  if (progress === undefined || progress.miniBatchesTotal === 0) return 0;
  return (progress.miniBatchesSucceeded + progress.miniBatchesFailed) / progress.miniBatchesTotal;
}

/** A job being watched; see the module comment. */
export class JobTracker {
  /** Every status received, oldest first. */
  readonly statuses: JobStatus[] = [];
  /** Every message received (node lost, retries, init errors, ...), oldest first. */
  readonly messages: JobMessage[] = [];
  private readonly waiters = new ConditionWaiters();
  private readonly abort = new AbortController();
  private watchError: unknown;
  private watchEnded = false;

  constructor(
    private readonly api: JobsApi,
    readonly jobId: string,
    /** The job's run directory (logs/, default outputs). */
    readonly runDir: string,
  ) {
    void this.follow();
  }

  /** The last status received. */
  get latest(): JobStatus | undefined {
    return this.statuses.at(-1);
  }

  /** True once the job succeeded, failed or was cancelled. */
  get isTerminal(): boolean {
    const state = this.latest?.state;
    return state !== undefined && TERMINAL.has(state);
  }

  /** True when some message so far matches `pattern`. */
  hasMessage(pattern: RegExp): boolean {
    return this.messages.some((message) => pattern.test(message.text));
  }

  /**
   * Resolves once `condition` holds (checked on every status or message); rejects after `timeoutMs`
   * with `what` and the last status, or when the job ends without it.
   */
  until(what: string, condition: (tracker: JobTracker) => boolean, timeoutMs = 30_000): Promise<void> {
    return this.waiters.waitFor(
      () => {
        if (condition(this)) return { done: undefined };
        if (this.isTerminal || this.watchEnded)
          return { failed: `job ${this.jobId} ended before: ${what}. ${this.describe()}` };
        return undefined;
      },
      timeoutMs,
      () => `timed out after ${timeoutMs} ms waiting for: ${what}. ${this.describe()}`,
    );
  }

  /** Resolves with the terminal status; rejects after `timeoutMs`. */
  async end(timeoutMs = 60_000): Promise<JobStatus> {
    await this.until('the job ended', (tracker) => tracker.isTerminal, timeoutMs);
    return this.latest as JobStatus;
  }

  /** Stops watching. */
  close(): void {
    this.abort.abort();
  }

  /** The last state, its reason and the messages, for assertion messages. */
  describe(): string {
    const status = this.latest;
    const state = status === undefined ? 'no status yet' : `${JobState[status.state]}: ${status.stateReason}`;
    const error = this.watchError === undefined ? '' : ` Watch error: ${String(this.watchError)}.`;
    return `Last state ${state}.${error} Messages:\n${this.messages.map((message) => `  [${message.level}] ${message.text}`).join('\n')}`;
  }

  private async follow(): Promise<void> {
    // The watch may end early (a coordinator restart): re-open it a few times, as the CLI does.
    for (let attempt = 0; attempt < 5 && !this.isTerminal && !this.abort.signal.aborted; attempt++) {
      try {
        for await (const event of this.api.watch(this.jobId, this.abort.signal)) {
          if (event.kind?.$case === 'status') this.statuses.push(event.kind.value);
          else if (event.kind?.$case === 'message') this.messages.push(event.kind.value);
          this.notify();
        }
      } catch (error) {
        this.watchError = error;
      }
    }
    this.watchEnded = true;
    this.notify();
  }

  private notify(): void {
    this.waiters.notify();
  }
}
