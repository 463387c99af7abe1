/**
 * The node's content cache of fetched input files: one folder per node process, bounded in bytes,
 * least recently used first out. A file is stored under a name derived from its path, size and
 * modification time as the coordinator reported them, so a changed file is a new entry. Files a
 * running attempt was handed are pinned: eviction skips them (the bound can be exceeded by at most
 * the files of the attempts in progress) and they are deleted when released, if evicted meanwhile.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

/** A cached copy of input file `path`. */
export interface CachedFile {
  readonly path: string;
  readonly localPath: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/** The cache; see the module comment. */
export class InputCache {
  /** By source path; Map order is recency (oldest first). */
  private readonly entries = new Map<string, CachedFile>();
  private readonly pins = new Map<string, number>();
  /** Local files no longer in `entries` that were pinned when they left. */
  private readonly doomed = new Set<string>();
  private bytes = 0;

  private constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {}

  /** A fresh, empty cache in a new folder under `parent`. */
  static async open(parent: string, maxBytes: number): Promise<InputCache> {
    await mkdir(parent, { recursive: true });
    const dir = await mkdtemp(join(parent, 'node-'));
    await mkdir(join(dir, 'tmp'));
    return new InputCache(dir, maxBytes);
  }

  /** Bytes of the files the cache holds. */
  get usedBytes(): number {
    return this.bytes;
  }

  /** The cached copy of `path` (any version), without touching its recency. */
  peek(path: string): CachedFile | undefined {
    return this.entries.get(path);
  }

  /** Where a download in progress writes (moved into the cache by `add`). */
  tempPath(): string {
    return join(this.dir, 'tmp', randomUUID());
  }

  /** Marks `entry` used now and pins it; returns its local path. */
  use(entry: CachedFile): string {
    if (this.entries.get(entry.path) === entry) {
      this.entries.delete(entry.path);
      this.entries.set(entry.path, entry);
    }
    this.pins.set(entry.localPath, (this.pins.get(entry.localPath) ?? 0) + 1);
    return entry.localPath;
  }

  /** Moves a complete download into the cache (replacing an older version of `path`) and evicts down to the bound. */
  async add(path: string, size: number, mtimeMs: number, tempFile: string): Promise<CachedFile> {
    const entry = await this.entryFolder(path, size, mtimeMs);
    await rename(tempFile, entry.localPath);
    return this.register(entry);
  }

  /** Writes a file that arrived whole into the cache: no temp file, no rename (small files cost a few syscalls each). */
  async addWhole(path: string, mtimeMs: number, data: Uint8Array): Promise<CachedFile> {
    const entry = await this.entryFolder(path, data.length, mtimeMs);
    await writeFile(entry.localPath, data);
    return this.register(entry);
  }

  private async entryFolder(path: string, size: number, mtimeMs: number): Promise<CachedFile> {
    const key = createHash('sha256').update(`${path}\0${size}\0${mtimeMs}`).digest('hex').slice(0, 32);
    await mkdir(join(this.dir, key), { recursive: true });
    return { path, size, mtimeMs, localPath: join(this.dir, key, basename(path) || 'file') };
  }

  private async register(entry: CachedFile): Promise<CachedFile> {
    const previous = this.entries.get(entry.path);
    if (previous !== undefined && previous.localPath !== entry.localPath) await this.drop(previous);
    else if (previous !== undefined) this.forget(previous);
    this.entries.set(entry.path, entry);
    this.bytes += entry.size;
    await this.evict();
    return entry;
  }

  /** Unpins local files handed to an attempt that is over; deletes those evicted meanwhile. */
  async release(localPaths: readonly string[]): Promise<void> {
    for (const localPath of localPaths) {
      const count = (this.pins.get(localPath) ?? 0) - 1;
      if (count > 0) {
        this.pins.set(localPath, count);
        continue;
      }
      this.pins.delete(localPath);
      if (this.doomed.delete(localPath)) await removeEntryFolder(localPath);
    }
    await this.evict();
  }

  private async evict(): Promise<void> {
    for (const entry of [...this.entries.values()]) {
      if (this.bytes <= this.maxBytes) return;
      if (!this.pins.has(entry.localPath)) await this.drop(entry);
    }
  }

  private forget(entry: CachedFile): void {
    this.entries.delete(entry.path);
    this.bytes -= entry.size;
  }

  private async drop(entry: CachedFile): Promise<void> {
    this.forget(entry);
    if (this.pins.has(entry.localPath)) this.doomed.add(entry.localPath);
    else await removeEntryFolder(entry.localPath);
  }
}

function removeEntryFolder(localPath: string): Promise<void> {
  return rm(join(localPath, '..'), { recursive: true, force: true });
}

/** Leaves no temp file behind for a download that failed. */
export function discard(tempFile: string): Promise<void> {
  return rm(tempFile, { force: true });
}
