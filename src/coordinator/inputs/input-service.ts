/**
 * Inputs.Read: a node that does not see an input path reads the file from the coordinator, in chunks
 * (proto `InputChunk`), respecting back-pressure. Served only to a live node, under the credential it
 * registered with, for a job it serves now, and only files under that job's input paths
 * (served-path.ts); anything else is PERMISSION_DENIED.
 */
import { once } from 'node:events';
import { open } from 'node:fs/promises';

import { type ServerReadableStream, type ServerWritableStream, status } from '@grpc/grpc-js';
import type { Logger } from 'pino';

import { principalOf } from '../../auth/interceptor.js';
import {
  type InputChunk,
  InputsService,
  type OutputChunk,
  type ReadFilesRequest,
  type ReadInputRequest,
  type WriteOutputReply,
} from '../../gen/parajob/v1/parajob.js';
import { grpcError } from '../grpc-error.js';
import { type StagedOutputsServed, writeOutput } from './output-upload.js';
import { RefusedInput, sendFiles } from './read-files.js';
import { resolvedRoots, servedPathOf } from './served-path.js';

/** Bytes per chunk: large enough that per-message costs vanish, well under gRPC's 4 MiB message limit. */
export const INPUT_CHUNK_BYTES = 1 << 20;

/** What the service needs of the coordinator. */
export interface InputRoots {
  /** The input paths node `nodeId` (registered by credential `owner`) may read for job `jobId`; undefined: none. */
  inputRootsServedTo(nodeId: string, owner: string, jobId: string): readonly string[] | undefined;
}

/**
 * The Inputs service as served: the generated definition, except that ReadFiles' messages are encoded
 * by the handler itself (file-parts-encoding.ts), so grpc-js sends the Buffer it is given.
 */
export const InputsWireService = {
  ...InputsService,
  readFiles: { ...InputsService.readFiles, responseSerialize: (encoded: Buffer): Buffer => encoded },
} as const;

/**
 * The implementation of {@link InputsWireService} over `roots` (and, the other way, staged outputs
 * shipped by nodes: output-upload.ts).
 */
export function inputsService(
  roots: InputRoots & StagedOutputsServed,
  logger: Logger,
): {
  read(call: ServerWritableStream<ReadInputRequest, InputChunk>): void;
  readFiles(call: ServerWritableStream<ReadFilesRequest, Buffer>): void;
  writeOutput(
    call: ServerReadableStream<OutputChunk, WriteOutputReply>,
    callback: (error: Error | null, reply?: WriteOutputReply) => void,
  ): void;
} {
  return {
    writeOutput(call, callback) {
      writeOutput(roots, logger, call, callback);
    },
    read(call) {
      serveRead(roots, call).catch((error: unknown) => {
        logger.warn({ err: error, path: call.request.path, jobId: call.request.jobId }, 'input read failed');
        call.emit('error', grpcError(status.INTERNAL, `cannot read ${call.request.path}: ${String(error)}`));
      });
    },
    readFiles(call) {
      serveReadFiles(roots, call).catch((error: unknown) => {
        if (error instanceof RefusedInput) {
          call.emit('error', grpcError(status.PERMISSION_DENIED, error.message));
          return;
        }
        logger.warn({ err: error, files: call.request.files.length, jobId: call.request.jobId }, 'input read failed');
        call.emit(
          'error',
          grpcError(status.INTERNAL, `cannot read job ${call.request.jobId}'s inputs: ${String(error)}`),
        );
      });
    },
  };
}

async function serveReadFiles(roots: InputRoots, call: ServerWritableStream<ReadFilesRequest, Buffer>): Promise<void> {
  const request = call.request;
  const allowed = roots.inputRootsServedTo(request.nodeId, principalOf(call.metadata)?.tokenId ?? '', request.jobId);
  if (allowed === undefined) {
    call.emit(
      'error',
      grpcError(status.PERMISSION_DENIED, `node ${request.nodeId} does not serve job ${request.jobId}`),
    );
    return;
  }
  await sendFiles(request, await resolvedRoots(allowed), call);
}

async function serveRead(roots: InputRoots, call: ServerWritableStream<ReadInputRequest, InputChunk>): Promise<void> {
  const request = call.request;
  const owner = principalOf(call.metadata)?.tokenId ?? '';
  const allowed = roots.inputRootsServedTo(request.nodeId, owner, request.jobId);
  const path = allowed === undefined ? undefined : await servedPathOf(request.path, allowed);
  if (path === undefined) {
    const why =
      allowed === undefined
        ? `node ${request.nodeId} does not serve job ${request.jobId}`
        : `${request.path} is not a file of job ${request.jobId}'s inputs`;
    call.emit('error', grpcError(status.PERMISSION_DENIED, why));
    return;
  }
  let cancelled = false;
  call.on('cancelled', () => {
    cancelled = true;
  });
  const file = await open(path, 'r');
  try {
    const stats = await file.stat();
    if (!stats.isFile()) {
      call.emit('error', grpcError(status.PERMISSION_DENIED, `${request.path} is not a regular file`));
      return;
    }
    const header = { size: stats.size, mtimeMs: stats.mtimeMs };
    if (request.cachedSize === stats.size && request.cachedMtimeMs === stats.mtimeMs) {
      call.write({ ...header, unchanged: true, data: Buffer.alloc(0) });
      call.end();
      return;
    }
    const end = request.end === 0 ? stats.size : Math.min(request.end, stats.size);
    let position = Math.min(request.start, end);
    let first = true;
    do {
      const length = Math.min(INPUT_CHUNK_BYTES, end - position);
      const data = Buffer.allocUnsafe(length);
      const { bytesRead } = length === 0 ? { bytesRead: 0 } : await file.read(data, 0, length, position);
      position += bytesRead;
      const chunk = {
        ...(first ? header : { size: 0, mtimeMs: 0 }),
        unchanged: false,
        data: data.subarray(0, bytesRead),
      };
      first = false;
      if (cancelled) return;
      if (!call.write(chunk)) await Promise.race([once(call, 'drain'), once(call, 'close')]);
      // A file that shrank under us ends early; the node sees fewer bytes than `size` and retries.
      if (bytesRead < length) break;
    } while (position < end && !cancelled);
    if (!cancelled) call.end();
  } finally {
    await file.close();
  }
}
