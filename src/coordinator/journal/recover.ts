/**
 * Reading a journal directory back when the coordinator starts: the newest snapshot, then every record
 * after it, checked frame by frame and link by link. A torn tail of the last segment (a write the crash
 * interrupted, never acknowledged as durable) is cut off; anything else that does not check out is
 * refused with the file and byte offset, because starting on a damaged history would silently forget
 * or repeat work. Leftovers of an interrupted compaction (segments and snapshots the newest snapshot
 * covers, unfinished `.tmp` files) are removed.
 */
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { ParajobError } from '../../errors.js';
import { decodeSegmentHeader, type JournalEntry, scanSegment } from './frame.js';
import { type JournalIo, listJournal } from './journal-files.js';
import { decodeSnapshot, type SnapshotContent } from './snapshot-file.js';

/** The journal is damaged before its end: the coordinator must not start on it. */
export class JournalCorruptError extends ParajobError {
  override readonly name = 'JournalCorruptError';
  constructor(
    /** The damaged file's path. */
    readonly file: string,
    /** The byte offset in it where the damage starts. */
    readonly offset: number,
    readonly reason: string,
  ) {
    super(
      `journal file ${file} is damaged at byte ${offset}: ${reason}. The coordinator will not start on a damaged journal; ` +
        'restore the data directory from a backup, or move its journal/ folder aside to start without the jobs it held',
    );
  }
}

/** What a journal directory held. */
export interface RecoveredJournal {
  /** The newest snapshot, if any. */
  readonly snapshot: SnapshotContent | undefined;
  /** Every record from the snapshot's lsn (or 0) on, in order. */
  readonly entries: JournalEntry[];
  /** The lsn the next record gets. */
  readonly nextLsn: number;
  /** The chain CRC after the last record (the seed of the next segment). */
  readonly chainCrc: number;
  /** Set when a torn tail was cut off: which file, from which byte, and why it was judged torn. */
  readonly truncated: { readonly file: string; readonly offset: number; readonly reason: string } | undefined;
}

/** Reads (and repairs the tail of) the journal in `dir`; throws JournalCorruptError on damage. */
export async function recoverJournal(dir: string, io: JournalIo): Promise<RecoveredJournal> {
  const listing = await listJournal(dir);
  for (const name of listing.temporary) await rm(join(dir, name), { force: true });
  const newest = listing.snapshots[listing.snapshots.length - 1];
  let snapshot: SnapshotContent | undefined;
  if (newest !== undefined) {
    const path = join(dir, newest.name);
    const decoded = decodeSnapshot(await readFile(path));
    if (typeof decoded === 'string') throw new JournalCorruptError(path, 0, decoded);
    if (decoded.lsn !== newest.lsn)
      throw new JournalCorruptError(path, 8, `snapshot says lsn ${decoded.lsn}, its name says ${newest.lsn}`);
    snapshot = decoded;
  }
  const snapshotLsn = snapshot?.lsn ?? 0;
  const covered = listing.snapshots.slice(0, -1).map((entry) => entry.name);
  // The segment holding record `snapshotLsn` is the last one starting at or before it; earlier ones
  // are wholly covered by the snapshot.
  let start = 0;
  listing.segments.forEach((segment, index) => {
    if (segment.firstLsn <= snapshotLsn) start = index;
  });
  covered.push(...listing.segments.slice(0, start).map((segment) => segment.name));
  const segments = listing.segments.slice(start);

  let nextLsn = snapshotLsn;
  let chainCrc = snapshot?.chainCrc ?? 0;
  const entries: JournalEntry[] = [];
  let truncated: RecoveredJournal['truncated'];
  for (const [index, segment] of segments.entries()) {
    const path = join(dir, segment.name);
    const isLast = index === segments.length - 1;
    const bytes = await readFile(path);
    const header = decodeSegmentHeader(bytes);
    if (!header.ok) {
      // A segment is created only after the one before it is synced: a last segment without a whole
      // header was being created by the crash and holds nothing.
      if (isLast && header.torn) {
        await rm(path, { force: true });
        truncated = { file: path, offset: 0, reason: header.reason };
        break;
      }
      throw new JournalCorruptError(path, 0, header.reason);
    }
    if (header.firstLsn !== segment.firstLsn)
      throw new JournalCorruptError(
        path,
        8,
        `segment says first lsn ${header.firstLsn}, its name says ${segment.firstLsn}`,
      );
    if (index === 0 && segment.firstLsn > snapshotLsn)
      throw new JournalCorruptError(path, 8, `records ${snapshotLsn}..${segment.firstLsn - 1} are missing`);
    if (index > 0 && (segment.firstLsn !== nextLsn || header.seed !== chainCrc)) {
      throw new JournalCorruptError(
        path,
        8,
        `segment does not continue the one before it (expected first lsn ${nextLsn} and chain ${chainCrc}, found ${segment.firstLsn} and ${header.seed})`,
      );
    }
    if (index === 0 && snapshot !== undefined && segment.firstLsn === snapshotLsn && header.seed !== chainCrc)
      throw new JournalCorruptError(path, 16, 'segment does not continue the snapshot (chain CRC differs)');
    const scan = scanSegment(bytes, header);
    if (scan.end.kind === 'corrupt' || (scan.end.kind === 'torn' && !isLast))
      throw new JournalCorruptError(path, scan.end.offset, scan.end.reason);
    if (scan.end.kind === 'torn') {
      await truncateFile(path, scan.end.offset, io);
      truncated = { file: path, offset: scan.end.offset, reason: scan.end.reason };
    }
    for (const entry of scan.entries) if (entry.lsn >= snapshotLsn) entries.push(entry);
    const segmentEnd = scan.firstLsn + scan.entries.length;
    // A torn segment that ends before the snapshot loses nothing: the snapshot holds those records.
    if (segmentEnd >= snapshotLsn) {
      nextLsn = segmentEnd;
      chainCrc = scan.endCrc;
    }
  }
  for (const name of covered) await rm(join(dir, name), { force: true });
  if (covered.length > 0 || truncated !== undefined) await io.syncDirectory(dir);
  return { snapshot, entries, nextLsn, chainCrc, truncated };
}

async function truncateFile(path: string, length: number, io: JournalIo): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.truncate(length);
    await io.syncFile(handle);
  } finally {
    await handle.close();
  }
}
