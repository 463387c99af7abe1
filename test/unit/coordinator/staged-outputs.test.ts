/**
 * The coordinator's side of attempt staging (src/coordinator/output/staged-outputs.ts) on a real
 * folder: an accepted attempt's files are renamed into the output only once its completion is
 * durable, a discarded one's never; and after a restart the accepted folders the journal counted are
 * committed (also half-committed ones), the others removed.
 */
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { StagedOutputs } from '../../../src/coordinator/output/staged-outputs.js';
import type { StagedOutput } from '../../../src/gen/parajob/v1/parajob.js';
import { acceptedFolder, attemptFolder, attemptKey, stageRootOf } from '../../../src/storage/staging-layout.js';
import { makeTempDir } from '../../helpers/input-files.js';

let dir: string;
let output: StagedOutput;

beforeEach(async () => {
  dir = await makeTempDir('parajob-staged-unit-');
  const path = join(dir, 'out');
  output = { name: 'out', path, isFile: false, stageRoot: stageRootOf(path) };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** What a worker leaves after run(): `files` in the attempt's folder. */
async function stageAttempt(miniBatchId: number, token: number, files: readonly string[]): Promise<void> {
  const folder = attemptFolder(output.stageRoot, attemptKey(miniBatchId, token));
  for (const file of files) {
    await mkdir(join(folder, file, '..'), { recursive: true });
    await writeFile(join(folder, file), file);
  }
}

async function filesOf(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(folder.length + 1))
    .sort();
}

describe('StagedOutputs', () => {
  it('commits an accepted attempt after its completion is durable, never a discarded one', async () => {
    const staged = await StagedOutputs.open([output], false, 'job');
    await stageAttempt(0, 11, ['a.txt', 'sub/b.txt']);
    await stageAttempt(1, 12, ['late.txt']);
    staged.accept(0, 11);
    staged.discard(1, 12);
    let durable!: () => void;
    staged.commitWhen(() => new Promise<void>((resolve) => (durable = resolve)));
    await staged.mark();
    // Marked, not yet in the output: the journal has not made the completion durable.
    expect(await filesOf(output.path)).toEqual([]);
    expect(await filesOf(acceptedFolder(output.stageRoot, attemptKey(0, 11)))).toEqual(['a.txt', 'sub/b.txt']);
    durable();
    await staged.close();
    expect(await filesOf(output.path)).toEqual(['a.txt', 'sub/b.txt']);
    expect(await readdir(dir)).toEqual(['out']);
  });

  it('commits nothing when the journal fails before the completion is durable', async () => {
    const staged = await StagedOutputs.open([output], false, 'job');
    await stageAttempt(0, 11, ['a.txt']);
    staged.accept(0, 11);
    staged.commitWhen(() => Promise.reject(new Error('journal failed')));
    await staged.mark();
    await staged.close();
    expect(await filesOf(output.path)).toEqual([]);
  });

  it('on recovery commits the accepted folders of succeeded mini-batches (finishing a half-done commit) and removes the rest', async () => {
    const before = await StagedOutputs.open([output], false, 'job');
    await stageAttempt(0, 21, ['a.txt', 'b.txt']);
    await stageAttempt(1, 22, ['lost.txt']);
    await stageAttempt(2, 23, ['unmarked.txt']);
    before.accept(0, 21);
    before.accept(1, 22);
    await before.mark();
    // The crash: a.txt was renamed into the output, b.txt not yet; mini-batch 1's completion never reached the journal.
    await mkdir(output.path, { recursive: true });
    await rename(join(acceptedFolder(output.stageRoot, attemptKey(0, 21)), 'a.txt'), join(output.path, 'a.txt'));
    const after = await StagedOutputs.open([output], true, 'job');
    after.recover((miniBatchId) => miniBatchId === 0);
    await after.close();
    expect(await filesOf(output.path)).toEqual(['a.txt', 'b.txt']);
    expect(await readdir(dir)).toEqual(['out']);
  });

  it('a uri_file output takes the one file of its name from the accepted attempt', async () => {
    const path = join(dir, 'report', 'summary.json');
    output = { name: 'report', path, isFile: true, stageRoot: stageRootOf(path) };
    const staged = await StagedOutputs.open([output], false, 'job');
    await stageAttempt(0, 5, ['summary.json', 'scratch.tmp']);
    staged.accept(0, 5);
    staged.commitWhen(async () => undefined);
    await staged.close();
    expect(await filesOf(join(dir, 'report'))).toEqual(['summary.json']);
  });
});
