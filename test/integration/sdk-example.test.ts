/**
 * examples/sdk (a command step, a parallel step over files, a tabular parallel step over the table
 * the command wrote) runs as `npm run example:sdk` runs it (esbuild compiles pipeline.ts beside itself,
 * node runs it): once through runLocal (an embedded coordinator and nodes in its process), once through
 * ParajobClient against a `parajob coordinator` with two `parajob node` processes.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertBuilt, killAllCli, REPO_ROOT, startCoordinatorCli, startNodesCli } from '../helpers/cli-process.js';
import { makeTempDir } from '../helpers/input-files.js';

const run = promisify(execFile);
const COMPILED = join(REPO_ROOT, 'examples', 'sdk', '.pipeline.mjs');

/** Runs the compiled example with `env`; resolves with its stdout (rejects on a non-zero exit). */
async function runExample(env: NodeJS.ProcessEnv): Promise<string> {
  const { stdout } = await run(process.execPath, [COMPILED], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
  return stdout;
}

function expectScored(stdout: string): void {
  const lines = stdout.split('\n');
  expect(lines).toEqual(
    expect.arrayContaining(['step prepare started', 'step prepare ended', 'step score started', 'step score ended']),
  );
  expect(lines.indexOf('step score started')).toBeGreaterThan(lines.indexOf('step prepare ended'));
  expect(stdout).toMatch(/10 documents scored \(.*parallel_run_step\.txt\):/);
  // "document 1 says hello 1 times": 6 words each.
  for (let index = 1; index <= 10; index++) expect(lines).toContain(`  doc${index}.txt 6`);
  // The tabular step: every row of the table once ("doc3,hello,3" → "doc3 hello-hello-hello").
  expect(lines).toEqual(expect.arrayContaining(['step score_table started', 'step score_table ended']));
  expect(stdout).toMatch(/10 table rows read \(.*parallel_run_step\.txt\):/);
  for (let index = 1; index <= 10; index++)
    expect(lines).toContain(`  doc${index} ${Array.from({ length: index }, () => 'hello').join('-')}`);
}

describe('examples/sdk', () => {
  let dir: string;
  beforeAll(async () => {
    assertBuilt();
    dir = await makeTempDir('parajob-sdk-example-');
    await build({
      entryPoints: [join(REPO_ROOT, 'examples', 'sdk', 'pipeline.ts')],
      outfile: COMPILED,
      platform: 'node',
      format: 'esm',
      logLevel: 'warning',
    });
  });
  afterAll(() => killAllCli());

  it('runs through runLocal and reads its output', async () => {
    expectScored(await runExample({ PARAJOB_DATA_DIR: join(dir, 'local'), PARAJOB_COORDINATOR: '' }));
  }, 150_000);

  it('runs through ParajobClient against a coordinator with two nodes', async () => {
    const { address } = await startCoordinatorCli(join(dir, 'coordinator'));
    await startNodesCli(address, ['n1', 'n2'], { dir, compute: 'cpu-cluster' });
    const stdout = await runExample({ PARAJOB_COORDINATOR: address });
    expect(stdout).toContain(`to ${address}`);
    expectScored(stdout);
  }, 150_000);
});
