/**
 * Input files a node does not see, fetched from the coordinator into the node's input cache
 * (input-cache.ts): a lease's files in one Inputs.ReadFiles call (fetch-files.ts). A cached copy is
 * revalidated in the same call (the coordinator answers `unchanged` when the file still has the size
 * and mtime of the copy). A processor fetches its lease's files while `loading`, so the attempt's
 * task_overhead_timeout bounds the transfers and a revoke or stop aborts them; the files of leases
 * queued behind it are prefetched meanwhile, so that loading them finds them in the cache.
 */
import type { InputsClient } from '../../gen/parajob/v1/parajob.js';
import type { TabularReader } from '../../input/mltable/model.js';
import type { ByteRangeItem } from '../../worker/protocol.js';
import { fetchFiles, type FetchTarget } from './fetch-files.js';
import type { CachedFile, InputCache } from './input-cache.js';
import { type ChunkWritten, shipAttemptFolder, type ShippedAttempt } from './output-shipping.js';
import { stageRanges } from './stage-ranges.js';
import type { SeesPath } from './visibility.js';

/** Prefetched files remembered at most (older ones are forgotten: their leases were revoked or went elsewhere). */
const PREFETCHED_MAX = 4096;

/** What a processor of one job uses: which paths it reads itself, and the rest fetched. */
export interface LeaseInputs {
  readonly sees: SeesPath;
  /** Local copies of `paths` (in order), pinned until `release`d. Rejects when any cannot be fetched. */
  fetch(paths: readonly string[], signal: AbortSignal): Promise<string[]>;
  /** Starts fetching `paths` (a queued lease's) ahead of need; a failure is left for `fetch` to meet. */
  prefetch(paths: readonly string[]): void;
  /** Unpins local copies handed to an attempt that is over. */
  release(localPaths: readonly string[]): Promise<void>;
  /** Tabular ranges the node does not see, staged under `dir` (stage-ranges.ts); the ranges the worker reads. */
  stageRanges(
    ranges: readonly ByteRangeItem[],
    reader: TabularReader,
    dir: string,
    signal: AbortSignal,
  ): Promise<ByteRangeItem[]>;
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
  /**
   * Files prefetched (or being prefetched) for a lease not loaded yet. The copy is taken as current by
   * the load that uses it, without revalidation: it was read moments before, for that very lease.
   */
  const prefetched = new Map<string, Promise<CachedFile | undefined>>();
  return {
    shipOutput: (attempt, folder) => shipAttemptFolder(client(), attempt, folder, chunkWritten),
    forJob: (jobId, nodeId) => {
      const target = { jobId, nodeId };
      return {
        sees,
        prefetch: (paths) => {
          const wanted = [...new Set(paths)].filter((path) => !prefetched.has(path));
          if (wanted.length === 0) return;
          const arrived = new Map<string, CachedFile>();
          const done = fetchFiles(client(), cache, target, wanted, new AbortController().signal, (index, entry) =>
            arrived.set(wanted[index] as string, entry),
          ).catch(() => undefined);
          for (const path of wanted)
            prefetched.set(
              path,
              done.then(() => arrived.get(path)),
            );
          for (const path of prefetched.keys()) {
            if (prefetched.size <= PREFETCHED_MAX) break;
            prefetched.delete(path);
          }
        },
        fetch: (paths, signal) => fetchPinned(client(), cache, target, paths, prefetched, signal),
        release: (localPaths) => cache.release(localPaths),
        stageRanges: (ranges, reader, dir, signal) => stageRanges(client(), target, ranges, sees, reader, dir, signal),
      };
    },
  };
}

async function fetchPinned(
  client: InputsClient,
  cache: InputCache,
  target: FetchTarget,
  paths: readonly string[],
  prefetched: Map<string, Promise<CachedFile | undefined>>,
  signal: AbortSignal,
): Promise<string[]> {
  const local: (string | undefined)[] = new Array<string | undefined>(paths.length);
  const aborted = new Promise<never>((_, reject) => {
    const fail = (): void => reject(signal.reason as Error);
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    // Prefetched copies still in the cache are pinned as they are; the rest are fetched in one call.
    const missing: number[] = [];
    await Promise.race([
      aborted,
      Promise.all(
        paths.map(async (path, index) => {
          const pending = prefetched.get(path);
          prefetched.delete(path);
          const entry = pending === undefined ? undefined : await pending;
          if (signal.aborted) return; // released below, or never pinned
          if (entry !== undefined && cache.peek(path) === entry) local[index] = cache.use(entry);
          else missing.push(index);
        }),
      ),
    ]);
    if (missing.length > 0) {
      const wanted = missing.map((index) => paths[index] as string);
      await fetchFiles(client, cache, target, wanted, signal, (at, entry) => {
        local[missing[at] as number] = cache.use(entry);
      });
    }
    return local as string[];
  } catch (error) {
    await cache.release(local.filter((path) => path !== undefined));
    throw error;
  }
}
