/**
 * Python entry scripts that fail, through `parajob run` over real processes: run() raising once
 * (traceback in logs/user/error, retried, summarised in job_error.txt), an import error (a clear
 * init failure in job_result.txt, exit 1), and a run() that hangs once (killed by
 * retry_settings.timeout, the process gone, the retry succeeding).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';

import { assertBuilt, type CliProcess, killAllCli, runCli } from '../helpers/cli-process.js';
import { makeInputFiles, makeTempDir, writeText } from '../helpers/input-files.js';
import { parallelJobYaml, type ParallelJobYamlOptions } from '../helpers/job-yaml.js';
import { NO_PYTHON, TEST_PYTHON } from '../helpers/python.js';

const FILES = 8;

/**
 * A script that misbehaves on the first attempt at file-00003.txt only: a marker file in
 * --marker_dir remembers that the attempt happened (and holds the pid of the process that made it).
 */
function onceScript(misbehave: string): string {
  return `import argparse
import os
import time

marker_dir = None


def init():
    global marker_dir
    parser = argparse.ArgumentParser(allow_abbrev=False)
    parser.add_argument("--marker_dir", required=True)
    marker_dir = parser.parse_known_args()[0].marker_dir


def run(mini_batch):
    for path in mini_batch:
        name = os.path.basename(path)
        marker = os.path.join(marker_dir, name)
        if name == "file-00003.txt" and not os.path.exists(marker):
            with open(marker, "w") as handle:
                handle.write(str(os.getpid()))
            ${misbehave}
    return [os.path.basename(path) for path in mini_batch]
`;
}

interface Ran {
  readonly dir: string;
  readonly runDir: string;
  readonly run: CliProcess;
}

async function runPythonJob(
  prefix: string,
  script: string,
  options: Partial<ParallelJobYamlOptions> = {},
): Promise<Ran> {
  assertBuilt();
  const dir = await makeTempDir(prefix);
  await makeInputFiles(join(dir, 'data'), FILES);
  await writeText(dir, 'code/score.py', script);
  await writeText(dir, 'markers/.keep', '');
  const yaml = parallelJobYaml({
    miniBatchSize: '"1"',
    maxConcurrencyPerInstance: 2,
    entryScript: 'score.py',
    appendRowFile: './out/rows.txt',
    extra: `  program_arguments: --marker_dir ${join(dir, 'markers')}`,
    ...options,
  });
  await writeText(dir, 'job.yml', yaml);
  const runDir = join(dir, 'run');
  const run = await runCli(['run', join(dir, 'job.yml'), '--run-dir', runDir, '--data-dir', join(dir, 'data-dir')], {
    timeoutMs: 60_000,
  });
  return { dir, runDir, run };
}

async function attempts(runDir: string): Promise<Record<string, string>[]> {
  const text = await readFile(join(runDir, 'logs', 'sys', 'job_report', 'processed_mini-batches.csv'), 'utf8');
  return parse(text, { columns: true }) as Record<string, string>[];
}

/** Every file under logs/user/error, concatenated. */
async function userErrors(runDir: string): Promise<string> {
  const root = join(runDir, 'logs', 'user', 'error');
  const texts: string[] = [];
  for (const node of await readdir(root)) {
    for (const file of await readdir(join(root, node))) texts.push(await readFile(join(root, node, file), 'utf8'));
  }
  return texts.join('\n');
}

async function outputRows(dir: string): Promise<string[]> {
  return (await readFile(join(dir, 'out', 'rows.txt'), 'utf8')).split('\n').filter(Boolean).sort();
}

const ALL_FILES = Array.from({ length: FILES }, (_, i) => `file-${String(i).padStart(5, '0')}.txt`);

describe.skipIf(TEST_PYTHON === undefined)(`failing Python entry scripts ${TEST_PYTHON ? '' : NO_PYTHON}`, () => {
  afterAll(async () => {
    await killAllCli();
  });

  it('run() raising: the traceback in logs/user/error, the mini-batch retried and done, job_error.txt summarising it', async () => {
    const { dir, runDir, run } = await runPythonJob(
      'parajob-python-raise-',
      onceScript('raise ValueError("first attempt at " + name + " fails")'),
    );
    expect(run.exit?.code, run.describeOutput()).toBe(0);
    expect(await outputRows(dir)).toEqual(ALL_FILES);

    const errors = await userErrors(runDir);
    expect(errors).toMatch(/run\(\) failed on mini-batch 3 attempt 1 \(ValueError\)/);
    expect(errors).toContain('Traceback (most recent call last):');
    expect(errors).toMatch(/File ".*score\.py", line \d+, in run/);
    expect(errors).toContain('ValueError: first attempt at file-00003.txt fails');

    const rows = (await attempts(runDir)).filter((row) => row['Mini-batch Id'] === '3');
    expect(rows.map((row) => [row.Attempt, row.Status])).toEqual([
      ['1', 'RUN_EXCEPTION'],
      ['2', 'RUN_DONE'],
    ]);
    const digest = await readFile(join(runDir, 'logs', 'job_error.txt'), 'utf8');
    expect(digest).toContain('ValueError');
    expect(digest).toContain('first attempt at file-00003.txt fails');
  }, 90_000);

  it('an import error: a clear init failure in job_result.txt, the job failed, exit 1', async () => {
    const script = 'import parajob_no_such_module  # noqa\n\n\ndef run(mini_batch):\n    return mini_batch\n';
    const { runDir, run } = await runPythonJob('parajob-python-import-', script, { maxConcurrencyPerInstance: 1 });
    expect(run.exit?.code, run.describeOutput()).toBe(1);
    const result = await readFile(join(runDir, 'logs', 'job_result.txt'), 'utf8');
    expect(result).toMatch(/fail/i);
    expect(result).toContain('init()');
    expect(result).toContain("No module named 'parajob_no_such_module'");
    const errors = await userErrors(runDir);
    expect(errors).toContain('init failed (ModuleNotFoundError)');
    expect(errors).toContain("ModuleNotFoundError: No module named 'parajob_no_such_module'");
  }, 90_000);

  it('run() hanging: killed by retry_settings.timeout (the process is gone), then the retry succeeds', async () => {
    const { dir, runDir, run } = await runPythonJob('parajob-python-hang-', onceScript('time.sleep(3600)'), {
      timeoutS: 2,
    });
    expect(run.exit?.code, run.describeOutput()).toBe(0);
    expect(await outputRows(dir)).toEqual(ALL_FILES);
    const rows = (await attempts(runDir)).filter((row) => row['Mini-batch Id'] === '3');
    expect(rows.map((row) => [row.Attempt, row.Status])).toEqual([
      ['1', 'RUN_TIMEOUT'],
      ['2', 'RUN_DONE'],
    ]);
    // The hung worker was killed, not left behind.
    const pid = Number(await readFile(join(dir, 'markers', 'file-00003.txt'), 'utf8'));
    expect(pid).toBeGreaterThan(0);
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  }, 90_000);
});
