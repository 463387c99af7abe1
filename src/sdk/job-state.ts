/** Small questions about a job's state that every client asks. */
import { JobState } from '../gen/parajob/v1/parajob.js';

/** True for succeeded, failed and cancelled: the job will not change any more. */
export function isTerminal(state: JobState): boolean {
  return (
    state === JobState.JOB_STATE_SUCCEEDED ||
    state === JobState.JOB_STATE_FAILED ||
    state === JobState.JOB_STATE_CANCELLED
  );
}
