import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { contentHash } from '../../../src/coordinator/pipeline/content-hash.js';

/** The folder hash spelled out: per file in sorted order, `<name length>:<name><size>:<bytes>`. */
function referenceHash(files: Record<string, Buffer>): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(files).sort()) {
    const bytes = files[name] as Buffer;
    hash.update(`${name.length}:${name}${bytes.length}:`);
    hash.update(bytes);
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
