/** assertBuilt's check: a missing or stale dist/ is refused with a message naming the files. */
import { mkdir, mkdtemp, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { beforeEach, describe, expect, it } from 'vitest';

import { buildProblem } from '../../helpers/cli-process.js';

let dir: string;
let output: string;
let source: string;

/** Sets a file's modification time to `seconds` after the epoch (deterministic, no waiting). */
const touch = (path: string, seconds: number): Promise<void> => utimes(path, seconds, seconds);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parajob-build-problem-'));
  await mkdir(join(dir, 'src', 'cli'), { recursive: true });
  await mkdir(join(dir, 'dist'));
  source = join(dir, 'src', 'cli', 'main.ts');
  output = join(dir, 'dist', 'main.js');
  await writeFile(source, 'export {};\n');
  await writeFile(join(dir, 'src', 'notes.md'), 'not a source\n');
  await writeFile(output, 'export {};\n');
});

describe('buildProblem', () => {
  it('accepts a build newer than every source', async () => {
    await touch(source, 1_000);
    await touch(output, 2_000);
    expect(buildProblem([output], join(dir, 'src'))).toBeUndefined();
  });

  it('names a missing output', () => {
    const bundle = join(dir, 'dist', 'bundle.mjs');
    expect(buildProblem([output, bundle], join(dir, 'src'))).toBe(`dist/ is missing ${bundle}`);
  });

  it('refuses a build older than a source in a nested folder, naming both', async () => {
    await touch(output, 2_000);
    await touch(source, 3_000);
    const problem = buildProblem([output], join(dir, 'src'));
    expect(problem).toMatch(/^dist\/ is stale: /);
    expect(problem).toContain(`${source} (changed 1970-01-01T00:50:00.000Z) is newer than ${output}`);
  });

  it('compares with the oldest output (a bundle rebuilt alone does not hide a stale tsc output)', async () => {
    const bundle = join(dir, 'dist', 'bundle.mjs');
    await writeFile(bundle, '');
    await touch(output, 2_000);
    await touch(source, 3_000);
    await touch(bundle, 4_000);
    expect(buildProblem([output, bundle], join(dir, 'src'))).toContain(`is newer than ${output}`);
  });

  it('ignores files that are not TypeScript sources', async () => {
    await touch(source, 1_000);
    await touch(output, 2_000);
    await touch(join(dir, 'src', 'notes.md'), 3_000);
    expect(buildProblem([output], join(dir, 'src'))).toBeUndefined();
  });
});
