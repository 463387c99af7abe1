/**
 * Where the journal's files live and how they are named, synced and listed. Segment names carry their
 * first log sequence number zero-padded, so a directory listing sorted by name is in log order:
 *   <dir>/0000000000000000.wal, <dir>/0000000000120000.wal, …   segments
 *   <dir>/snap-0000000000120000.snap                           snapshots (covering records below 120000)
 *   <dir>/*.tmp                                               unfinished snapshot writes (removed on open)
 */
import { type FileHandle, open, readdir } from 'node:fs/promises';

const LSN_DIGITS = 16;
const SEGMENT_NAME = /^(\d{16})\.wal$/;
const SNAPSHOT_NAME = /^snap-(\d{16})\.snap$/;

/** How the journal makes its writes durable; tests inject one they control. */
export interface JournalIo {
  /** Makes a file's written data durable (fdatasync). */
  syncFile(handle: FileHandle): Promise<void>;
  /** Makes a directory's entries durable (fsync of the directory), after a create, rename or unlink. */
  syncDirectory(path: string): Promise<void>;
}

/** fdatasync for files, fsync for directories. */
export const SYSTEM_JOURNAL_IO: JournalIo = {
  syncFile: (handle) => handle.datasync(),
  syncDirectory: async (path) => {
    const handle = await open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};

/** The file name of the segment whose first record is `firstLsn`. */
export function segmentFileName(firstLsn: number): string {
  return `${String(firstLsn).padStart(LSN_DIGITS, '0')}.wal`;
}

/** The file name of the snapshot covering the records below `lsn`. */
export function snapshotFileName(lsn: number): string {
  return `snap-${String(lsn).padStart(LSN_DIGITS, '0')}.snap`;
}

/** The journal directory's files by kind, each list in log order. */
export interface JournalListing {
  readonly segments: { readonly name: string; readonly firstLsn: number }[];
  readonly snapshots: { readonly name: string; readonly lsn: number }[];
  readonly temporary: string[];
}

/** Lists a journal directory (files it does not know are left alone). */
export async function listJournal(dir: string): Promise<JournalListing> {
  const names = (await readdir(dir)).sort();
  const segments: JournalListing['segments'] = [];
  const snapshots: JournalListing['snapshots'] = [];
  const temporary: string[] = [];
  for (const name of names) {
    const segment = SEGMENT_NAME.exec(name);
    const snapshot = SNAPSHOT_NAME.exec(name);
    if (segment !== null) segments.push({ name, firstLsn: Number(segment[1]) });
    else if (snapshot !== null) snapshots.push({ name, lsn: Number(snapshot[1]) });
    else if (name.endsWith('.tmp')) temporary.push(name);
  }
  return { segments, snapshots, temporary };
}
