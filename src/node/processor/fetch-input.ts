/**
 * Object-storage input on the node: a lease whose files are `s3://` objects carries a presigned GET
 * URL for each (Lease.file_urls). The processor downloads them into its own staging folder before
 * run() (the `loading` state, so --task_overhead_timeout bounds it and a revoke aborts it) and the
 * worker gets local paths. A processor runs one loaded lease at a time, so its folder holds one
 * lease's files: each download clears it first. The node needs no storage credentials.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

import type { Lease } from '../../gen/parajob/v1/parajob.js';

/** Downloads of one lease in flight at once: enough to hide latency, few enough for small machines. */
const PARALLEL_DOWNLOADS = 4;

/** The file name an object gets on the node: the last segment of its key (what a script's basename() expects). */
function fileNameOf(uri: string): string {
  const name = uri.slice(uri.lastIndexOf('/') + 1);
  return name === '' || name === '.' || name === '..' ? 'object' : name;
}

/**
 * Where file `index` of `lease` is staged under `dir`: `<dir>/<index>/<name>`, one folder per file so
 * that objects of the same name under different prefixes do not collide. Decided by the lease alone,
 * so the `run` message names the same paths the download wrote.
 */
export function stagedPathsOf(lease: Pick<Lease, 'files'>, dir: string): string[] {
  return lease.files.map((file, index) => join(dir, String(index), fileNameOf(file)));
}

/**
 * Downloads `lease`'s files from their presigned URLs to {@link stagedPathsOf}, replacing whatever
 * `dir` held. Rejects (the attempt fails and is retried) on an HTTP error or a URL count that does
 * not match the files; `signal` aborts the transfers.
 */
export async function downloadLeaseFiles(lease: Lease, dir: string, signal: AbortSignal): Promise<void> {
  if (lease.fileUrls.length !== lease.files.length) {
    throw new Error(
      `lease of mini-batch ${lease.miniBatchId}: ${lease.fileUrls.length} URLs for ${lease.files.length} files`,
    );
  }
  await rm(dir, { recursive: true, force: true });
  const targets = stagedPathsOf(lease, dir);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < targets.length) {
      const index = next++;
      await downloadOne(
        lease.fileUrls[index] as string,
        lease.files[index] as string,
        targets[index] as string,
        signal,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_DOWNLOADS, targets.length) }, worker));
}

async function downloadOne(url: string, name: string, target: string, signal: AbortSignal): Promise<void> {
  const response = await fetch(url, { signal });
  if (!response.ok || response.body === null) {
    // The URL is presigned: it is a credential for this object, so only the object's name is logged.
    throw new Error(`cannot download ${name}: HTTP ${response.status} ${response.statusText}`);
  }
  await mkdir(join(target, '..'), { recursive: true });
  await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), createWriteStream(target), {
    signal,
  });
}
