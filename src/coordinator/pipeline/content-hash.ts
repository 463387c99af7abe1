/**
 * Content hashes of data inputs for reuse keys: a file by its bytes, a folder by its files' relative
 * paths, sizes and digests (sorted, so the order of listing does not matter). A folder's files are
 * digested a window at a time, concurrently (small files with one callback readFile each, large ones
 * streamed), and hashed in order.
 *
 * Each file's digest is remembered by (path, size, mtime, ctime, inode) in a small JSON file in the
 * coordinator's data dir, so an input that did not change is not read again by the next step or the
 * next run. A file changed within RACY_MS of being hashed is not remembered (its next change could
 * keep the same mtime, as git's "racily clean" entries), so a remembered digest is never stale.
 */
import { createHash } from 'node:crypto';
import {
  createReadStream,
  readFile as readFileCallback,
  readFileSync,
  renameSync,
  type Stats,
  writeFileSync,
} from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** A file modified this recently when hashed is hashed again next time. */
const RACY_MS = 2_000;
/** Files of a folder digested at once (their digests are then hashed in order). */
const READ_WINDOW = 64;
/** Files up to this size are read whole; larger ones are streamed. */
const WHOLE_FILE_MAX_BYTES = 1 << 20;

interface FileDigest {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly ino: number;
  readonly sha256: string;
}

interface DigestFile {
  readonly version: 1;
  readonly files: Record<string, FileDigest>;
}

/** fs.readFile (callback): in Node 20 several times cheaper per small file than fs/promises' readFile. */
function readWhole(file: string): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    readFileCallback(file, (error, bytes) => (error ? reject(error) : resolve(bytes))),
  );
}

async function sha256Of(path: string, size: number): Promise<string> {
  const hash = createHash('sha256');
  if (size <= WHOLE_FILE_MAX_BYTES) hash.update(await readWhole(path));
  else for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function listFiles(dir: string, into: string[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await listFiles(path, into);
    else if (entry.isFile()) into.push(path);
  }
}

function sameFile(known: FileDigest, info: Stats): boolean {
  return (
    known.size === info.size &&
    known.mtimeMs === info.mtimeMs &&
    known.ctimeMs === info.ctimeMs &&
    known.ino === info.ino
  );
}

/** Content hashes with remembered file digests (see the module comment). */
export class ContentHasher {
  private files: Record<string, FileDigest> | undefined;
  private changed = false;
  /** Files read (not taken from memory) so far: what the memory saves is visible in tests. */
  filesRead = 0;

  /** @param file where digests are remembered; undefined: in memory only. */
  constructor(private readonly file?: string) {}

  /** sha256 of the file or folder at `path`; "missing" when it does not exist. */
  async hash(path: string): Promise<string> {
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) return 'missing';
    if (info.isFile()) return this.fileDigest(path, info);
    const files: string[] = [];
    await listFiles(path, files);
    files.sort();
    const hash = createHash('sha256');
    for (let start = 0; start < files.length; start += READ_WINDOW) {
      const window = files.slice(start, start + READ_WINDOW);
      const digests = await Promise.all(
        window.map(async (file) => {
          const fileInfo = await stat(file);
          return { size: fileInfo.size, sha256: await this.fileDigest(file, fileInfo) };
        }),
      );
      for (const [i, file] of window.entries()) {
        const name = relative(path, file);
        const digest = digests[i] as { size: number; sha256: string };
        hash.update(`${name.length}:${name}${digest.size}:${digest.sha256}`);
      }
    }
    return hash.digest('hex');
  }

  /** Writes the remembered digests when they changed (temporary file, then rename). */
  save(): void {
    if (this.file === undefined || !this.changed) return;
    const body: DigestFile = { version: 1, files: this.load() };
    const temporary = `${this.file}.${process.pid}.tmp`;
    try {
      writeFileSync(temporary, JSON.stringify(body));
      renameSync(temporary, this.file);
      this.changed = false;
    } catch {
      // Remembering is an optimisation: unsaved digests are computed again next time.
    }
  }

  private async fileDigest(path: string, info: Stats): Promise<string> {
    const files = this.load();
    const known = files[path];
    if (known !== undefined && sameFile(known, info)) return known.sha256;
    const sha256 = await sha256Of(path, info.size);
    this.filesRead += 1;
    if (Date.now() - info.mtimeMs >= RACY_MS) {
      files[path] = { size: info.size, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs, ino: info.ino, sha256 };
      this.changed = true;
    } else if (known !== undefined) {
      delete files[path];
      this.changed = true;
    }
    return sha256;
  }

  private load(): Record<string, FileDigest> {
    if (this.files !== undefined) return this.files;
    this.files = {};
    if (this.file === undefined) return this.files;
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as Partial<DigestFile>;
      if (parsed.version === 1 && parsed.files !== undefined) this.files = parsed.files;
    } catch {
      // Missing or unreadable: every file is read again (nothing is lost but time).
    }
    return this.files;
  }
}

/** sha256 of the file or folder at `path`, remembering nothing. */
export function contentHash(path: string): Promise<string> {
  return new ContentHasher().hash(path);
}
