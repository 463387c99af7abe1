/**
 * Code snapshots on the coordinator, content-addressed: `<dataDir>/code/<hash>/`. A snapshot is
 * verified (its hash recomputed) before it is stored. Only the disk holds their files: `Code.Fetch`
 * reads a snapshot back (and re-verifies its hash) each time a node asks, once per node and job, so
 * the coordinator's memory does not grow with every snapshot ever submitted (up to 64 MiB each).
 */
import { join } from 'node:path';

import { EXECUTABLE_MODE, FILE_MODE, hashFiles, takeSnapshot, writeSnapshot } from '../../code/snapshot.js';
import { InputError } from '../../errors.js';
import type { CodeFile, CodeSnapshot } from '../../gen/parajob/v1/parajob.js';

const HASH_FORM = /^[0-9a-f]{64}$/;

/** The content-addressed snapshot store of one coordinator (see the module comment). */
export class CodeStore {
  /** Hashes stored by this process: a resubmission of the same code skips the disk. */
  private readonly stored = new Set<string>();

  /** `dataDir`: the coordinator's data folder (snapshots go to its `code/` folder). */
  constructor(private readonly dataDir: string) {}

  /** The folder of a snapshot. */
  folderOf(hash: string): string {
    return join(this.dataDir, 'code', hash);
  }

  /**
   * Verifies and stores a snapshot. InputError when its hash is malformed or does not match its files
   * (a corrupted or tampered upload), naming the snapshot's source folder.
   */
  async store(snapshot: CodeSnapshot): Promise<void> {
    if (!HASH_FORM.test(snapshot.hash)) {
      throw new InputError(`code snapshot of ${snapshot.sourceDir}: "${snapshot.hash}" is not a sha256 hex digest`);
    }
    const odd = snapshot.files.find((file) => file.mode !== FILE_MODE && file.mode !== EXECUTABLE_MODE);
    if (odd !== undefined) {
      throw new InputError(
        `code snapshot of ${snapshot.sourceDir}: ${odd.path} has mode ${odd.mode.toString(8)}; only 644 and 755 are accepted`,
      );
    }
    const actual = hashFiles(snapshot.files);
    if (actual !== snapshot.hash) {
      throw new InputError(
        `code snapshot of ${snapshot.sourceDir}: its files hash to ${actual}, not to the ${snapshot.hash} it claims`,
      );
    }
    if (!this.stored.has(snapshot.hash)) await writeSnapshot(snapshot.files, this.folderOf(snapshot.hash));
    this.stored.add(snapshot.hash);
  }

  /** The files of a stored snapshot, read from disk and verified; undefined when unknown or changed. */
  async files(hash: string): Promise<readonly CodeFile[] | undefined> {
    if (!HASH_FORM.test(hash)) return undefined;
    try {
      const snapshot = await takeSnapshot(this.folderOf(hash));
      if (snapshot.hash !== hash) return undefined;
      return snapshot.files;
    } catch {
      return undefined;
    }
  }
}
