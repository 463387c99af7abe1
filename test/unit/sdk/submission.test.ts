import { mkdir, writeFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { hashFiles } from '../../../src/code/snapshot.js';
import { InputError } from '../../../src/errors.js';
import type { CompiledJob, CompiledParallelStep } from '../../../src/jobspec/model.js';
import { nodesPerCompute, prepareSubmission, snapshotCodeFolders } from '../../../src/sdk/submission.js';

function job(steps: Partial<CompiledParallelStep>[]): CompiledJob {
  return { sourcePath: '/x/job.yml', steps: steps as CompiledParallelStep[] } as unknown as CompiledJob;
}

describe('nodesPerCompute', () => {
  it('takes the largest instance_count per compute pool', () => {
    const compiled = job([
      { compute: 'cpu', instanceCount: 2 },
      { compute: 'gpu', instanceCount: 1 },
      { compute: 'cpu', instanceCount: 3 },
    ]);
    expect([...nodesPerCompute(compiled)]).toEqual([
      ['cpu', 3],
      ['gpu', 1],
    ]);
  });

  it('uses --nodes for every pool when given', () => {
    expect([
      ...nodesPerCompute(
        job([
          { compute: 'cpu', instanceCount: 4 },
          { compute: 'gpu', instanceCount: 1 },
        ]),
        2,
      ),
    ]).toEqual([
      ['cpu', 2],
      ['gpu', 2],
    ]);
  });
});

describe('snapshotCodeFolders', () => {
  it('snapshots each distinct code folder once, in step order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parajob-snap-'));
    await mkdir(join(dir, 'a'));
    await mkdir(join(dir, 'b'));
    await writeFile(join(dir, 'a', 'x.mjs'), 'export function run(b) { return b; }\n');
    await writeFile(join(dir, 'b', 'y.mjs'), 'export function run(b) { return []; }\n');
    const compiled = job([
      { kind: 'parallel', name: 's1', task: { code: join(dir, 'a') } as CompiledParallelStep['task'] },
      { kind: 'parallel', name: 's2', task: { code: join(dir, 'b') } as CompiledParallelStep['task'] },
      { kind: 'parallel', name: 's3', task: { code: join(dir, 'a') } as CompiledParallelStep['task'] },
    ]);
    const snapshots = await snapshotCodeFolders(compiled);
    expect(snapshots.map((s) => s.sourceDir)).toEqual([join(dir, 'a'), join(dir, 'b')]);
    expect(snapshots[0]!.files.map((f) => f.path)).toEqual(['x.mjs']);
    expect(snapshots[0]!.hash).toBe(hashFiles(snapshots[0]!.files));
  });

  it('names the step and the folder when a code folder is missing', async () => {
    const compiled = job([
      { kind: 'parallel', name: 'score', task: { code: '/no/such/folder' } as CompiledParallelStep['task'] },
    ]);
    await expect(snapshotCodeFolders(compiled)).rejects.toThrow(InputError);
    await expect(snapshotCodeFolders(compiled)).rejects.toThrow(
      '/x/job.yml: jobs.score.task.code: the code folder /no/such/folder does not exist',
    );
  });
});

describe('prepareSubmission', () => {
  it('builds the Submit request from the bundled example: YAML as written, absolute path, one snapshot', async () => {
    const file = join('examples', 'file-hash', 'job.yml');
    const { compiled, request } = await prepareSubmission(file, {
      provisionalRunDir: join(tmpdir(), 'parajob-provisional'),
    });
    expect(request.specPath).toBe(join(process.cwd(), file));
    expect(request.specYaml).toContain('type: pipeline');
    expect(request.runDir).toBeUndefined();
    expect(request.code).toHaveLength(1);
    expect(request.code[0]!.files.map((f) => f.path)).toContain('hash.mjs');
    expect(compiled.steps[0]!.instanceCount).toBe(2);
  });
});
