/**
 * Input files a node does not see, fetched from the coordinator (Inputs.Read) into the node's input
 * cache (input-cache.ts). A cached copy is revalidated with one small round trip (the coordinator
 * answers `unchanged` when the file still has the size and mtime of the copy) and otherwise fetched
 * whole, in chunks. A processor fetches its lease's files while `loading`, so the attempt's
 * task_overhead_timeout bounds the transfers and a revoke or stop aborts them.
 */
import { open } from 'node:fs/promises';

import { ParajobError } from '../../errors.js';
import type { InputChunk, InputsClient } from '../../gen/parajob/v1/parajob.js';
import { type CachedFile, discard, type InputCache } from './input-cache.js';
import { type ChunkWritten, shipAttemptFolder, type ShippedAttempt } from './output-shipping.js';
import type { SeesPath } from './visibility.js';

/** Files of one lease fetched at once: small files cost a round trip each, so enough to hide it. */
const PARALLEL_FETCHES = 16;

/** What a processor of one job uses: which paths it reads itself, and the rest fetched. */
export interface LeaseInputs {
  readonly sees: SeesPath;
  /** Local copies of `paths` (in order), pinned until `release`d. Rejects when any cannot be fetched. */
  fetch(paths: readonly string[], signal: AbortSignal): Promise<string[]>;
  /** Unpins local copies handed to an attempt that is over. */
  release(localPaths: readonly string[]): Promise<void>;
}

/** The node's remote inputs: one cache and client, bound per job with `forJob`. */
export interface NodeInputs {
  forJob(jobId: string, nodeId: string): LeaseInputs;
  /** The other way: ships an attempt's staged output folder to the coordinator and removes it (output-shipping.ts). */
  shipOutput(attempt: ShippedAttempt, folder: string): Promise<void>;
}

/**
 * NodeInputs over the Inputs service of the coordinator in use (`client()`: the current one);
 * `chunkWritten`: the chaos hook of output uploads.
 */
export function remoteInputs(
  client: () => InputsClient,
  cache: InputCache,
  sees: SeesPath,
  chunkWritten?: ChunkWritten,
): NodeInputs {
  return {
    shipOutput: (attempt, folder) => shipAttemptFolder(client(), attempt, folder, chunkWritten),
    forJob: (jobId, nodeId) => ({
      sees,
      fetch: async (paths, signal) => {
        const local: string[] = new Array<string>(paths.length);
        let next = 0;
        let failing = false;
        const worker = async (): Promise<void> => {
          while (next < paths.length && !signal.aborted && !failing) {
            const index = next++;
            const path = paths[index] as string;
            try {
              local[index] = cache.use(await fetchOne(client(), cache, { jobId, nodeId, path }, signal));
            } catch (error) {
              failing = true;
              throw error;
            }
          }
        };
        // Settled, not raced: every worker has stopped pinning before a failure releases what they pinned.
        const outcomes = await Promise.allSettled(
          Array.from({ length: Math.min(PARALLEL_FETCHES, paths.length) }, worker),
        );
        const failed = outcomes.find((outcome) => outcome.status === 'rejected');
        if (failed !== undefined) {
          await cache.release(local.filter((path) => path !== undefined));
          throw failed.reason;
        }
        return local;
      },
      release: (localPaths) => cache.release(localPaths),
    }),
  };
}

async function fetchOne(
  client: InputsClient,
  cache: InputCache,
  target: { readonly jobId: string; readonly nodeId: string; readonly path: string },
  signal: AbortSignal,
): Promise<CachedFile> {
  signal.throwIfAborted();
  const cached = cache.peek(target.path);
  const call = client.read({
    ...target,
    start: 0,
    end: 0,
    cachedSize: cached?.size ?? 0,
    cachedMtimeMs: cached?.mtimeMs ?? 0,
  });
  const abort = (): void => call.cancel();
  signal.addEventListener('abort', abort);
  const tempFile = cache.tempPath();
  const file = await open(tempFile, 'w');
  let header: InputChunk | undefined;
  let received = 0;
  try {
    for await (const chunk of call as AsyncIterable<InputChunk>) {
      header ??= chunk;
      if (chunk.data.length > 0) {
        await file.write(chunk.data);
        received += chunk.data.length;
      }
    }
  } catch (error) {
    await file.close();
    await discard(tempFile);
    signal.throwIfAborted();
    throw new ParajobError(`cannot fetch input ${target.path} from the coordinator: ${(error as Error).message}`);
  } finally {
    signal.removeEventListener('abort', abort);
  }
  await file.close();
  if (header?.unchanged === true && cached !== undefined) {
    await discard(tempFile);
    return cached;
  }
  if (header === undefined || received !== header.size) {
    await discard(tempFile);
    throw new ParajobError(
      `input ${target.path} arrived with ${received} bytes, the coordinator said ${header?.size ?? '?'} (changed while read?)`,
    );
  }
  return cache.add(target.path, header.size, header.mtimeMs, tempFile);
}
