/**
 * Inputs.ReadFiles: a lease's files in one call, so that a mini-batch of small files costs one round
 * trip rather than one each. Files are opened and read a few ahead of the one being sent (the disk
 * and the wire both stay busy); small files are packed several to a message, a file larger than a
 * message goes in parts read from disk straight into the message (file-parts-encoding.ts). The same
 * guard as Inputs.Read: every file must lie under the job's input paths, or the call is refused.
 */
import { once } from 'node:events';
import { type FileHandle, open } from 'node:fs/promises';

import type { ServerWritableStream } from '@grpc/grpc-js';

import type { ReadFilesRequest } from '../../gen/parajob/v1/parajob.js';
import { encodeFileParts, type FilePart, type FilePartHeader, partMessage } from './file-parts-encoding.js';
import { servedPathWithin } from './served-path.js';

/** Data bytes per message: small files are packed up to this, larger files cut into parts this size. */
export const PARTS_MESSAGE_BYTES = 1 << 20;

/** Files opened and read ahead of the one being sent. */
const READ_AHEAD = 8;

/** A file the call may not read: the whole call is refused (PERMISSION_DENIED). */
export class RefusedInput extends Error {}

/** A file ready to send: read whole (small, or unchanged), or open to be sent in parts. */
type Prepared =
  | { readonly whole: true; readonly part: FilePart }
  | { readonly whole: false; readonly header: FilePartHeader; readonly file: FileHandle };

/** Sends `request`'s files as InputFileParts messages (pre-encoded Buffers) on `call`; see the module comment. */
export async function sendFiles(
  request: ReadFilesRequest,
  roots: readonly string[],
  call: ServerWritableStream<ReadFilesRequest, Buffer>,
): Promise<void> {
  let cancelled = false;
  call.on('cancelled', () => {
    cancelled = true;
  });
  const send = async (message: Buffer): Promise<void> => {
    if (!call.write(message)) await Promise.race([once(call, 'drain'), once(call, 'close')]);
  };
  const ahead: Promise<Prepared>[] = [];
  let started = 0;
  const readAhead = (): void => {
    while (started < request.files.length && ahead.length < READ_AHEAD) {
      const prepared = prepare(request, started++, roots);
      prepared.catch(() => undefined); // awaited in order below; this keeps a later failure from going unhandled
      ahead.push(prepared);
    }
  };
  let batch: FilePart[] = [];
  let batchBytes = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const message = encodeFileParts(batch);
    batch = [];
    batchBytes = 0;
    await send(message);
  };
  try {
    readAhead();
    for (let next = ahead.shift(); next !== undefined && !cancelled; next = ahead.shift()) {
      const prepared = await next;
      readAhead();
      if (prepared.whole) {
        batch.push(prepared.part);
        batchBytes += prepared.part.data.length;
        if (batchBytes >= PARTS_MESSAGE_BYTES) await flush();
        continue;
      }
      try {
        await flush();
        await sendInParts(prepared.header, prepared.file, send, () => cancelled);
      } finally {
        await prepared.file.close();
      }
    }
    if (cancelled) return;
    await flush();
    call.end();
  } finally {
    for (const prepared of ahead) {
      const settled = await prepared.catch(() => undefined);
      if (settled?.whole === false) await settled.file.close();
    }
  }
}

async function prepare(request: ReadFilesRequest, index: number, roots: readonly string[]): Promise<Prepared> {
  const wanted = request.files[index];
  const path = wanted === undefined ? undefined : await servedPathWithin(wanted.path, roots);
  if (wanted === undefined || path === undefined) {
    throw new RefusedInput(`${wanted?.path ?? '?'} is not a file of job ${request.jobId}'s inputs`);
  }
  const file = await open(path, 'r');
  let keepOpen = false;
  try {
    const stats = await file.stat();
    if (!stats.isFile()) throw new RefusedInput(`${wanted.path} is not a regular file`);
    const header = { index, size: stats.size, mtimeMs: stats.mtimeMs, unchanged: false };
    if (wanted.cachedSize === stats.size && wanted.cachedMtimeMs === stats.mtimeMs) {
      return { whole: true, part: { ...header, unchanged: true, data: new Uint8Array(0) } };
    }
    if (stats.size > PARTS_MESSAGE_BYTES) {
      keepOpen = true;
      return { whole: false, header, file };
    }
    const data = Buffer.allocUnsafe(stats.size);
    const { bytesRead } = stats.size === 0 ? { bytesRead: 0 } : await file.read(data, 0, stats.size, 0);
    // A file that shrank under us arrives short; the node sees fewer bytes than `size` and fails the attempt.
    return { whole: true, part: { ...header, data: data.subarray(0, bytesRead) } };
  } finally {
    if (!keepOpen) await file.close();
  }
}

async function sendInParts(
  header: FilePartHeader,
  file: FileHandle,
  send: (message: Buffer) => Promise<void>,
  cancelled: () => boolean,
): Promise<void> {
  for (let position = 0; position < header.size && !cancelled();) {
    const length = Math.min(PARTS_MESSAGE_BYTES, header.size - position);
    const { message, dataOffset } = partMessage(header, length);
    const { bytesRead } = await file.read(message, dataOffset, length, position);
    position += bytesRead;
    if (bytesRead === length) {
      await send(message);
      continue;
    }
    const data = message.subarray(dataOffset, dataOffset + bytesRead);
    if (bytesRead > 0) await send(encodeFileParts([{ ...header, data }]));
    return;
  }
}
