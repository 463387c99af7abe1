/**
 * Turns any error that ends a command into the lines a user reads on stderr: spec errors as they are
 * (they already name file, line and key), gRPC errors as what went wrong at which address, and
 * anything unexpected with its stack (it is a bug in parajob, and the stack is what helps).
 */
import { status as GrpcStatus } from '@grpc/grpc-js';

import { ParajobError, SpecErrors } from '../errors.js';
import { isServiceError, isUnreachable } from '../rpc/jobs-client.js';
import { UnavailableError, ValidationError } from '../sdk/errors.js';

export interface DescribeErrorContext {
  /** The coordinator address the command talked to, if any. */
  readonly coordinator?: string;
}

/** The user-facing text for `error` (one or more lines, no trailing newline). */
export function describeError(error: unknown, context: DescribeErrorContext = {}): string {
  if (error instanceof ValidationError) return error.diagnostics.map((line) => `error: ${line}`).join('\n');
  if (error instanceof SpecErrors) return error.errors.map((e) => `error: ${e.message}`).join('\n');
  if (isUnreachable(error) || error instanceof UnavailableError) {
    const where = context.coordinator ?? (error instanceof UnavailableError ? error.address : 'the given address');
    return (
      `error: cannot reach the coordinator at ${where}` +
      ` (start one with \`parajob coordinator --port PORT\`, or pass --coordinator HOST:PORT / set PARAJOB_COORDINATOR)`
    );
  }
  if (error instanceof ParajobError) return `error: ${error.message}`;
  if (isServiceError(error)) {
    // The coordinator's own explanation is in `details`; the code name says which kind it is.
    const detail = error.details || error.message;
    if (error.code === GrpcStatus.NOT_FOUND) return `error: ${detail}`;
    if (error.code === GrpcStatus.INVALID_ARGUMENT || error.code === GrpcStatus.FAILED_PRECONDITION) {
      return detail
        .split('\n')
        .map((line) => `error: ${line}`)
        .join('\n');
    }
    return `error: the coordinator at ${context.coordinator ?? '?'} answered ${GrpcStatus[error.code]}: ${detail}`;
  }
  if (error instanceof Error) return `error: ${error.message}\n${error.stack ?? ''}`.trimEnd();
  return `error: ${String(error)}`;
}
