// Builders of JobStatus values for the CLI unit tests.
import { FailureKind, JobState, type JobStatus, type Progress } from '../../../src/gen/parajob/v1/parajob.js';

export function progress(overrides: Partial<Progress> = {}): Progress {
  return {
    miniBatchesTotal: 0,
    miniBatchesSucceeded: 0,
    miniBatchesFailed: 0,
    miniBatchesRunning: 0,
    itemsTotal: 0,
    itemsSucceeded: 0,
    itemsFailed: 0,
    ratePerS: 0,
    etaMs: -1,
    nodesActive: 0,
    nodesWanted: 0,
    retries: 0,
    ...overrides,
  };
}

export function jobStatus(overrides: Partial<JobStatus> = {}): JobStatus {
  return {
    jobId: 'job-1',
    name: '',
    state: JobState.JOB_STATE_RUNNING,
    stateReason: '',
    failureKind: FailureKind.FAILURE_KIND_UNSPECIFIED,
    runDir: '',
    progress: progress(),
    steps: [],
    outputs: [],
    createdAtMs: 0,
    endedAtMs: 0,
    resultFile: '',
    rerunOf: '',
    ...overrides,
  };
}
