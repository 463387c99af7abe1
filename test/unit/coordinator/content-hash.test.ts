import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { contentHash, ContentHasher } from '../../../src/coordinator/pipeline/content-hash.js';
import { makeTempDir } from '../../helpers/input-files.js';

/** Files dated a minute ago: past the racy window, so their digests may be remembered. */
async function writeOld(path: string, text: string): Promise<void> {
  await writeFile(path, text);
  const past = new Date(Date.now() - 60_000);
  await utimes(path, past, past);
}

async function folder(files: Record<string, string>): Promise<string> {
  const dir = await makeTempDir('parajob-content-hash-');
  await mkdir(join(dir, 'sub'));
  for (const [name, text] of Object.entries(files)) await writeOld(join(dir, name), text);
  return dir;
}

describe('ContentHasher', () => {
  it('hashes a folder by its files names and bytes, whatever the folder is called', async () => {
    const a = await folder({ 'x.txt': 'x', 'sub/y.txt': 'y' });
    const b = await folder({ 'sub/y.txt': 'y', 'x.txt': 'x' });
    const c = await folder({ 'x.txt': 'x', 'sub/y.txt': 'Y' });
    expect(await contentHash(a)).toBe(await contentHash(b));
    expect(await contentHash(a)).not.toBe(await contentHash(c));
    expect(await contentHash(join(a, 'nothing'))).toBe('missing');
  });

  it('does not read an unchanged file again, also in the next process (the digests are saved)', async () => {
    const dir = await folder({ 'x.txt': 'x', 'sub/y.txt': 'y' });
    const memory = join(await makeTempDir('parajob-digests-'), 'content-hashes.json');
    const first = new ContentHasher(memory);
    const hash = await first.hash(dir);
    expect(first.filesRead).toBe(2);
    expect(await first.hash(dir)).toBe(hash);
    expect(first.filesRead).toBe(2);
    first.save();

    const next = new ContentHasher(memory);
    expect(await next.hash(dir)).toBe(hash);
    expect(next.filesRead).toBe(0);

    // A changed file (same size, new bytes, new mtime) is read again, and only it.
    await writeOld(join(dir, 'x.txt'), 'z');
    const changed = await next.hash(dir);
    expect(changed).not.toBe(hash);
    expect(next.filesRead).toBe(1);
  });

  it('does not remember a file modified just now (a change within the same mtime could go unseen)', async () => {
    const dir = await folder({});
    await writeFile(join(dir, 'fresh.txt'), 'fresh');
    const hasher = new ContentHasher();
    const hash = await hasher.hash(dir);
    expect(await hasher.hash(dir)).toBe(hash);
    expect(hasher.filesRead).toBe(2);
  });
});

/** The folder hash spelled out: per file in sorted order, `<name length>:<name><size>:<sha256 of bytes>`. */
function referenceHash(files: Record<string, Buffer>): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(files).sort()) {
    const bytes = files[name] as Buffer;
    hash.update(`${name.length}:${name}${bytes.length}:${createHash('sha256').update(bytes).digest('hex')}`);
  }
  return hash.digest('hex');
}

describe('contentHash', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'parajob-content-hash-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('hashes a folder by its sorted relative paths, sizes and bytes, small files and streamed large ones alike', async () => {
    const files: Record<string, Buffer> = {
      'b.txt': Buffer.from('bee'),
      'a/one.bin': Buffer.alloc(0),
      'large.bin': Buffer.alloc(3 * 2 ** 20, 7),
    };
    // More files than one read window, so the windows must join in order.
    for (let i = 0; i < 150; i++) files[`many/f${String(i).padStart(3, '0')}`] = Buffer.from(`file ${i}`);
    for (const [name, bytes] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), bytes);
    }
    expect(await contentHash(dir)).toBe(referenceHash(files));
  });

  it('changes when one byte of one file changes', async () => {
    writeFileSync(join(dir, 'x'), 'abc');
    const before = await contentHash(dir);
    writeFileSync(join(dir, 'x'), 'abd');
    expect(await contentHash(dir)).not.toBe(before);
  });

  it('hashes a file by its bytes, and a missing path as "missing"', async () => {
    writeFileSync(join(dir, 'f'), 'data');
    expect(await contentHash(join(dir, 'f'))).toBe(createHash('sha256').update('data').digest('hex'));
    expect(await contentHash(join(dir, 'nothing'))).toBe('missing');
  });
});
