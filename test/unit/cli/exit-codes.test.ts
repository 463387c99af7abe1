import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';

import { ExitCode, exitCodeForError, exitCodeForStatus, UsageError } from '../../../src/cli/exit-codes.js';
import { InputError, SpecError, SpecErrors } from '../../../src/errors.js';
import { FailureKind, JobState } from '../../../src/gen/parajob/v1/parajob.js';

function grpcError(code: GrpcStatus, details = 'details'): Error {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: new Metadata() });
}

describe('exitCodeForStatus', () => {
  it.each([
    [JobState.JOB_STATE_SUCCEEDED, FailureKind.FAILURE_KIND_UNSPECIFIED, 0],
    [JobState.JOB_STATE_FAILED, FailureKind.FAILURE_KIND_INVALID_INPUT, 2],
    [JobState.JOB_STATE_FAILED, FailureKind.FAILURE_KIND_INIT, 1],
    [JobState.JOB_STATE_FAILED, FailureKind.FAILURE_KIND_THRESHOLD, 1],
    [JobState.JOB_STATE_FAILED, FailureKind.FAILURE_KIND_NO_NODES, 1],
    [JobState.JOB_STATE_CANCELLED, FailureKind.FAILURE_KIND_UNSPECIFIED, 1],
    // The failure kind of a cancelled job does not turn it into "invalid input".
    [JobState.JOB_STATE_CANCELLED, FailureKind.FAILURE_KIND_INVALID_INPUT, 1],
    [JobState.JOB_STATE_RUNNING, FailureKind.FAILURE_KIND_UNSPECIFIED, 1],
  ])('state %d, failure kind %d → %d', (state, failureKind, code) => {
    expect(exitCodeForStatus({ state, failureKind })).toBe(code);
  });
});

describe('exitCodeForError', () => {
  const specError = new SpecError({ file: 'job.yml', keyPath: 'jobs.a.mini_batch_size', line: 3 }, 'expected digits');
  it.each([
    ['a SpecError', specError, ExitCode.invalidInput],
    ['SpecErrors', new SpecErrors([specError]), ExitCode.invalidInput],
    ['an InputError', new InputError('missing folder'), ExitCode.invalidInput],
    ['a UsageError', new UsageError('bad address'), ExitCode.invalidInput],
    ['gRPC INVALID_ARGUMENT', grpcError(GrpcStatus.INVALID_ARGUMENT), ExitCode.invalidInput],
    ['gRPC NOT_FOUND', grpcError(GrpcStatus.NOT_FOUND), ExitCode.invalidInput],
    ['gRPC UNAVAILABLE', grpcError(GrpcStatus.UNAVAILABLE), ExitCode.unavailable],
    ['gRPC DEADLINE_EXCEEDED', grpcError(GrpcStatus.DEADLINE_EXCEEDED), ExitCode.unavailable],
    ['gRPC INTERNAL', grpcError(GrpcStatus.INTERNAL), ExitCode.unavailable],
    ['a plain Error', new Error('boom'), ExitCode.unavailable],
  ])('%s → %d', (_label, error, code) => {
    expect(exitCodeForError(error)).toBe(code);
  });
});
