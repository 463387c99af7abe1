import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { InputError } from '../../../src/errors.js';
import { compareUtf8, listFileInput, listFolderFiles } from '../../../src/input/files.js';

describe('compareUtf8', () => {
  it.each([
    ['a', 'b'],
    ['a', 'a/b'],
    ['a-c', 'a/b'], // '-' (0x2D) sorts before '/' (0x2F) in bytes
    ['B', 'a'], // upper case first, as in LC_ALL=C
    ['\uFF21', '\u{1F600}'], // U+FF21 < U+1F600 in code points, though UTF-16 says the opposite
    ['é', '\u{10000}'],
  ])('%j sorts before %j, as their UTF-8 bytes do', (lower, higher) => {
    expect(Buffer.compare(Buffer.from(lower), Buffer.from(higher))).toBe(-1);
    expect(compareUtf8(lower, higher)).toBeLessThan(0);
    expect(compareUtf8(higher, lower)).toBeGreaterThan(0);
    expect(compareUtf8(lower, lower)).toBe(0);
  });
});

describe('listing file inputs', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'parajob-files-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function touch(relative: string): void {
    mkdirSync(join(dir, relative, '..'), { recursive: true });
    writeFileSync(join(dir, relative), relative);
  }

  it('lists every file recursively in UTF-8 byte order of the relative path, whatever the creation order', async () => {
    const names = [
      'z.txt',
      'a/b/c.txt',
      'a-c.txt',
      'a/a.txt',
      // Around the folder a/: '.' and ' ' sort before '/', '0' after, so its files sit between them.
      'a.txt',
      'a0.txt',
      'a b/x.txt',
      'B.txt',
      'ß.txt',
      '\uFF21.txt',
      '\u{1F600}.txt',
      '.hidden',
    ];
    for (const name of names) touch(name);
    mkdirSync(join(dir, 'empty-folder'));
    const expected = [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(await listFolderFiles(dir)).toEqual(expected);
    expect(await listFolderFiles(dir)).toEqual(expected);
  });

  it('counts symbolic links to files, and does not follow links to folders', async () => {
    touch('real/one.txt');
    symlinkSync(join(dir, 'real', 'one.txt'), join(dir, 'link.txt'));
    symlinkSync(dir, join(dir, 'loop'));
    expect(await listFolderFiles(dir)).toEqual(['link.txt', 'real/one.txt']);
  });

  it('gives a uri_file as its folder and name', async () => {
    touch('only.csv');
    expect(await listFileInput({ name: 'data', type: 'uri_file', path: join(dir, 'only.csv') })).toEqual({
      root: dir,
      relativePaths: ['only.csv'],
    });
  });

  it.each([
    { type: 'uri_folder' as const, path: 'missing', message: /input 'data' \(uri_folder\): .*missing does not exist/ },
    { type: 'uri_folder' as const, path: 'file.txt', message: /is a uri_folder but .*file\.txt is not a folder/ },
    { type: 'uri_file' as const, path: '.', message: /is a uri_file but .* is not a file/ },
  ])('refuses a $type at $path with an InputError naming the input', async ({ type, path, message }) => {
    touch('file.txt');
    const listing = listFileInput({ name: 'data', type, path: join(dir, path) });
    await expect(listing).rejects.toBeInstanceOf(InputError);
    await expect(listing).rejects.toThrow(message);
  });
});
