/**
 * Content hashes of data inputs for reuse keys: a file by its bytes, a folder by its files' relative
 * paths and bytes (sorted, so the order of listing does not matter). Reads every byte once.
 *
 * A folder's files are read a window at a time, concurrently, and hashed in order: small files with
 * one readFile each (a read stream per 1 KiB file cost more than the file-hash benchmark's work), large
 * ones streamed.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, readFile as readFileCallback, stat as statCallback } from 'node:fs';
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
  for (let start = 0; start < files.length; start += READ_WINDOW) {
    const window = files.slice(start, start + READ_WINDOW);
    const read = await Promise.all(window.map(readSmallFile));
    for (const [i, file] of window.entries()) {
      const { size, bytes } = read[i] as SmallFileRead;
      const name = relative(path, file);
      hash.update(`${name.length}:${name}`);
      hash.update(`${size}:`);
      if (bytes !== undefined) hash.update(bytes);
      else await hashFileInto(hash, file);
    }
  }
  return hash.digest('hex');
}

/** Files read at once while hashing a folder. */
const READ_WINDOW = 64;

/** Files up to this size are read whole; larger ones are streamed when their turn comes. */
const WHOLE_FILE_MAX_BYTES = 1 << 20;

interface SmallFileRead {
  readonly size: number;
  /** The file's bytes; undefined for a file too large to read whole. */
  readonly bytes?: Buffer;
}

async function readSmallFile(file: string): Promise<SmallFileRead> {
  const size = await sizeOf(file);
  return size <= WHOLE_FILE_MAX_BYTES ? { size, bytes: await readWhole(file) } : { size };
}

/** fs.stat (callback), like readWhole. */
function sizeOf(file: string): Promise<number> {
  return new Promise((resolve, reject) =>
    statCallback(file, (error, info) => (error ? reject(error) : resolve(info.size))),
  );
}

/** fs.readFile (callback): in Node 20 several times cheaper per small file than fs/promises' readFile. */
function readWhole(file: string): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    readFileCallback(file, (error, bytes) => (error ? reject(error) : resolve(bytes))),
  );
}
