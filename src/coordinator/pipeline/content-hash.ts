/**
 * Content hashes of data inputs for reuse keys: a file by its bytes, a folder by its files' relative
 * paths and bytes (sorted, so the order of listing does not matter). Streams every byte once.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';

async function hashFileInto(hash: Hash, path: string): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

async function listFiles(root: string, dir: string, into: string[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await listFiles(root, path, into);
    else if (entry.isFile()) into.push(path);
  }
}

/** sha256 of the file or folder at `path`; "missing" when it does not exist. */
export async function contentHash(path: string): Promise<string> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) return 'missing';
  const hash = createHash('sha256');
  if (info.isFile()) {
    await hashFileInto(hash, path);
    return hash.digest('hex');
  }
  const files: string[] = [];
  await listFiles(path, path, files);
  files.sort();
  for (const file of files) {
    const name = relative(path, file);
    hash.update(`${name.length}:${name}`);
    const size = (await stat(file)).size;
    hash.update(`${size}:`);
    await hashFileInto(hash, file);
  }
  return hash.digest('hex');
}
