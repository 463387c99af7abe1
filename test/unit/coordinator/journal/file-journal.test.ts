import { cp, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { FileJournal, JournalUnavailableError } from '../../../../src/coordinator/journal/file-journal.js';
import { FRAME_HEADER_BYTES, type JournalRecord } from '../../../../src/coordinator/journal/frame.js';
import { type JournalIo, SYSTEM_JOURNAL_IO } from '../../../../src/coordinator/journal/journal-files.js';
import { JournalCorruptError } from '../../../../src/coordinator/journal/recover.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'parajob-journal-'));
  dirs.push(dir);
  return dir;
}

function record(index: number): JournalRecord {
  return { type: 1 + (index % 3), payload: Buffer.from(`record ${index} ${'x'.repeat(index % 17)}`) };
}

function texts(entries: readonly { payload: Uint8Array }[]): string[] {
  return entries.map((entry) => Buffer.from(entry.payload).toString());
}

/** Writes `count` records to a fresh journal in `dir`, closes it, and returns the record texts. */
async function writeJournal(dir: string, count: number, segmentBytes?: number): Promise<string[]> {
  const { journal } = await FileJournal.open(dir, { segmentBytes });
  await journal.append(Array.from({ length: count }, (_, index) => record(index)));
  await journal.close();
  return texts(Array.from({ length: count }, (_, index) => record(index)));
}

async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.wal')).sort();
}

/** A sync the test releases by hand, counting calls. */
function controlledIo(): JournalIo & { calls: number; releaseAll(): void; pending(): number } {
  let releases: (() => void)[] = [];
  const io = {
    calls: 0,
    syncFile: () => {
      io.calls += 1;
      return new Promise<void>((resolve) => releases.push(resolve));
    },
    syncDirectory: SYSTEM_JOURNAL_IO.syncDirectory,
    releaseAll: () => {
      const now = releases;
      releases = [];
      for (const release of now) release();
    },
    pending: () => releases.length,
  };
  return io;
}

/** Lets the event loop (and the file system's threads) run until `condition` holds, for at most 10 s. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1));
  expect(condition()).toBe(true);
}

describe('FileJournal', () => {
  it('reads back every record in order, with its lsn, after a reopen', async () => {
    const dir = await tempDir();
    const expected = await writeJournal(dir, 50);
    const { journal, recovered } = await FileJournal.open(dir);
    expect(texts(recovered.entries)).toEqual(expected);
    expect(recovered.entries.map((entry) => entry.lsn)).toEqual(expected.map((_, index) => index));
    expect(recovered.entries.map((entry) => entry.type)).toEqual(expected.map((_, index) => 1 + (index % 3)));
    expect(journal.nextLsn).toBe(50);
    expect(journal.write(record(50))).toBe(50);
    await journal.close();
    const again = await FileJournal.open(dir);
    expect(texts(again.recovered.entries)).toEqual([...expected, texts([record(50)])[0]]);
    await again.journal.close();
  });

  it('spreads records over segments and reads them back across segment boundaries', async () => {
    const dir = await tempDir();
    const expected = await writeJournal(dir, 200, 512);
    expect((await segmentFiles(dir)).length).toBeGreaterThan(5);
    const { journal, recovered } = await FileJournal.open(dir, { segmentBytes: 512 });
    expect(texts(recovered.entries)).toEqual(expected);
    await journal.close();
  });

  describe('group commit', () => {
    it('acknowledges a batch only after the one sync that covers it, and syncs once per batch', async () => {
      const dir = await tempDir();
      const io = controlledIo();
      const opening = FileJournal.open(dir, { io });
      await until(() => io.pending() > 0);
      io.releaseAll();
      const { journal } = await opening;
      const callsBefore = io.calls;

      let acknowledged = false;
      const first = journal.append(Array.from({ length: 100 }, (_, index) => record(index)));
      void first.then(() => (acknowledged = true));
      await until(() => io.pending() === 1);
      // Written, one sync asked for, not released: nothing is acknowledged.
      for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
      expect(acknowledged).toBe(false);
      expect(journal.durableLsn).toBe(0);
      expect(io.calls - callsBefore).toBe(1);

      // Records written while that sync runs wait for the next one.
      let secondAcknowledged = false;
      const second = journal.append([record(100), record(101)]);
      void second.then(() => (secondAcknowledged = true));
      io.releaseAll();
      await first;
      expect(acknowledged).toBe(true);
      expect(journal.durableLsn).toBe(100);
      await until(() => io.pending() === 1);
      expect(secondAcknowledged).toBe(false);
      expect(io.calls - callsBefore).toBe(2);
      io.releaseAll();
      expect(await second).toBe(101);
      expect(journal.durableLsn).toBe(102);

      const closing = journal.close();
      io.releaseAll();
      await closing;
    });

    it('fails every waiter and every later write when a sync fails, and never retries it', async () => {
      const dir = await tempDir();
      let failNext = false;
      const io: JournalIo = {
        syncFile: async (handle) => {
          if (failNext) throw new Error('EIO: injected');
          await handle.datasync();
        },
        syncDirectory: SYSTEM_JOURNAL_IO.syncDirectory,
      };
      const { journal } = await FileJournal.open(dir, { io });
      await journal.append([record(0)]);
      failNext = true;
      await expect(journal.append([record(1)])).rejects.toThrow(/journal write failed: EIO: injected/);
      failNext = false;
      expect(() => journal.write(record(2))).toThrow(JournalUnavailableError);
      await expect(journal.durable()).rejects.toThrow(JournalUnavailableError);
      await journal.close();
    });
  });

  describe('torn tail', () => {
    it('cuts a last record torn at every byte offset and carries on from the record before it', async () => {
      const source = await tempDir();
      const count = 12;
      const expected = await writeJournal(source, count);
      const [segment] = await segmentFiles(source);
      const size = (await stat(join(source, segment as string))).size;
      const lastFrame = FRAME_HEADER_BYTES + 1 + record(count - 1).payload.length;
      const lastStart = size - lastFrame;
      for (let cut = lastStart; cut < size; cut++) {
        const dir = await tempDir();
        await cp(source, dir, { recursive: true });
        await truncate(join(dir, segment as string), cut);
        const { journal, recovered } = await FileJournal.open(dir);
        expect(texts(recovered.entries), `cut at ${cut}`).toEqual(expected.slice(0, -1));
        expect(recovered.truncated === undefined, `cut at ${cut}`).toBe(cut === lastStart);
        expect((await stat(join(dir, segment as string))).size).toBe(lastStart);
        // The journal goes on: the next record takes the torn one's lsn.
        expect(journal.write({ type: 9, payload: Buffer.from('after the crash') })).toBe(count - 1);
        await journal.close();
        const reopened = await FileJournal.open(dir);
        expect(texts(reopened.recovered.entries)).toEqual([...expected.slice(0, -1), 'after the crash']);
        await reopened.journal.close();
      }
    });

    it('treats zeros after the last record (a file extended but never written) as a torn tail', async () => {
      const dir = await tempDir();
      const expected = await writeJournal(dir, 5);
      const [segment] = await segmentFiles(dir);
      const path = join(dir, segment as string);
      await writeFile(path, Buffer.concat([await readFile(path), Buffer.alloc(4096)]));
      const { journal, recovered } = await FileJournal.open(dir);
      expect(texts(recovered.entries)).toEqual(expected);
      expect(recovered.truncated?.reason).toMatch(/zeros/);
      await journal.close();
    });
  });

  describe('corruption', () => {
    it('refuses a bit flipped anywhere in a record in the middle, naming the segment and the offset', async () => {
      const source = await tempDir();
      await writeJournal(source, 10);
      const [segment] = await segmentFiles(source);
      const bytes = await readFile(join(source, segment as string));
      // Offsets of record 4: after the 24-byte segment header and records 0..3.
      let start = 24;
      for (let index = 0; index < 4; index++) start += FRAME_HEADER_BYTES + 1 + record(index).payload.length;
      const frameBytes = FRAME_HEADER_BYTES + 1 + record(4).payload.length;
      for (let offset = start; offset < start + frameBytes; offset++) {
        const dir = await tempDir();
        const damaged = Buffer.from(bytes);
        damaged[offset] = (damaged[offset] as number) ^ (1 << (offset % 8));
        await writeFile(join(dir, segment as string), damaged);
        const opening = FileJournal.open(dir);
        await expect(opening, `bit flipped at ${offset}`).rejects.toThrow(JournalCorruptError);
        const error = (await opening.catch((caught: unknown) => caught)) as JournalCorruptError;
        expect(error.file).toBe(join(dir, segment as string));
        expect(error.offset).toBe(start);
        expect(error.message).toContain(`${segment} is damaged at byte ${start}`);
      }
    });

    it('refuses damage in the last record of a segment that is not the last one', async () => {
      const dir = await tempDir();
      await writeJournal(dir, 100, 400);
      const [first] = await segmentFiles(dir);
      const path = join(dir, first as string);
      const bytes = await readFile(path);
      bytes[bytes.length - 2] = (bytes[bytes.length - 2] as number) ^ 0x10;
      await writeFile(path, bytes);
      await expect(FileJournal.open(dir, { segmentBytes: 400 })).rejects.toThrow(
        new RegExp(`${first} is damaged at byte \\d+: last record checksum mismatch`),
      );
    });

    it('refuses a journal with a segment missing in the middle', async () => {
      const dir = await tempDir();
      await writeJournal(dir, 100, 400);
      const segments = await segmentFiles(dir);
      await rm(join(dir, segments[2] as string));
      await expect(FileJournal.open(dir, { segmentBytes: 400 })).rejects.toThrow(/does not continue the one before it/);
    });
  });
});
