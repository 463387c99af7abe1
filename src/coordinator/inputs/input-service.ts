/**
 * Inputs.Read: a node that does not see an input path reads the file from the coordinator, in chunks
 * (proto `InputChunk`), respecting back-pressure. Served only to a live node, under the credential it
 * registered with, for a job it serves now, and only files under that job's input paths
 * (served-path.ts); anything else is PERMISSION_DENIED.
 */
import { once } from 'node:events';
import { open } from 'node:fs/promises';

import { type ServerWritableStream, status } from '@grpc/grpc-js';
import type { Logger } from 'pino';

import { principalOf } from '../../auth/interceptor.js';
import type { InputChunk, InputsServer, ReadInputRequest } from '../../gen/parajob/v1/parajob.js';
import { grpcError } from '../grpc-error.js';
import { type StagedOutputsServed, writeOutput } from './output-upload.js';
import { servedPathOf } from './served-path.js';

/** Bytes per chunk: large enough that per-message costs vanish, well under gRPC's 4 MiB message limit. */
export const INPUT_CHUNK_BYTES = 1 << 20;

/** What the service needs of the coordinator. */
export interface InputRoots {
  /** The input paths node `nodeId` (registered by credential `owner`) may read for job `jobId`; undefined: none. */
  inputRootsServedTo(nodeId: string, owner: string, jobId: string): readonly string[] | undefined;
}

/** The Inputs service over `roots` (and, the other way, staged outputs shipped by nodes: output-upload.ts). */
export function inputsService(roots: InputRoots & StagedOutputsServed, logger: Logger): InputsServer {
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
  };
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
