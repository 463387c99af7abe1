/**
 * A node compiles a TypeScript entry script into its cached snapshot (`.score.ts.parajob.mjs`); the
 * snapshot's hash, checked before the cache is reused, must not count that file, or every later step
 * of the job would find the cache "changed" and move it aside under a running worker.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { takeSnapshot } from '../../../src/code/snapshot.js';

describe('a code snapshot', () => {
  it("keeps its hash when the node's compiled entry script and its temp file appear beside the script", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parajob-snapshot-'));
    await writeFile(join(dir, 'score.ts'), 'export const run = (files: string[]) => files;\n');
    const before = await takeSnapshot(dir);
    await writeFile(join(dir, '.score.ts.parajob.mjs'), 'export const run = (files) => files;\n');
    await writeFile(join(dir, '.score.ts.parajob.mjs.4242.tmp'), 'partial');
    const after = await takeSnapshot(dir);
    expect(after.hash).toBe(before.hash);
    expect(after.files.map((file) => file.path)).toEqual(['score.ts']);
    // A user's own dot-file still counts.
    await writeFile(join(dir, '.settings.mjs'), 'export default {};\n');
    expect((await takeSnapshot(dir)).hash).not.toBe(before.hash);
  });
});
