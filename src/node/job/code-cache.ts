/**
 * The node's cache of code snapshots: `<cacheDir>/code/<hash>/`, fetched once per hash through
 * Code.Fetch and reused by every later job with the same code.
 */
import { rename, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { hashFiles, takeSnapshot, writeSnapshot } from '../../code/snapshot.js';
import { ParajobError } from '../../errors.js';
import type { CodeClient, CodeFile } from '../../gen/parajob/v1/parajob.js';
import { deadlineIn } from '../../rpc/options.js';

/** Where the snapshot `hash` lives under `cacheDir`. */
export function codeDirFor(cacheDir: string, hash: string): string {
  return join(cacheDir, 'code', hash);
}

/**
 * Makes sure snapshot `hash` is in the cache and returns its folder. Fetches it when missing and
 * checks the content hash; throws ParajobError when the fetch fails or the content does not match.
 */
export function ensureCode(client: CodeClient, cacheDir: string, hash: string): Promise<string> {
  if (!/^[0-9a-f]{16,128}$/.test(hash))
    return Promise.reject(new ParajobError(`code hash "${hash}" is not a hex digest`));
  const dir = codeDirFor(cacheDir, hash);
  // One check-or-fetch per folder at a time: two steps of a pipeline preparing the same code at once
  // must not both move it aside or write it.
  const pending = ensuring.get(dir);
  if (pending !== undefined) return pending;
  const ensured = ensureCodeNow(client, dir, hash).finally(() => ensuring.delete(dir));
  ensuring.set(dir, ensured);
  return ensured;
}

/** The check-or-fetch under way per snapshot folder (this process's). */
const ensuring = new Map<string, Promise<string>>();

async function ensureCodeNow(client: CodeClient, dir: string, hash: string): Promise<string> {
  if (await exists(dir)) {
    // Reused only if it still holds what its name says (a folder edited or planted in the cache is not).
    if ((await takeSnapshot(dir).catch(() => undefined))?.hash === hash) return dir;
    // Moved aside, not deleted: a worker of another job may still be running from it.
    await rename(dir, `${dir}.stale-${process.pid}-${Date.now()}`);
  }
  const files = await fetchFiles(client, hash);
  const actual = hashFiles(files);
  if (actual !== hash)
    throw new ParajobError(`code snapshot ${hash} arrived with content hashing to ${actual}; refusing to run it`);
  await writeSnapshot(files, dir);
  return dir;
}

function fetchFiles(client: CodeClient, hash: string): Promise<CodeFile[]> {
  return new Promise((resolvePromise, reject) => {
    const files: CodeFile[] = [];
    const call = client.fetch({ hash }, { deadline: deadlineIn() });
    call.on('data', (file: CodeFile) => files.push(file));
    call.on('error', (error: Error) =>
      reject(new ParajobError(`cannot fetch code snapshot ${hash} from the coordinator: ${error.message}`)),
    );
    call.on('end', () => resolvePromise(files));
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
