/**
 * Paths on the coordinator host: a client names inputs, outputs and run dirs there. Replayed with a
 * client built from the .proto alone against `parajob coordinator --require-auth --allow-path A`.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertBuilt, killAllCli, runCli, spawnCli } from '../helpers/cli-process.js';
import { parallelJobYaml } from '../helpers/job-yaml.js';
import { WireClient } from './wire-client.js';

let root: string;
let allowed: string;
let client: WireClient;

beforeAll(async () => {
  assertBuilt();
  root = await mkdtemp(join(tmpdir(), 'parajob-sec-paths-'));
  allowed = join(root, 'allowed');
  await mkdir(join(allowed, 'data'), { recursive: true });
  await mkdir(join(allowed, 'code'), { recursive: true });
  await writeFile(join(allowed, 'code', 'list.mjs'), 'export function run(b) { return b; }\n');
  // What an escaping entry script would load, so the refusal is about leaving the folder, not absence.
  await writeFile(join(root, 'x.mjs'), 'export function run(b) { return b; }\n');
  const dataDir = join(root, 'data-dir');
  const coordinator = spawnCli([
    'coordinator',
    '--port',
    '0',
    '--data-dir',
    dataDir,
    '--require-auth',
    '--allow-path',
    allowed,
  ]);
  const port = (await coordinator.waitFor(/listening on \S+:(\d+)/))[1];
  const made = await runCli(['token', 'create', '--role', 'client', '--data-dir', dataDir]);
  client = new WireClient(`127.0.0.1:${port}`, { token: made.stdoutLines.at(-1) ?? '' });
});
afterAll(async () => {
  client?.close();
  await killAllCli();
  await rm(root, { recursive: true, force: true });
});

const submit = (yaml: string, extra: object = {}) =>
  client.unary('submit', { specYaml: yaml, specPath: join(allowed, 'job.yml'), code: [], ...extra });

describe('paths a client may name on the coordinator host', () => {
  it('refuses an input outside --allow-path, naming the path and the flag', async () => {
    const { error } = await submit(parallelJobYaml({ inputPath: '/etc' }));
    expect(error?.code).toBe(status.INVALID_ARGUMENT);
    expect(error?.details).toMatch(/input 'files': \/etc is outside the allowed paths .*--allow-path/);
  });

  it('refuses a run dir outside --allow-path', async () => {
    const { error } = await submit(parallelJobYaml(), { runDir: join(root, 'elsewhere') });
    expect(error?.details).toMatch(/run_dir: .*elsewhere is outside the allowed paths/);
  });

  it('refuses a symlink inside an allowed folder that points out of it', async () => {
    const { symlink } = await import('node:fs/promises');
    await symlink('/etc', join(allowed, 'escape'));
    const { error } = await submit(parallelJobYaml({ inputPath: './escape' }));
    expect(error?.details).toMatch(/input 'files': .*escape is outside the allowed paths/);
  });

  it('never truncates an existing file named as an output: a step replaces it only when it succeeds', async () => {
    const victim = join(allowed, 'precious.txt');
    await writeFile(victim, 'keep me\n');
    const { error, response } = await submit(parallelJobYaml({ appendRowFile: './precious.txt' }));
    // Not refused for the existing file: rows go to a partial file beside it (output/publish-file.ts).
    expect(error?.details ?? '').not.toMatch(/precious\.txt/);
    expect(await readFile(victim, 'utf8')).toBe('keep me\n');
    if (error === null) {
      const jobId = String(response.jobId);
      expect((await client.unary('cancel', { jobId, reason: 'test' })).error).toBeNull();
      await expect.poll(async () => (await client.unary('get', { jobId })).response.state).toBe('JOB_STATE_CANCELLED');
      expect(await readFile(victim, 'utf8')).toBe('keep me\n');
    }
  });

  it('refuses an entry script outside its code folder', async () => {
    const { error } = await submit(parallelJobYaml({ entryScript: '../../x.mjs' }));
    expect(error?.details).toMatch(/entry_script \.\.\/\.\.\/x\.mjs leaves its code folder/);
  });

  it('refuses a run dir that already holds a run', async () => {
    const runDir = join(allowed, 'run-1');
    await mkdir(runDir, { recursive: true });
    await writeFile(join(runDir, 'spec.yml'), 'x');
    const { error } = await submit(parallelJobYaml(), { runDir });
    expect(error?.details).toMatch(/already holds a run/);
  });
});
