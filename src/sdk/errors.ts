/**
 * The errors the SDK throws, typed so a caller can tell them apart with `instanceof`: an invalid job
 * (ValidationError, with every diagnostic), an unknown job id, a coordinator that cannot be reached,
 * and credentials it refused. gRPC errors are mapped to these once, in toSdkError.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';

import { ParajobError, type SpecError, SpecErrors } from '../errors.js';
import { isServiceError, isUnreachable } from '../rpc/jobs-client.js';

/**
 * The job is invalid: the YAML validator's diagnostics, one per problem, each
 * `file:line:col: key.path: what is wrong` (the same lines `parajob job validate` prints). A
 * SpecErrors, so code that handles those handles this too; `errors` is empty when the coordinator
 * (not the local compiler) refused the job, and `diagnostics` always holds the lines.
 */
export class ValidationError extends SpecErrors {
  override readonly name: string = 'ValidationError';
  /** One line per problem. */
  readonly diagnostics: readonly string[];

  constructor(errors: readonly SpecError[], diagnostics: readonly string[] = errors.map((error) => error.message)) {
    super(errors);
    this.diagnostics = diagnostics;
    this.message = diagnostics.join('\n');
  }
}

/** No job with that id is known to the coordinator. */
export class JobNotFoundError extends ParajobError {
  override readonly name = 'JobNotFoundError';
  constructor(
    readonly jobId: string,
    detail: string,
  ) {
    super(detail || `job ${jobId} is not known to the coordinator`);
  }
}

/** The coordinator cannot be reached (nothing listens, or the connection failed or timed out). */
export class UnavailableError extends ParajobError {
  override readonly name = 'UnavailableError';
  constructor(
    readonly address: string,
    detail: string,
  ) {
    super(`cannot reach the coordinator at ${address}: ${detail}`);
  }
}

/** The coordinator refused the call's credentials (no token, a wrong one, or a role that may not). */
export class UnauthenticatedError extends ParajobError {
  override readonly name = 'UnauthenticatedError';
  constructor(
    readonly address: string,
    detail: string,
  ) {
    super(`the coordinator at ${address} refused the credentials: ${detail}`);
  }
}

/** The SDK error for a failed gRPC call; anything else is returned as it is. */
export function toSdkError(error: unknown, context: { address: string; jobId?: string }): unknown {
  if (!isServiceError(error)) return error;
  const detail = error.details || error.message;
  if (isUnreachable(error)) return new UnavailableError(context.address, detail);
  switch (error.code) {
    case GrpcStatus.NOT_FOUND:
      return new JobNotFoundError(context.jobId ?? '', detail);
    case GrpcStatus.INVALID_ARGUMENT:
    case GrpcStatus.FAILED_PRECONDITION:
      return new ValidationError([], detail.split('\n'));
    case GrpcStatus.UNAUTHENTICATED:
    case GrpcStatus.PERMISSION_DENIED:
      return new UnauthenticatedError(context.address, detail);
    default:
      return error;
  }
}
