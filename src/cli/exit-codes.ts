/**
 * The CLI's exit codes, one place, so scripts can rely on them (documented in the README):
 *
 * | code | meaning |
 * | ---- | ------- |
 * | 0    | the job succeeded (or the command did what it was asked) |
 * | 1    | the job failed or was cancelled |
 * | 2    | invalid input or usage: the spec, an input path, the entry script, an unknown job id, bad options |
 * | 3    | the coordinator cannot be reached, or something broke inside parajob (not the user's input) |
 * | 130  | interrupted (a second Ctrl-C, or Ctrl-C while only following a job) |
 */
import { status as GrpcStatus } from '@grpc/grpc-js';

import { InputError, ParajobError, SpecError, SpecErrors } from '../errors.js';
import { FailureKind, JobState, type JobStatus } from '../gen/parajob/v1/parajob.js';
import { isServiceError } from '../rpc/jobs-client.js';
import { AssetExistsError, AssetNotFoundError, JobNotFoundError, UnauthenticatedError } from '../sdk/errors.js';

export const ExitCode = {
  succeeded: 0,
  jobFailed: 1,
  invalidInput: 2,
  unavailable: 3,
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A command-line mistake (a bad option value, a malformed address): exit code 2. */
export class UsageError extends ParajobError {
  override readonly name = 'UsageError';
}

/**
 * The exit code for a job that reached `status`: 0 succeeded; 2 failed because its input is invalid
 * (FAILURE_KIND_INVALID_INPUT); 1 failed or cancelled otherwise. A job that has not ended yet maps to 1:
 * a caller asks only once it stopped following.
 */
export function exitCodeForStatus(status: Pick<JobStatus, 'state' | 'failureKind'>): ExitCodeValue {
  if (status.state === JobState.JOB_STATE_SUCCEEDED) return ExitCode.succeeded;
  if (status.state === JobState.JOB_STATE_FAILED && status.failureKind === FailureKind.FAILURE_KIND_INVALID_INPUT) {
    return ExitCode.invalidInput;
  }
  return ExitCode.jobFailed;
}

/** gRPC codes that mean "what you asked for is wrong", not "the service is broken". */
const INPUT_GRPC_CODES: ReadonlySet<number> = new Set([
  GrpcStatus.INVALID_ARGUMENT,
  GrpcStatus.NOT_FOUND,
  GrpcStatus.ALREADY_EXISTS,
  GrpcStatus.FAILED_PRECONDITION,
  GrpcStatus.OUT_OF_RANGE,
]);

/**
 * The exit code for an error that ended a command: 2 for the user's input (spec, paths, usage, an
 * unknown job id, anything the coordinator refused as invalid), 3 for everything else (coordinator
 * unreachable, internal errors). An unusable entry script is found by a node, not thrown here: the job
 * fails with FAILURE_KIND_INVALID_INPUT, and exitCodeForStatus makes that 2.
 */
export function exitCodeForError(error: unknown): ExitCodeValue {
  if (
    error instanceof SpecError ||
    error instanceof SpecErrors ||
    error instanceof InputError ||
    error instanceof UsageError ||
    error instanceof JobNotFoundError ||
    error instanceof AssetNotFoundError ||
    error instanceof AssetExistsError ||
    error instanceof UnauthenticatedError
  ) {
    return ExitCode.invalidInput;
  }
  if (isServiceError(error)) return INPUT_GRPC_CODES.has(error.code) ? ExitCode.invalidInput : ExitCode.unavailable;
  return ExitCode.unavailable;
}
