/**
 * Inputs.WriteOutput: a node that does not see a staged output's folder ships an attempt's files here
 * (proto `OutputChunk`). They are written under `<stage root>/.upload-<attempt>-<random>/` and the
 * folder is renamed to the attempt's (`<stage root>/<mb>-<token>`, src/storage/staging-layout.ts) only
 * when the stream ended whole; from there the attempt's acceptance decides, as for a node that writes
 * the folder itself (src/coordinator/output/staged-outputs.ts). A stream that breaks off (the node
 * killed mid-upload) leaves its temporary folder, removed at once, and nothing a commit would take.
 * Accepted only from a live node serving the job, for that job's staged outputs, with relative paths
 * that stay inside the attempt's folder.
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { type ServerReadableStream, status } from '@grpc/grpc-js';
import type { Logger } from 'pino';

import { principalOf } from '../../auth/interceptor.js';
import type { OutputChunk, StagedOutput, WriteOutputReply } from '../../gen/parajob/v1/parajob.js';
import { attemptFolder, attemptKey } from '../../storage/staging-layout.js';
import { grpcError } from '../grpc-error.js';

/** What the handler needs of the coordinator. */
export interface StagedOutputsServed {
  /** The staged outputs of job `jobId` when live node `nodeId` (credential `owner`) serves it; else undefined. */
  stagedOutputsServedTo(nodeId: string, owner: string, jobId: string): readonly StagedOutput[] | undefined;
}

/** A '/'-separated relative path that stays inside its folder; undefined when it does not. */
function safeRelative(path: string): string | undefined {
  const parts = path.split('/');
  if (path === '' || path.startsWith('/') || parts.some((part) => part === '' || part === '.' || part === '..'))
    return undefined;
  return parts.join('/');
}

/** Handles one WriteOutput stream (see the module comment). */
export function writeOutput(
  served: StagedOutputsServed,
  logger: Logger,
  call: ServerReadableStream<OutputChunk, WriteOutputReply>,
  callback: (error: Error | null, reply?: WriteOutputReply) => void,
): void {
  const owner = principalOf(call.metadata)?.tokenId ?? '';
  let temp: string | undefined;
  let target: string | undefined;
  let file: FileHandle | undefined;
  let currentPath = '';
  let files = 0;
  let bytes = 0;
  let failed = false;
  // Chunks are handled one at a time, in order (writes are async): a chain, paused while it is long.
  let chain: Promise<void> = Promise.resolve();

  const fail = (code: status, message: string): void => {
    if (failed) return;
    failed = true;
    call.destroy();
    void chain.finally(() => abandon()).catch(() => undefined);
    callback(grpcError(code, message));
  };
  const abandon = async (): Promise<void> => {
    await file?.close().catch(() => undefined);
    file = undefined;
    if (temp !== undefined) await rm(temp, { recursive: true, force: true });
  };

  const handle = async (chunk: OutputChunk): Promise<void> => {
    if (failed) return;
    if (temp === undefined) {
      const output = served
        .stagedOutputsServedTo(chunk.nodeId, owner, chunk.jobId)
        ?.find((candidate) => candidate.name === chunk.outputName);
      if (output === undefined) {
        fail(
          status.PERMISSION_DENIED,
          `node ${chunk.nodeId} may not write output ${chunk.outputName} of job ${chunk.jobId}`,
        );
        return;
      }
      const key = attemptKey(chunk.miniBatchId, chunk.token);
      target = attemptFolder(output.stageRoot, key);
      temp = join(output.stageRoot, `.upload-${key}-${randomBytes(6).toString('hex')}`);
      await mkdir(temp, { recursive: true });
    }
    if (chunk.path !== '' && chunk.path !== currentPath) {
      const relative = safeRelative(chunk.path);
      if (relative === undefined) {
        fail(
          status.INVALID_ARGUMENT,
          `output file path ${JSON.stringify(chunk.path)} is not a relative path inside the attempt`,
        );
        return;
      }
      await file?.close();
      const path = join(temp, relative);
      await mkdir(dirname(path), { recursive: true });
      file = await open(path, 'wx');
      currentPath = chunk.path;
      files += 1;
    }
    if (chunk.data.length > 0) {
      if (file === undefined) {
        fail(status.INVALID_ARGUMENT, 'output bytes before any file path');
        return;
      }
      await file.write(chunk.data);
      bytes += chunk.data.length;
    }
  };

  call.on('data', (chunk: OutputChunk) => {
    chain = chain.then(() => handle(chunk));
    chain.catch((error: unknown) => fail(status.INTERNAL, `cannot write the output: ${String(error)}`));
  });
  call.on('end', () => {
    chain = chain.then(async () => {
      if (failed) return;
      await file?.close();
      file = undefined;
      if (temp !== undefined && target !== undefined) {
        await rm(target, { recursive: true, force: true });
        await rename(temp, target);
      }
      callback(null, { files, bytes });
    });
    chain.catch((error: unknown) => fail(status.INTERNAL, `cannot write the output: ${String(error)}`));
  });
  // The node went away mid-upload: what it sent so far is thrown away.
  const brokenOff = (): void => {
    if (failed) return;
    failed = true;
    logger.warn({ target }, 'output upload broken off: its files are discarded');
    void chain.finally(() => abandon()).catch(() => undefined);
  };
  call.on('cancelled', brokenOff);
  call.on('error', brokenOff);
}
