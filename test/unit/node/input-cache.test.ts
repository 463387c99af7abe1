/** The node's fetched-input cache: least recently used out first, within its byte bound; pinned files stay. */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { InputCache } from '../../../src/node/inputs/input-cache.js';
import { inputVisibility } from '../../../src/node/inputs/visibility.js';

let parent: string;
beforeEach(async () => {
  parent = await mkdtemp(join(tmpdir(), 'parajob-input-cache-'));
});
afterEach(async () => {
  await rm(parent, { recursive: true, force: true });
});

async function put(cache: InputCache, path: string, size: number, mtimeMs = 1) {
  const temp = cache.tempPath();
  await writeFile(temp, Buffer.alloc(size));
  return cache.add(path, size, mtimeMs, temp);
}

describe('InputCache', () => {
  it('evicts the least recently used entries down to its bound', async () => {
    const cache = await InputCache.open(parent, 300);
    const a = await put(cache, '/in/a', 100);
    const b = await put(cache, '/in/b', 100);
    await put(cache, '/in/c', 100);
    await cache.release([cache.use(a)]); // a is now the most recently used
    const d = await put(cache, '/in/d', 100);
    expect(cache.usedBytes).toBe(300);
    expect(cache.peek('/in/b')).toBeUndefined();
    expect(existsSync(b.localPath)).toBe(false);
    expect(cache.peek('/in/a')).toBe(a);
    expect(cache.peek('/in/d')).toBe(d);
  });

  it('keeps pinned files past the bound and deletes them once released', async () => {
    const cache = await InputCache.open(parent, 100);
    const a = await put(cache, '/in/a', 100);
    const local = cache.use(a);
    await put(cache, '/in/b', 100);
    expect(existsSync(local)).toBe(true);
    expect(cache.peek('/in/b')).toBeUndefined();
    const c = await put(cache, '/in/a', 50, 2); // a changed: a new entry; the pinned old copy stays until released
    expect(existsSync(local)).toBe(true);
    await cache.release([local]);
    expect(existsSync(local)).toBe(false);
    expect(cache.peek('/in/a')).toBe(c);
    expect(cache.usedBytes).toBe(50);
  });
});

describe('inputVisibility', () => {
  it('with --shared-fs, sees exactly the declared prefixes; without, sees regular files that exist here', async () => {
    const file = join(parent, 'x.txt');
    await writeFile(file, 'x');
    const declared = inputVisibility(['/mnt/shared']);
    expect(declared('/mnt/shared/data/x.txt')).toBe(true);
    expect(declared('/mnt/shared-not/x.txt')).toBe(false);
    expect(declared(file)).toBe(false);
    const undeclared = inputVisibility(undefined);
    expect(undeclared(file)).toBe(true);
    expect(undeclared(join(parent, 'missing.txt'))).toBe(false);
    expect(undeclared(parent)).toBe(false);
  });
});
