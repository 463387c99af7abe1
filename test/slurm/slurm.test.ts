/**
 * cluster/slurm/parajob.sbatch on a real one-machine Slurm (Debian's slurm-wlm and munge, installed
 * and started by start-slurm.sh under a temp folder): `npm run test:slurm`, opt-in, not part of
 * `npm test`. The batch script starts a coordinator and one node per allocated machine, submits
 * the job, follows it, stops everything and exits with the job's outcome.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertBuilt, REPO_ROOT } from '../helpers/cli-process.js';
import { LIST_FILES_SCRIPT, parallelJobYaml } from '../helpers/job-yaml.js';

const SCRIPT = join(REPO_ROOT, 'cluster', 'slurm', 'parajob.sbatch');
let root: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  assertBuilt();
  root = await mkdtemp(join(tmpdir(), 'parajob-slurm-'));
  const started = spawnSync('bash', [join(REPO_ROOT, 'test', 'slurm', 'start-slurm.sh'), join(root, 'slurm')], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  expect(started.status, `${started.stdout}${started.stderr}`).toBe(0);
  env = { ...process.env, SLURM_CONF: join(root, 'slurm', 'slurm.conf'), PARAJOB_HOME: REPO_ROOT };
}, 660_000);

afterAll(async () => {
  spawnSync('bash', [join(REPO_ROOT, 'test', 'slurm', 'stop-slurm.sh'), join(root, 'slurm')]);
  await rm(root, { recursive: true, force: true });
});

/** `sbatch --wait` of the script from `dir`; resolves with its exit code and the batch output. */
function sbatch(dir: string, jobFile: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sbatch', ['--wait', '--nodes=1', `--output=${join(dir, 'slurm.out')}`, SCRIPT, jobFile], {
      cwd: dir,
      env,
      stdio: 'ignore',
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output: readFileSync(join(dir, 'slurm.out'), 'utf8') });
    });
  });
}

function jobFolder(name: string, script: string, extra = ''): { dir: string; jobFile: string } {
  const dir = join(root, name);
  mkdirSync(join(dir, 'in'), { recursive: true });
  mkdirSync(join(dir, 'code'));
  for (let i = 0; i < 11; i++) writeFileSync(join(dir, 'in', `item-${i}.txt`), `${i}\n`);
  writeFileSync(join(dir, 'code', 'list.mjs'), script);
  const jobFile = join(dir, 'job.yml');
  writeFileSync(
    jobFile,
    parallelJobYaml({
      compute: 'cpu-cluster',
      inputPath: './in',
      miniBatchSize: '"3"',
      maxConcurrencyPerInstance: 2,
      appendRowFile: './out/rows.txt',
      maxRetries: 0,
      extra,
    }),
  );
  return { dir, jobFile };
}

/** Processes whose command line names `text` (the script's coordinator and nodes name their data dir). */
function processesNaming(text: string): string[] {
  const found = spawnSync('pgrep', ['-af', text], { encoding: 'utf8' });
  return found.stdout.split('\n').filter((line) => line.trim() !== '' && !line.includes('pgrep'));
}

describe('cluster/slurm/parajob.sbatch', () => {
  it('runs a job on the allocation: every row once, exit 0, nothing left running', async () => {
    const { dir, jobFile } = jobFolder('ok', LIST_FILES_SCRIPT);
    const { code, output } = await sbatch(dir, jobFile);
    expect(code, output).toBe(0);
    expect(output).toMatch(/succeeded in/);
    const rows = readFileSync(join(dir, 'out', 'rows.txt'), 'utf8')
      .trim()
      .split('\n')
      .sort();
    expect(rows).toEqual(readdirSync(join(dir, 'in')).sort());
    // The node ran under srun, named after the machine Slurm gave it.
    const state = join(dir, '.parajob');
    const [slurmDir] = readdirSync(state);
    const nodeLogs = readdirSync(join(state, slurmDir ?? '')).filter((file) => /^node-.+\.out$/.test(file));
    expect(nodeLogs).toHaveLength(1);
    expect(readFileSync(join(state, slurmDir ?? '', nodeLogs[0] ?? ''), 'utf8')).toMatch(/node stopped/);
    expect(processesNaming(state)).toEqual([]);
  });

  it('exits non-zero when the job fails, and stops everything too', async () => {
    const failing = "export function run() { throw new Error('every call fails'); }\n";
    const { dir, jobFile } = jobFolder('failing', failing, 'mini_batch_error_threshold: 0');
    const { code, output } = await sbatch(dir, jobFile);
    expect(code, output).not.toBe(0);
    expect(output).toMatch(/failed/);
    expect(processesNaming(join(dir, '.parajob'))).toEqual([]);
  });
});
