/**
 * Invalid input through the real CLI: each case asserts the exit code and that the message says
 * what is wrong and where. Spec errors are caught before anything starts; entry-script errors come
 * back from the nodes through the coordinator.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { assertBuilt, killAllCli, runCli, spawnCli, startCoordinatorCli } from '../helpers/cli-process.js';
import { makeInputFiles, makeTempDir, writeText } from '../helpers/input-files.js';
import { LIST_FILES_SCRIPT, parallelJobYaml } from '../helpers/job-yaml.js';

let dir: string;

beforeAll(async () => {
  assertBuilt();
  dir = await makeTempDir('parajob-bad-input-');
  await makeInputFiles(join(dir, 'data'), 20);
  await writeText(dir, 'code/list.mjs', LIST_FILES_SCRIPT);
  await writeText(dir, 'code/no-run.mjs', 'export function init() {}\nexport const runner = 1;\n');
  await writeText(
    dir,
    'code/slow.mjs',
    'export function init() {}\nexport async function run(batch) { await new Promise((r) => setTimeout(r, 60_000)); return batch; }\n',
  );
  await writeText(
    dir,
    'code/init-throws.mjs',
    "export function init() { throw new Error('cannot load the model from /models/missing.bin'); }\nexport function run(batch) { return batch; }\n",
  );
});

afterEach(async () => {
  await killAllCli();
});

/** Writes a job file and runs `parajob run` on it with a data dir of its own. */
async function runJob(name: string, yaml: string, timeoutMs = 60_000) {
  const file = await writeText(dir, `${name}.yml`, yaml);
  const cli = await runCli(
    ['run', file, '--data-dir', join(dir, `data-dir-${name}`), '--run-dir', join(dir, `run-${name}`)],
    { timeoutMs },
  );
  return { file, cli };
}

describe('spec errors: exit 2 before anything starts, naming file, line and key', () => {
  it('malformed YAML: file and line', async () => {
    const { file, cli } = await runJob('malformed', `${parallelJobYaml()}inputs_extra: [unclosed\n`);
    expect(cli.exit?.code, cli.describeOutput()).toBe(2);
    expect(cli.stderr).toMatch(new RegExp(`${escape(file)}:\\d+:\\d+: invalid YAML`));
    expect(cli.stderr).not.toContain('Embedded coordinator');
  });

  it('an unknown key: names it and the nearest valid key', async () => {
    const yaml = parallelJobYaml().replace('mini_batch_size:', 'mini_bach_size:');
    const { file, cli } = await runJob('unknown-key', yaml);
    expect(cli.exit?.code, cli.describeOutput()).toBe(2);
    expect(cli.stderr).toMatch(
      new RegExp(`${escape(file)}:\\d+:\\d+: mini_bach_size: unknown key; did you mean "mini_batch_size"\\?`),
    );
  });

  it('mini_batch_size: "ten"', async () => {
    const { file, cli } = await runJob('ten', parallelJobYaml({ miniBatchSize: '"ten"' }));
    expect(cli.exit?.code, cli.describeOutput()).toBe(2);
    expect(cli.stderr).toMatch(
      new RegExp(`${escape(file)}:\\d+:\\d+: mini_batch_size: "ten" is not a valid mini_batch_size`),
    );
  });

  it('a missing input path', async () => {
    const { file, cli } = await runJob('missing-input', parallelJobYaml({ inputPath: './no-such-folder' }));
    expect(cli.exit?.code, cli.describeOutput()).toBe(2);
    expect(cli.stderr).toMatch(
      new RegExp(
        `${escape(file)}:\\d+:\\d+: inputs\\.files\\.path: .*does not exist: ${escape(join(dir, 'no-such-folder'))}`,
      ),
    );
  });

  it('a missing entry script', async () => {
    const { file, cli } = await runJob('missing-script', parallelJobYaml({ entryScript: 'nope.mjs' }));
    expect(cli.exit?.code, cli.describeOutput()).toBe(2);
    expect(cli.stderr).toMatch(new RegExp(`${escape(file)}:\\d+:\\d+: task\\.entry_script: .*"nope\\.mjs"`));
  });
});

describe('entry-script errors found by the nodes', () => {
  it('an entry script without run(): the job fails as invalid input, exit 2', async () => {
    const { cli } = await runJob('no-run', parallelJobYaml({ entryScript: 'no-run.mjs' }));
    expect(cli.exit?.code, cli.describeOutput()).toBe(2);
    expect(cli.stdout).toMatch(/failed \(invalid input\)/);
    expect(cli.output).toMatch(/\brun\b/);
  });

  it('an init() that throws: the job fails with the error in job_result.txt, exit 1, in bounded time', async () => {
    const { cli } = await runJob('init-throws', parallelJobYaml({ entryScript: 'init-throws.mjs' }), 120_000);
    expect(cli.exit?.code, cli.describeOutput()).toBe(1);
    const jobResult = await readFile(join(dir, 'run-init-throws', 'logs', 'job_result.txt'), 'utf8');
    expect(jobResult).toContain('cannot load the model from /models/missing.bin');
    expect(cli.stdout).toContain(join(dir, 'run-init-throws', 'logs'));
  });
});

describe('instance_count larger than the nodes available', () => {
  it('the stream says what the job waits for; cancelling it ends the stream with exit 1', async () => {
    const { address } = await startCoordinatorCli(join(dir, 'waiting-coordinator'));
    // One node of the pool, a job that wants three (its run() is slow, so the job is still going
    // whether the coordinator waits for more nodes or starts on the one it has).
    const node = spawnCli(['node', '--coordinator', address, '--name', 'only', '--compute', 'cpu']);
    await node.waitFor(/attached to/);
    const file = await writeText(
      dir,
      'wide.yml',
      parallelJobYaml({ compute: 'cpu', instanceCount: 3, entryScript: 'slow.mjs', timeoutS: 120 }),
    );
    const create = await runCli(['job', 'create', '--file', file, '--coordinator', address]);
    expect(create.exit?.code, create.describeOutput()).toBe(0);
    const jobId = create.stdoutLines.at(-1) ?? '';

    const stream = spawnCli(['job', 'stream', jobId, '--coordinator', address]);
    // The progress line counts the nodes (1 of the 3 wanted) and says what the job waits for.
    await stream.waitFor(/nodes [01]\/3/, 30_000);
    await stream.waitFor(/waiting[^\n]*node/i, 30_000);

    const cancel = await runCli(['job', 'cancel', jobId, '--coordinator', address]);
    expect(cancel.exit?.code, cancel.describeOutput()).toBe(0);
    const exit = await stream.waitForExit(30_000);
    expect(exit.code, stream.describeOutput()).toBe(1);
    expect(stream.stdout).toContain(`Job ${jobId} cancelled`);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
