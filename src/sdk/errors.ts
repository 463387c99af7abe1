/**
 * The errors the SDK throws, typed so a caller can tell them apart with `instanceof`: an invalid job
 * (ValidationError, with every diagnostic), an unknown job id or asset, an asset version registered
 * already, a coordinator that cannot be reached, and credentials it refused. gRPC errors are mapped to these once, in toSdkError.
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

/** A SpecErrors of the compiler as the SDK's ValidationError (the same diagnostics); anything else as it is. */
export function asValidationError(error: unknown): unknown {
  return error instanceof SpecErrors && !(error instanceof ValidationError) ? new ValidationError(error.errors) : error;
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

/** No registered component or data asset has that name (or that version). */
export class AssetNotFoundError extends ParajobError {
  override readonly name = 'AssetNotFoundError';
  constructor(
    /** `NAME:VERSION` or `NAME@latest`. */
    readonly asset: string,
    detail: string,
  ) {
    super(detail || `${asset} is not registered`);
  }
}

/** That version of the asset is registered already: registered versions never change; give another. */
export class AssetExistsError extends ParajobError {
  override readonly name = 'AssetExistsError';
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
export function toSdkError(error: unknown, context: { address: string; jobId?: string; asset?: string }): unknown {
  if (!isServiceError(error)) return error;
  const detail = error.details || error.message;
  if (isUnreachable(error)) return new UnavailableError(context.address, detail);
  switch (error.code) {
    case GrpcStatus.NOT_FOUND:
      return context.asset === undefined
        ? new JobNotFoundError(context.jobId ?? '', detail)
        : new AssetNotFoundError(context.asset, detail);
    case GrpcStatus.ALREADY_EXISTS:
      return context.asset === undefined ? error : new AssetExistsError(detail);
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
