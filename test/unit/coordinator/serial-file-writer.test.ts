/** SerialFileWriter's queue accounting: pending bytes while writes are queued, and waiting for them to drain. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { SerialFileWriter } from '../../../src/coordinator/output/serial-file-writer.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parajob-writer-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('SerialFileWriter', () => {
  it('counts queued bytes until they are written, and whenPendingBelow resolves once they are', async () => {
    const writer = await SerialFileWriter.open(join(dir, 'out.txt'));
    writer.write('abc');
    writer.write(new Uint8Array([0x64, 0x65]));
    writer.write('é');
    expect(writer.pendingBytes).toBe(7);
    await writer.whenPendingBelow(1);
    expect(writer.pendingBytes).toBe(0);
    expect(writer.bytesWritten).toBe(7);
    // Already below: resolves at once.
    await writer.whenPendingBelow(1);
    await writer.close();
    expect(await readFile(join(dir, 'out.txt'), 'utf8')).toBe('abcdeé');
  });

  it('wakes waiters when it closes, so nobody waits on a queue that will not move', async () => {
    const writer = await SerialFileWriter.open(join(dir, 'out.txt'));
    writer.write('x'.repeat(1000));
    const waiting = writer.whenPendingBelow(0); // never true by size alone
    await writer.close();
    await expect(waiting).resolves.toBeUndefined();
  });

  it('keeps the order of small (coalesced) and large chunks, strings and bytes, across flushes', async () => {
    const writer = await SerialFileWriter.open(join(dir, 'out.txt'));
    const expected: string[] = [];
    const put = (chunk: string, asBytes: boolean) => {
      writer.write(asBytes ? new TextEncoder().encode(chunk) : chunk);
      expected.push(chunk);
    };
    for (let i = 0; i < 3000; i++) {
      put(`row ${i} é\n`, i % 2 === 0);
      if (i % 700 === 0) put('L'.repeat(20_000 + i) + '\n', i % 1400 === 0);
      if (i === 1500) await writer.flush();
    }
    await writer.close();
    expect(await readFile(join(dir, 'out.txt'), 'utf8')).toBe(expected.join(''));
    expect(writer.pendingBytes).toBe(0);
  });

  it('resumes a file cut back to its journaled end, counting offsets from the start of the file', async () => {
    const path = join(dir, 'out.txt');
    const first = await SerialFileWriter.open(path);
    first.write('kept 1\nkept 2\n');
    expect(first.endOffset).toBe(14);
    first.write('never journaled\n');
    await first.sync();
    await first.close();
    const resumed = await SerialFileWriter.open(path, { resumeAt: 14 });
    expect(resumed.endOffset).toBe(14);
    resumed.write('after the restart\n');
    expect(resumed.endOffset).toBe(32);
    await resumed.close();
    expect(await readFile(path, 'utf8')).toBe('kept 1\nkept 2\nafter the restart\n');
  });

  it('refuses to resume a file shorter than its journaled end', async () => {
    const path = join(dir, 'out.txt');
    const writer = await SerialFileWriter.open(path);
    writer.write('short\n');
    await writer.close();
    await expect(SerialFileWriter.open(path, { resumeAt: 100 })).rejects.toThrow(
      /holds 6 bytes, fewer than the 100 the journal says were written to it/,
    );
  });
});
