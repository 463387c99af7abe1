/** `parajob run` on the bundled example, exactly as the README tells a new user to run it. */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { assertBuilt, killAllCli, REPO_ROOT, runCli } from '../helpers/cli-process.js';
import { makeTempDir } from '../helpers/input-files.js';

describe('parajob run examples/file-hash/job.yml', () => {
  afterAll(async () => {
    await killAllCli();
  });

  it('exits 0 and prints the output file and the logs folder; the output hashes every file', async () => {
    assertBuilt();
    const dir = await makeTempDir('parajob-example-');
    const runDir = join(dir, 'run');
    const run = await runCli(
      ['run', 'examples/file-hash/job.yml', '--run-dir', runDir, '--data-dir', join(dir, 'data')],
      {
        timeoutMs: 120_000,
      },
    );
    expect(run.exit?.code, run.describeOutput()).toBe(0);
    const outputFile = join(runDir, 'outputs', 'result', 'parallel_run_step.txt');
    expect(run.stdout).toContain(`result: ${outputFile}`);
    expect(run.stdout).toContain(`Logs: ${join(runDir, 'logs')}`);
    expect(run.stdout).toContain(join(runDir, 'logs', 'job_result.txt'));
    // A progress line was printed (stderr is not a terminal here: plain lines).
    expect(run.stderr).toMatch(/mini-batches \d+\/20 done/);

    const dataDir = join(REPO_ROOT, 'examples', 'file-hash', 'data');
    const files = await readdir(dataDir);
    const expected = await Promise.all(
      files.map(
        async (name) =>
          `${name} ${createHash('sha256')
            .update(await readFile(join(dataDir, name)))
            .digest('hex')}`,
      ),
    );
    const rows = (await readFile(outputFile, 'utf8')).split('\n').filter(Boolean);
    expect(rows.sort()).toEqual(expected.sort());
    expect(await readFile(join(runDir, 'logs', 'job_result.txt'), 'utf8')).toMatch(/succeeded/i);
  });
});
