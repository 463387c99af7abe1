/**
 * One Inputs.ReadFiles call: `paths` fetched from the coordinator into the node's input cache. A file
 * that arrives whole in one message (small files, packed several to a message) is written straight
 * to its cache entry, several at once; a larger file arrives in parts through a temp file. A cached
 * copy the coordinator calls `unchanged` is kept. Each file is handed to `onFile` as soon as it is in
 * the cache (the caller pins it there before a later file's arrival can evict it).
 */
import { type FileHandle, open } from 'node:fs/promises';

import { ParajobError } from '../../errors.js';
import type { InputFileParts, InputsClient } from '../../gen/parajob/v1/parajob.js';
import { type CachedFile, discard, type InputCache } from './input-cache.js';

/** The job and node a call is made for. */
export interface FetchTarget {
  readonly jobId: string;
  readonly nodeId: string;
}

/** A file arriving in parts. */
interface Arriving {
  readonly index: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly tempFile: string;
  readonly file: FileHandle;
  received: number;
}

/** Fetches `paths` (see the module comment); rejects when any does not arrive whole. */
export async function fetchFiles(
  client: InputsClient,
  cache: InputCache,
  target: FetchTarget,
  paths: readonly string[],
  signal: AbortSignal,
  onFile: (index: number, entry: CachedFile) => void,
): Promise<void> {
  signal.throwIfAborted();
  const files = paths.map((path) => {
    const cached = cache.peek(path);
    return { path, cachedSize: cached?.size ?? 0, cachedMtimeMs: cached?.mtimeMs ?? 0 };
  });
  const call = client.readFiles({ ...target, files });
  const abort = (): void => call.cancel();
  signal.addEventListener('abort', abort);
  let partial: Arriving | undefined;
  let writes: Promise<void>[] = [];
  let delivered = 0;
  const deliver = (index: number, entry: CachedFile): void => {
    delivered++;
    onFile(index, entry);
  };
  const arrivedShort = (index: number, received: number, size: number): ParajobError =>
    new ParajobError(
      `input ${paths[index] ?? '?'} arrived with ${received} bytes, the coordinator said ${size} (changed while read?)`,
    );
  try {
    for await (const message of call as AsyncIterable<InputFileParts>) {
      writes = [];
      for (const part of message.parts) {
        const path = paths[part.index];
        if (path === undefined)
          throw new ParajobError(`the coordinator sent a part of file ${part.index} of ${paths.length}`);
        if (partial !== undefined && partial.index !== part.index) {
          throw arrivedShort(partial.index, partial.received, partial.size);
        }
        if (part.unchanged) {
          const cached = cache.peek(path);
          if (cached?.size !== part.size || cached.mtimeMs !== part.mtimeMs) {
            throw new ParajobError(`input ${path}: the cached copy left the cache while it was revalidated`);
          }
          deliver(part.index, cached);
          continue;
        }
        if (partial === undefined && part.data.length === part.size) {
          writes.push(cache.addWhole(path, part.mtimeMs, part.data).then((entry) => deliver(part.index, entry)));
          continue;
        }
        if (partial === undefined) {
          const tempFile = cache.tempPath();
          partial = { ...part, tempFile, file: await open(tempFile, 'w'), received: 0 };
        }
        await partial.file.write(part.data);
        partial.received += part.data.length;
        if (partial.received > partial.size) throw arrivedShort(partial.index, partial.received, partial.size);
        if (partial.received === partial.size) {
          const done = partial;
          partial = undefined;
          await done.file.close();
          deliver(done.index, await cache.add(path, done.size, done.mtimeMs, done.tempFile));
        }
      }
      await Promise.all(writes);
    }
    if (partial !== undefined) throw arrivedShort(partial.index, partial.received, partial.size);
    if (delivered !== paths.length) {
      throw new ParajobError(`the coordinator sent ${delivered} of ${paths.length} input files`);
    }
  } catch (error) {
    // Files still being written are delivered (and pinned) before the caller releases what it was handed.
    await Promise.allSettled(writes);
    if (partial !== undefined) {
      await partial.file.close();
      await discard(partial.tempFile);
    }
    signal.throwIfAborted();
    if (error instanceof ParajobError) throw error;
    throw new ParajobError(`cannot fetch input files from the coordinator: ${(error as Error).message}`);
  } finally {
    signal.removeEventListener('abort', abort);
  }
}
