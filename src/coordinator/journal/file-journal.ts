/**
 * The file journal: the coordinator's write-ahead log in `<data-dir>/journal/` (see DESIGN.md "Durable
 * state"). Records are appended to segment files with a chained CRC (frame.ts); snapshots bound replay;
 * recover.ts reads it all back on open.
 *
 * Group commit: write() only frames a record into memory and returns its lsn. A flush loop takes
 * everything written so far, writes it with one write call and makes it durable with ONE fdatasync,
 * while the next records gather for the next flush; so the cost of a sync (~230 µs here) is shared by
 * every record of a batch, never paid per record. durable(lsn) / append() resolve only after the sync
 * that covers the record returned: a reply that promises durability waits on it.
 *
 * Segments: a new one is started when the current one would pass `segmentBytes`, and at every snapshot.
 * The old one is synced before the new one is created, so only the last segment can have a torn tail.
 *
 * The queue, the flush loop and the waiters are group-commit.ts's, shared with the PostgreSQL journal.
 *
 * Failure: a write or sync that fails leaves the journal failed for good (after a failed fsync the
 * kernel may have dropped the dirty pages: retrying could acknowledge data that is gone). Every waiter
 * and every later call gets the error; the coordinator must stop.
 */
import { type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { encodeFrame, encodeSegmentHeader, type JournalRecord, SEGMENT_HEADER_BYTES } from './frame.js';
import { checkJournalRecord, GroupCommit, JournalUnavailableError } from './group-commit.js';
import { type JournalIo, listJournal, segmentFileName, snapshotFileName, SYSTEM_JOURNAL_IO } from './journal-files.js';
import { type RecoveredJournal, recoverJournal } from './recover.js';
import { encodeSnapshot } from './snapshot-file.js';

/** Options of FileJournal.open. */
export interface FileJournalOptions {
  /** A segment is closed and a new one started once it would grow past this. @default 64 MiB */
  readonly segmentBytes?: number;
  /** How writes are made durable. @default fdatasync / directory fsync */
  readonly io?: JournalIo;
  /** Hears how long each group commit's fdatasync took, in seconds (the /metrics histogram). */
  readonly onSync?: (seconds: number) => void;
}

export { JournalUnavailableError };

const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

/** Work for the flush loop, in the order it was asked for. */
type QueuedWrite =
  | { readonly kind: 'frames'; readonly frames: Buffer[]; bytes: number }
  | { readonly kind: 'segment'; readonly firstLsn: number; readonly seed: number };

/** The file journal (see the module comment). Open with FileJournal.open. */
export class FileJournal {
  private readonly commits = new GroupCommit<QueuedWrite>({ flushBatch: (batch) => this.flushBatch(batch) });
  /** Bytes the newest segment will have once the queue is written. */
  private queuedSegmentBytes: number;
  private closed = false;
  private snapshotting: Promise<unknown> = Promise.resolve();
  private durableLsnValue: number;

  private constructor(
    private readonly dir: string,
    private readonly io: JournalIo,
    private readonly segmentBytes: number,
    private readonly onSync: ((seconds: number) => void) | undefined,
    private active: { handle: FileHandle; size: number },
    private nextLsnValue: number,
    private chainCrc: number,
  ) {
    this.queuedSegmentBytes = active.size;
    this.durableLsnValue = nextLsnValue;
  }

  /**
   * Opens (creating if need be) the journal in `dir`: recovers what it holds (throws
   * JournalCorruptError on damage) and starts a fresh segment for new records.
   */
  static async open(
    dir: string,
    options: FileJournalOptions = {},
  ): Promise<{ journal: FileJournal; recovered: RecoveredJournal }> {
    const io = options.io ?? SYSTEM_JOURNAL_IO;
    const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    if (!(segmentBytes > SEGMENT_HEADER_BYTES))
      throw new TypeError(`segmentBytes must be > ${SEGMENT_HEADER_BYTES}, got ${segmentBytes}`);
    await mkdir(dir, { recursive: true });
    const recovered = await recoverJournal(dir, io);
    const handle = await createSegment(dir, recovered.nextLsn, recovered.chainCrc, io);
    await io.syncDirectory(dir);
    const journal = new FileJournal(
      dir,
      io,
      segmentBytes,
      options.onSync,
      { handle, size: SEGMENT_HEADER_BYTES },
      recovered.nextLsn,
      recovered.chainCrc,
    );
    return { journal, recovered };
  }

  /** The lsn the next record gets (records below it are written, maybe not yet durable). */
  get nextLsn(): number {
    return this.nextLsnValue;
  }

  /** Records below this lsn are durable. */
  get durableLsn(): number {
    return this.durableLsnValue;
  }

  /**
   * Frames `record` for the next flush and returns its lsn; does not wait. Throws
   * JournalUnavailableError once the journal failed or closed.
   */
  write(record: JournalRecord): number {
    if (this.commits.failure !== undefined) throw this.commits.failure;
    checkJournalRecord(record);
    const { frame, crc } = encodeFrame(record, this.chainCrc);
    if (this.queuedSegmentBytes + frame.length > this.segmentBytes && this.queuedSegmentBytes > SEGMENT_HEADER_BYTES) {
      this.enqueue({ kind: 'segment', firstLsn: this.nextLsnValue, seed: this.chainCrc });
    }
    const last = this.commits.last;
    if (last?.kind === 'frames') {
      last.frames.push(frame);
      last.bytes += frame.length;
    } else {
      this.enqueue({ kind: 'frames', frames: [frame], bytes: frame.length });
    }
    this.queuedSegmentBytes += frame.length;
    this.chainCrc = crc;
    return this.nextLsnValue++;
  }

  /** Resolves once every record written so far is durable (rejects if the journal fails first). */
  durable(): Promise<void> {
    return this.commits.flushed();
  }

  /** Writes `records` and resolves with the last one's lsn once they are durable. */
  async append(records: readonly JournalRecord[]): Promise<number> {
    let lsn = this.nextLsnValue - 1;
    for (const record of records) lsn = this.write(record);
    await this.durable();
    return lsn;
  }

  /**
   * Stores `payload` (the state after every record written so far: the caller builds it synchronously
   * before calling, and must not change the bytes until this resolves) as a snapshot, then deletes the
   * segments and snapshots it makes redundant. Resolves with the lsn it covers up to (exclusive).
   */
  snapshot(payload: readonly Uint8Array[]): Promise<number> {
    if (this.commits.failure !== undefined) return Promise.reject(this.commits.failure);
    const lsn = this.nextLsnValue;
    const chainCrc = this.chainCrc;
    // The segment that starts at `lsn` is queued now, so every record after the snapshot lands in it
    // and every segment before it is wholly covered once the snapshot is durable.
    if (this.queuedSegmentBytes > SEGMENT_HEADER_BYTES)
      this.enqueue({ kind: 'segment', firstLsn: lsn, seed: chainCrc });
    const flushed = this.commits.flushed();
    const done = this.snapshotting.then(async () => {
      await flushed;
      await this.writeSnapshot(lsn, chainCrc, payload);
      await this.compact(lsn);
      return lsn;
    });
    this.snapshotting = done.catch(() => undefined);
    return done;
  }

  /** Flushes what was written, then closes; later writes throw JournalUnavailableError. A failed journal just closes. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.commits.failure === undefined) {
        await this.durable();
        await this.snapshotting;
      }
    } finally {
      this.commits.close();
      await this.active.handle.close().catch(() => undefined);
    }
  }

  private enqueue(write: QueuedWrite): void {
    if (write.kind === 'segment') this.queuedSegmentBytes = SEGMENT_HEADER_BYTES;
    this.commits.enqueue(write);
  }

  /** Writes one batch of the group commit and makes it durable with one sync (see the module comment). */
  private async flushBatch(batch: readonly QueuedWrite[]): Promise<void> {
    const lsn = this.nextLsnValue;
    let createdSegment = false;
    for (const write of batch) {
      if (write.kind === 'segment') {
        await this.startSegment(write.firstLsn, write.seed);
        createdSegment = true;
      } else {
        const bytes =
          write.frames.length === 1 ? (write.frames[0] as Buffer) : Buffer.concat(write.frames, write.bytes);
        await writeAll(this.active.handle, bytes, this.active.size);
        this.active.size += bytes.length;
      }
    }
    const syncStarted = performance.now();
    await this.io.syncFile(this.active.handle);
    this.onSync?.((performance.now() - syncStarted) / 1000);
    if (createdSegment) await this.io.syncDirectory(this.dir);
    this.durableLsnValue = lsn;
  }

  private async startSegment(firstLsn: number, seed: number): Promise<void> {
    // The old segment is whole on disk before the new one exists: only the last can be torn.
    await this.io.syncFile(this.active.handle);
    await this.active.handle.close();
    this.active = { handle: await createSegment(this.dir, firstLsn, seed, this.io, false), size: SEGMENT_HEADER_BYTES };
  }

  private async writeSnapshot(lsn: number, chainCrc: number, payload: readonly Uint8Array[]): Promise<void> {
    const name = snapshotFileName(lsn);
    const temporary = join(this.dir, `${name}.tmp`);
    const handle = await open(temporary, 'w');
    try {
      await handle.writev(encodeSnapshot(lsn, chainCrc, payload));
      await this.io.syncFile(handle);
    } finally {
      await handle.close();
    }
    await rename(temporary, join(this.dir, name));
    await this.io.syncDirectory(this.dir);
  }

  /** Deletes the segments and snapshots wholly covered by the snapshot at `lsn`. */
  private async compact(lsn: number): Promise<void> {
    const listing = await listJournal(this.dir);
    const covered = [
      ...listing.segments.filter((segment) => segment.firstLsn < lsn).map((segment) => segment.name),
      ...listing.snapshots.filter((snapshot) => snapshot.lsn < lsn).map((snapshot) => snapshot.name),
    ];
    for (const name of covered) await rm(join(this.dir, name), { force: true });
    if (covered.length > 0) await this.io.syncDirectory(this.dir);
  }
}

/** Creates (or replaces) the segment file starting at `firstLsn` and writes its header. */
async function createSegment(
  dir: string,
  firstLsn: number,
  seed: number,
  io: JournalIo,
  syncNow = true,
): Promise<FileHandle> {
  const handle = await open(join(dir, segmentFileName(firstLsn)), 'w');
  await writeAll(handle, encodeSegmentHeader(firstLsn, seed), 0);
  if (syncNow) await io.syncFile(handle);
  return handle;
}

/** Writes all of `bytes` at `position` (a write may be partial). */
async function writeAll(handle: FileHandle, bytes: Buffer, position: number): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, written, bytes.length - written, position + written);
    written += bytesWritten;
  }
}
