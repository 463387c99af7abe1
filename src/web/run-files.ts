/**
 * The run directory as the web UI shows it: a tree of its files and any text file's content, big
 * ones tailed. Every path is relative to the run directory and must stay inside it once symlinks are
 * resolved: `..`, absolute paths and links pointing out are refused (the UI must not become a way to
 * read the coordinator's disk).
 */
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

import type { FileContent, TreeEntry } from './api-types.js';

/** A path that is not inside the run directory, or does not exist. */
export class RunPathRefused extends Error {
  override readonly name = 'RunPathRefused';
  constructor(
    message: string,
    readonly status: 400 | 403 | 404,
  ) {
    super(message);
  }
}

/** Most entries one tree listing returns. */
export const MAX_TREE_ENTRIES = 5_000;
/** Most bytes one read returns: bigger files are tailed. */
export const MAX_READ_BYTES = 256 * 1024;

/** The real path of `relativePath` inside `runDir`, or a refusal. */
export async function resolveInRunDir(runDir: string, relativePath: string): Promise<string> {
  if (relativePath.includes('\0') || isAbsolute(relativePath)) {
    throw new RunPathRefused(`not a path inside the run directory: ${relativePath}`, 400);
  }
  const root = await realpath(runDir).catch(() => {
    throw new RunPathRefused('the run directory does not exist (yet)', 404);
  });
  // `..` is refused before the disk is asked, so that a refusal never tells what exists outside.
  const lexical = resolve(root, relativePath);
  if (lexical !== root && !lexical.startsWith(root + sep)) {
    throw new RunPathRefused(`outside the run directory: ${relativePath}`, 403);
  }
  const real = await realpath(lexical).catch(() => {
    throw new RunPathRefused(`no such file in the run directory: ${relativePath}`, 404);
  });
  if (real !== root && !real.startsWith(root + sep)) {
    throw new RunPathRefused(`outside the run directory: ${relativePath}`, 403);
  }
  return real;
}

/** Every file and folder under `relativeDir` of the run directory (symlinks are not followed). */
export async function listRunTree(
  runDir: string,
  relativeDir = '',
): Promise<{ entries: TreeEntry[]; truncated: boolean }> {
  const root = await resolveInRunDir(runDir, '');
  const start = await resolveInRunDir(runDir, relativeDir);
  const entries: TreeEntry[] = [];
  const folders = [start];
  while (folders.length > 0 && entries.length < MAX_TREE_ENTRIES) {
    const folder = folders.shift() as string;
    const children = await readdir(folder, { withFileTypes: true }).catch(() => []);
    children.sort((a, b) => a.name.localeCompare(b.name));
    for (const child of children) {
      if (entries.length >= MAX_TREE_ENTRIES) break;
      if (!child.isFile() && !child.isDirectory()) continue;
      const full = join(folder, child.name);
      const info = await stat(full).catch(() => undefined);
      if (info === undefined) continue;
      const path = relative(root, full).split(sep).join('/');
      entries.push({ path, type: child.isDirectory() ? 'dir' : 'file', size: info.size, mtimeMs: info.mtimeMs });
      if (child.isDirectory()) folders.push(full);
    }
  }
  entries.sort((a, b) => a.path.localeCompare(b.path));
  return { entries, truncated: folders.length > 0 };
}

/**
 * A file's text from byte `from` (default: the last MAX_READ_BYTES), at most MAX_READ_BYTES of it; a
 * client tails a growing file by asking again from the returned `from + bytes read`.
 */
export async function readRunFile(runDir: string, relativePath: string, from?: number): Promise<FileContent> {
  const real = await resolveInRunDir(runDir, relativePath);
  const info = await stat(real);
  if (!info.isFile()) throw new RunPathRefused(`not a file: ${relativePath}`, 400);
  const start = Math.min(info.size, from ?? Math.max(0, info.size - MAX_READ_BYTES));
  const length = Math.min(MAX_READ_BYTES, info.size - start);
  const buffer = Buffer.alloc(length);
  const handle = await open(real, 'r');
  try {
    await handle.read(buffer, 0, length, start);
  } finally {
    await handle.close();
  }
  const binary = buffer.subarray(0, 8_192).includes(0);
  return {
    path: relativePath,
    size: info.size,
    from: start,
    text: binary ? '' : buffer.toString('utf8'),
    truncated: start > 0,
    binary,
  };
}
