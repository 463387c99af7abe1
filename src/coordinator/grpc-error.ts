/** The error a coordinator service rejects a call with: a gRPC status code and what to fix. */
import type { ServiceError, status } from '@grpc/grpc-js';

export function grpcError(code: status, details: string): ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: undefined as never });
}
