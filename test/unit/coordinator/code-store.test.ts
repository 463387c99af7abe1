import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { hashFiles } from '../../../src/code/snapshot.js';
import { CodeStore } from '../../../src/coordinator/code/code-store.js';

const FILES = [{ path: 'main.mjs', mode: 0o644, content: Buffer.from('export function run(b) { return b; }\n') }];

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'parajob-code-store-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('CodeStore', () => {
  it('serves a snapshot from disk, not from memory: a changed or removed folder is not served', async () => {
    const store = new CodeStore(dataDir);
    const hash = hashFiles(FILES);
    await store.store({ sourceDir: '/src', hash, files: FILES });
    expect((await store.files(hash))?.map((file) => file.path)).toEqual(['main.mjs']);

    await writeFile(join(store.folderOf(hash), 'main.mjs'), 'tampered\n');
    expect(await store.files(hash)).toBeUndefined();
    await rm(store.folderOf(hash), { recursive: true });
    expect(await store.files(hash)).toBeUndefined();
  });
});
