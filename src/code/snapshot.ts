/**
 * Code snapshots: a job's `task.code` folder, read once at submission, hashed and shipped to nodes
 * through the coordinator, so nodes need not see the client's filesystem and editing the script
 * during a run changes nothing. Stored and cached content-addressed by `hash`.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';

import { InputError } from '../errors.js';
import type { CodeFile, CodeSnapshot } from '../gen/parajob/v1/parajob.js';
import { isCompiledEntryName } from './compiled-entry.js';

/** Folders never worth shipping. */
const SKIPPED_DIRS = new Set(['.git', 'node_modules', '__pycache__', '.parajob', '.venv']);

/** Refuse code folders bigger than this: they belong in an input, not in the code. */
export const MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024;

/** The only modes a snapshot file may have: only the exec bit of the source survives. */
export const FILE_MODE = 0o644;
export const EXECUTABLE_MODE = 0o755;

/** `mode` reduced to 0644 or 0755 (setuid, setgid, sticky and group/world write never travel). */
export function normalizedMode(mode: number): number {
  return mode & 0o111 ? EXECUTABLE_MODE : FILE_MODE;
}

/** Reads every file under `dir` (sorted, '/'-separated paths) and hashes them. */
export async function takeSnapshot(dir: string): Promise<CodeSnapshot> {
  const files: CodeFile[] = [];
  let total = 0;
  async function walk(folder: string): Promise<void> {
    const entries = await readdir(folder, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = join(folder, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) await walk(full);
      } else if (entry.isFile() && !isCompiledEntryName(entry.name)) {
        const [content, info] = await Promise.all([readFile(full), stat(full)]);
        total += content.length;
        if (total > MAX_SNAPSHOT_BYTES) {
          throw new InputError(
            `${dir}: the code folder is larger than ${MAX_SNAPSHOT_BYTES / 1024 / 1024} MiB; move data out of task.code into an input`,
          );
        }
        files.push({ path: relative(dir, full).split(sep).join('/'), content, mode: normalizedMode(info.mode) });
      }
    }
  }
  await walk(dir);
  return { sourceDir: dir, hash: hashFiles(files), files };
}

/** sha256 over the (path, mode, content) list in path order. */
export function hashFiles(files: readonly CodeFile[]): string {
  const hash = createHash('sha256');
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const file of sorted) {
    hash.update(`${file.path}\0${file.mode}\0${file.content.length}\0`);
    hash.update(file.content);
  }
  return hash.digest('hex');
}

/**
 * Writes files into `destDir` atomically: into a sibling temp folder, then renamed, so a reader never
 * sees half a snapshot. A destination that already exists is left alone (same hash, same content).
 */
export async function writeSnapshot(files: readonly CodeFile[], destDir: string): Promise<void> {
  if (await exists(destDir)) return;
  const temp = `${destDir}.tmp-${process.pid}-${Date.now()}`;
  try {
    for (const file of files) {
      if (file.path.split('/').includes('..') || file.path.startsWith('/')) {
        throw new InputError(`code snapshot file path escapes its folder: ${file.path}`);
      }
      const target = join(temp, ...file.path.split('/'));
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, file.content, { mode: FILE_MODE });
      // chmod, not the umask-filtered create mode: exactly 0644 or 0755, whatever mode was sent.
      await chmod(target, normalizedMode(file.mode));
    }
    await mkdir(temp, { recursive: true });
    await mkdir(dirname(destDir), { recursive: true });
    await rename(temp, destDir);
  } catch (error) {
    // A refused or failed snapshot leaves no temp folder; a lost rename race means another writer
    // stored the same content first.
    await rm(temp, { recursive: true, force: true });
    if (!(error instanceof InputError) && (await exists(destDir))) return;
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
