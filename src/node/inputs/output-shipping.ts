/**
 * Shipping an attempt's staged output folder to the coordinator (Inputs.WriteOutput, client stream):
 * for a node that does not see the output's staging root, the worker writes into a local staging root
 * and the node ships each answered attempt's folder before it sends the attempt's result. Chunks of
 * 1 MiB, in file order, respecting back-pressure; the folder is removed once shipped.
 */
import { once } from 'node:events';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';

import type { InputsClient, OutputChunk, WriteOutputReply } from '../../gen/parajob/v1/parajob.js';
import { listFolderFiles } from '../../input/files.js';

/** Bytes per chunk (as Inputs.Read's). */
const OUTPUT_CHUNK_BYTES = 1 << 20;

/** Which attempt of which output the folder holds. */
export interface ShippedAttempt {
  readonly nodeId: string;
  readonly jobId: string;
  readonly miniBatchId: number;
  readonly token: number;
  readonly outputName: string;
}

/** Called after each chunk with file bytes is written (chaos: kill-mid-upload); may never resolve. */
export type ChunkWritten = (uploadsFinished: number) => Promise<void>;

let uploadsFinished = 0;

/** Ships `folder` (missing: an empty attempt) and removes it. Rejects when the coordinator refused or the stream broke. */
export async function shipAttemptFolder(
  client: InputsClient,
  attempt: ShippedAttempt,
  folder: string,
  chunkWritten?: ChunkWritten,
): Promise<void> {
  const files = await listFolderFiles(folder).catch(() => [] as string[]);
  let settle!: { resolve: (reply: WriteOutputReply) => void; reject: (error: Error) => void };
  const replied = new Promise<WriteOutputReply>((resolve, reject) => (settle = { resolve, reject }));
  const call = client.writeOutput((error, reply) => (error === null ? settle.resolve(reply) : settle.reject(error)));
  let head: Partial<OutputChunk> = { ...attempt };
  const write = async (chunk: Partial<OutputChunk>): Promise<void> => {
    const whole: OutputChunk = {
      nodeId: '',
      jobId: '',
      miniBatchId: 0,
      token: 0,
      outputName: '',
      path: '',
      data: Buffer.alloc(0),
      ...head,
      ...chunk,
    };
    head = {};
    if (!call.write(whole)) await Promise.race([once(call, 'drain'), replied.catch(() => undefined)]);
  };
  try {
    if (files.length === 0) await write({});
    for (const relative of files) {
      const handle = await open(join(folder, relative), 'r');
      try {
        let sent = false;
        for (;;) {
          const data = Buffer.allocUnsafe(OUTPUT_CHUNK_BYTES);
          const { bytesRead } = await handle.read(data, 0, OUTPUT_CHUNK_BYTES, null);
          if (bytesRead === 0 && sent) break;
          await write({ path: relative, data: data.subarray(0, bytesRead) });
          sent = true;
          await chunkWritten?.(uploadsFinished);
          if (bytesRead < OUTPUT_CHUNK_BYTES) break;
        }
      } finally {
        await handle.close();
      }
    }
    call.end();
    await replied;
    uploadsFinished += 1;
  } catch (error) {
    call.cancel();
    throw error;
  }
  await rm(folder, { recursive: true, force: true });
}
