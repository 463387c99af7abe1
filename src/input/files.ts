/**
 * File-list inputs: a `uri_folder` (every file under it, recursively) or a `uri_file` (that one file),
 * listed in one deterministic order so that mini-batch N holds the same files on every run.
 *
 * The order is the byte order of the UTF-8 encoded, '/'-separated path relative to the folder (what
 * `LC_ALL=C sort` gives), independent of the platform, the filesystem's directory order and the locale.
 * Paths are kept relative to one root (not absolute) so a listing of millions of files costs one short
 * string per file.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import { InputError } from '../errors.js';

/** The files of a file-list input: `root` joined with each relative path gives an absolute path. */
export interface FileList {
  /** Absolute folder the paths are relative to. */
  readonly root: string;
  /** '/'-separated paths relative to `root`, sorted in UTF-8 byte order; files only. */
  readonly relativePaths: readonly string[];
}

/** What {@link listFileInput} needs of a data input: its kind, path and (for messages) its name. */
export interface FileInputRef {
  readonly name: string;
  readonly type: 'uri_folder' | 'uri_file';
  /** Absolute path. */
  readonly path: string;
}

/**
 * Lists a file-list input. A `uri_folder` gives every regular file under it (recursively; symbolic
 * links to files count as files, links to folders are not followed so a cycle cannot hang the listing);
 * a `uri_file` gives that one file. Throws InputError naming the input when the path is missing or of
 * the wrong kind. An empty folder gives an empty list: the caller decides whether that is an error.
 */
export async function listFileInput(input: FileInputRef): Promise<FileList> {
  const info = await statOrUndefined(input.path);
  if (info === undefined) {
    throw new InputError(`input '${input.name}' (${input.type}): ${input.path} does not exist`);
  }
  if (input.type === 'uri_file') {
    if (!info.isFile()) {
      throw new InputError(
        `input '${input.name}' is a uri_file but ${input.path} is not a file; use type: uri_folder for a folder`,
      );
    }
    return { root: dirname(input.path), relativePaths: [basename(input.path)] };
  }
  if (!info.isDirectory()) {
    throw new InputError(
      `input '${input.name}' is a uri_folder but ${input.path} is not a folder; use type: uri_file for a single file`,
    );
  }
  return { root: input.path, relativePaths: await listFolderFiles(input.path) };
}

/**
 * Every file under `folder`, as sorted '/'-separated relative paths (see the module comment).
 *
 * Walked in order rather than listed and then sorted: within one folder, an entry's key is its name for
 * a file and its name + '/' for a folder, because every path under folder `x` starts with `x/`. Sorting
 * each folder's keys and walking depth first in that order yields the whole list in UTF-8 byte order of
 * the full paths, with sorts of one folder's entries (cheap) instead of one sort of a million paths.
 * The folders next in line are read ahead (a few at a time, on libuv's thread pool) while the current
 * one is walked, so that the directory reads overlap the walking instead of alternating with it.
 */
export async function listFolderFiles(folder: string): Promise<string[]> {
  const found: string[] = [];
  const reader = new FolderReader(folder);
  // An explicit stack instead of recursion: deep trees cannot overflow the call stack. A frame is a
  // folder being walked: its sorted keys and the index of the next one.
  const stack: WalkFrame[] = [await reader.frame('')];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as WalkFrame;
    const key = frame.keys[frame.next];
    if (key === undefined) {
      stack.pop();
      continue;
    }
    frame.next += 1;
    if (!key.endsWith('/')) {
      found.push(frame.prefix + key);
      continue;
    }
    frame.entered += 1;
    stack.push(await reader.frame(frame.prefix + key, frame));
  }
  return found;
}

/** A folder being walked: relative prefix ('' or 'a/b/'), sorted keys, next key, subfolder keys ahead. */
interface WalkFrame {
  readonly prefix: string;
  readonly keys: readonly string[];
  next: number;
  /** Relative prefixes of this folder's subfolders, in walk order. */
  readonly subfolders: readonly string[];
  /** Subfolders the walk went into so far. */
  entered: number;
  /** Index in `subfolders` of the next subfolder not yet read ahead. */
  readAhead: number;
}

/** Folders read ahead of the walk at most, per folder being walked. */
const READ_AHEAD = 8;

/** Reads folders' sorted keys, reading ahead the next subfolders of the folder being walked. */
class FolderReader {
  private readonly started = new Map<string, Promise<string[]>>();

  constructor(private readonly root: string) {}

  /** The frame of folder `prefix` ('' for the root); `parent` is the frame it was found in. */
  async frame(prefix: string, parent?: WalkFrame): Promise<WalkFrame> {
    const keys = await (this.started.get(prefix) ?? this.keysOf(prefix));
    this.started.delete(prefix);
    const subfolders = keys.filter((key) => key.endsWith('/')).map((key) => prefix + key);
    const frame: WalkFrame = { prefix, keys, next: 0, subfolders, entered: 0, readAhead: 0 };
    if (parent !== undefined) this.readAhead(parent);
    this.readAhead(frame);
    return frame;
  }

  /** Starts reading the next of `frame`'s subfolders, up to READ_AHEAD beyond the one walked. */
  private readAhead(frame: WalkFrame): void {
    while (frame.readAhead < frame.subfolders.length && frame.readAhead < frame.entered + READ_AHEAD) {
      const prefix = frame.subfolders[frame.readAhead] as string;
      frame.readAhead += 1;
      if (!this.started.has(prefix)) {
        const reading = this.keysOf(prefix);
        // Awaited when the walk reaches it; a failure meanwhile must not be an unhandled rejection.
        reading.catch(() => undefined);
        this.started.set(prefix, reading);
      }
    }
  }

  /** The folder's keys (name, or name + '/' for a folder), sorted in UTF-8 byte order. */
  private async keysOf(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for (const entry of await readdir(join(this.root, prefix), { withFileTypes: true })) {
      if (entry.isDirectory()) keys.push(`${entry.name}/`);
      else if (entry.isFile()) keys.push(entry.name);
      else if (entry.isSymbolicLink() && (await statOrUndefined(join(this.root, prefix, entry.name)))?.isFile())
        keys.push(entry.name);
    }
    sortUtf8(keys);
    return keys;
  }
}

/** Sorts strings in UTF-8 byte order, in place: the built-in sort when no string holds a surrogate. */
function sortUtf8(strings: string[]): void {
  // Without surrogates, UTF-16 code unit order (the built-in sort's, which calls no JS per comparison)
  // is code point order, which is UTF-8 byte order.
  if (strings.some((text) => SURROGATE.test(text))) strings.sort(compareUtf8);
  else strings.sort();
}

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Compares two strings in the byte order of their UTF-8 encodings (= Unicode code point order),
 * without encoding them. JavaScript's `<` compares UTF-16 code units, which disagrees with code point
 * order only when a surrogate (U+D800–U+DFFF) meets a code unit in U+E000–U+FFFF; the fix-up below
 * (the one ICU uses) moves surrogates above that range.
 */
export function compareUtf8(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

async function statOrUndefined(path: string) {
  try {
    return await stat(path);
  } catch {
    return undefined;
  }
}
