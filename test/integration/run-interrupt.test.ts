/** Ctrl-C during `parajob run`: the job is cancelled (not abandoned), the nodes stop, exit 1. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { assertBuilt, killAllCli, spawnCli } from '../helpers/cli-process.js';
import { makeInputFiles, makeTempDir, writeText } from '../helpers/input-files.js';
import { parallelJobYaml } from '../helpers/job-yaml.js';

describe('parajob run interrupted', () => {
  afterAll(async () => {
    await killAllCli();
  });

  it('cancels the job on SIGINT, stops its nodes and exits 1', async () => {
    assertBuilt();
    const dir = await makeTempDir('parajob-interrupt-');
    await makeInputFiles(join(dir, 'data'), 8);
    // run() blocks until killed, so the job is surely running when the signal arrives.
    await writeText(
      dir,
      'code/stuck.mjs',
      'export function init() {}\nexport function run() { return new Promise(() => {}); }\n',
    );
    const file = await writeText(
      dir,
      'job.yml',
      parallelJobYaml({ entryScript: 'stuck.mjs', miniBatchSize: '"2"', timeoutS: 300 }),
    );
    const dataDir = join(dir, 'data-dir');
    const run = spawnCli(['run', file, '--data-dir', dataDir]);
    await run.waitFor(/running \| mini-batches 0\/4 done, 0 failed, [1-9]\d* running/);

    run.signal('SIGINT');
    const exit = await run.waitForExit(60_000);
    expect(exit.code, run.describeOutput()).toBe(1);
    expect(run.stderr).toContain('Interrupted: cancelling the job');
    expect(run.stdout).toMatch(/Job \S+ cancelled in/);
    // The node was stopped by parajob run, not left behind.
    const nodeLog = await readFile(join(dataDir, 'nodes', 'node-1.log'), 'utf8');
    expect(nodeLog).toMatch(/"msg":"node stopped"/);
  });
});
