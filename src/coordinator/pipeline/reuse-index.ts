/**
 * The coordinator's memory of succeeded step runs by reuse key (src/jobspec/reuse-key.ts): a small
 * JSON file in its data dir, rewritten atomically (temporary file, then rename) on every change, so
 * that a later run of the same step, in this coordinator or the next one on the same data dir, takes
 * the earlier run's outputs instead of running again.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { ContentHasher } from './content-hash.js';

/** One succeeded step run that may be reused. */
export interface ReuseEntry {
  /** Wire id of the step run (`<job id>:<step>`, or the job id of a one-step job). */
  readonly stepRun: string;
  /** Output paths by output name. */
  readonly outputs: Readonly<Record<string, string>>;
  readonly atMs: number;
}

interface ReuseFile {
  readonly version: 1;
  readonly entries: Record<string, ReuseEntry>;
}

export const REUSE_INDEX_FILE = 'reuse-index.json';
/** Where the digests of input files are remembered, next to the index. */
export const CONTENT_HASHES_FILE = 'content-hashes.json';

/** The index (see the module comment). */
export class ReuseIndex {
  private readonly file: string;
  private entries: Record<string, ReuseEntry> | undefined;
  /** Hashes the data inputs of the steps looked up (an unchanged file is not read again). */
  readonly contents: ContentHasher;

  constructor(dataDir: string) {
    this.file = join(dataDir, REUSE_INDEX_FILE);
    this.contents = new ContentHasher(join(dataDir, CONTENT_HASHES_FILE));
  }

  /** The entry for `key` whose outputs all still exist, or undefined. */
  find(key: string): ReuseEntry | undefined {
    const entry = this.load()[key];
    if (entry === undefined) return undefined;
    return Object.values(entry.outputs).every((path) => existsSync(path)) ? entry : undefined;
  }

  record(key: string, entry: ReuseEntry): void {
    const entries = this.load();
    entries[key] = entry;
    const body: ReuseFile = { version: 1, entries };
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(body, null, 1)}\n`);
    renameSync(temporary, this.file);
  }

  private load(): Record<string, ReuseEntry> {
    if (this.entries !== undefined) return this.entries;
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as Partial<ReuseFile>;
      this.entries = parsed.version === 1 && parsed.entries !== undefined ? parsed.entries : {};
    } catch {
      // Missing or unreadable: start afresh (reuse is an optimisation; nothing is lost by running).
      this.entries = {};
    }
    return this.entries;
  }
}
