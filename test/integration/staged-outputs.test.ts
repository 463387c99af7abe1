/**
 * Attempt-scoped output staging (issues 13 and 17): a parallel step's uri_folder output is written by
 * each attempt into a staging folder of its own, and only the accepted attempt's files reach the
 * output. The entry scripts (JS and Python, over real node and worker processes through `parajob run`)
 * write a `<file>.first` on the first attempt of each mini-batch and then fail it (one by throwing,
 * one by hanging past the run timeout), and a `<file>.kept` on the retry: the output must hold exactly
 * the `.kept` files, nested folders included, and no staging folder may be left beside it.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertBuilt, killAllCli, runCli } from '../helpers/cli-process.js';
import { makeTempDir, writeText } from '../helpers/input-files.js';
import { parallelJobYaml } from '../helpers/job-yaml.js';
import { NO_PYTHON, TEST_PYTHON } from '../helpers/python.js';

/** Input files; `hang-*` hang on their first attempt (run timeout), the others throw. */
const NAMES = ['a.txt', 'b.txt', 'c.txt', 'hang-d.txt'];

const SCORE_MJS = `import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const arg = (name) => process.argv[process.argv.indexOf(name) + 1];

export async function run(miniBatch) {
  const out = arg('--out');
  for (const file of miniBatch) {
    const name = basename(file);
    const marker = join(arg('--markers'), name);
    const first = !existsSync(marker);
    const suffix = first ? 'first' : 'kept';
    writeFileSync(join(out, name + '.' + suffix), readFileSync(file));
    mkdirSync(join(out, 'nested'), { recursive: true });
    writeFileSync(join(out, 'nested', name + '.' + suffix), name);
    if (first) {
      writeFileSync(marker, '');
      if (name.startsWith('hang')) await new Promise(() => {});
      throw new Error('the first attempt fails after writing');
    }
  }
  return miniBatch;
}
`;

const SCORE_PY = `import argparse
import os
import shutil
import time

args = None


def init():
    global args
    parser = argparse.ArgumentParser(allow_abbrev=False)
    parser.add_argument("--out", required=True)
    parser.add_argument("--markers", required=True)
    args, _ = parser.parse_known_args()


def run(mini_batch):
    for path in mini_batch:
        name = os.path.basename(path)
        marker = os.path.join(args.markers, name)
        first = not os.path.exists(marker)
        suffix = "first" if first else "kept"
        shutil.copyfile(path, os.path.join(args.out, name + "." + suffix))
        os.makedirs(os.path.join(args.out, "nested"), exist_ok=True)
        with open(os.path.join(args.out, "nested", name + "." + suffix), "w") as handle:
            handle.write(name)
        if first:
            open(marker, "w").close()
            if name.startswith("hang"):
                while True:
                    time.sleep(60)
            raise RuntimeError("the first attempt fails after writing")
    return mini_batch
`;

function jobYaml(entryScript: string, markers: string): string {
  return parallelJobYaml({
    folderOutput: './out',
    miniBatchSize: '"1"',
    maxConcurrencyPerInstance: 2,
    maxRetries: 1,
    timeoutS: 2,
    entryScript,
    programArguments: `--out \${{outputs.folder}} --markers ${markers}`,
  });
}

/** Every file under `dir`, as sorted relative paths. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

async function runStagedJob(entryScript: string, script: string): Promise<string> {
  const dir = await makeTempDir('parajob-staged-');
  for (const name of NAMES) await writeText(join(dir, 'data'), name, `content of ${name}\n`);
  await writeText(dir, `code/${entryScript}`, script);
  await writeText(dir, 'markers/.keep', '');
  // The markers folder is absolute: workers run in working directories of their own.
  await writeText(dir, 'job.yml', jobYaml(entryScript, join(dir, 'markers')));
  const run = await runCli(
    ['run', join(dir, 'job.yml'), '--run-dir', join(dir, 'run'), '--data-dir', join(dir, 'dd')],
    {
      timeoutMs: 90_000,
    },
  );
  expect(run.exit?.code, run.describeOutput()).toBe(0);
  return dir;
}

const expectedFiles = [...NAMES.map((name) => `${name}.kept`), ...NAMES.map((name) => `nested/${name}.kept`)].sort();

beforeAll(() => {
  assertBuilt();
});
afterAll(async () => {
  await killAllCli();
});

describe('attempt-scoped output staging', () => {
  it('a JS entry script: only the accepted attempts’ files reach the uri_folder output, none of the failed or timed-out ones', async () => {
    const dir = await runStagedJob('score.mjs', SCORE_MJS);
    expect(await filesUnder(join(dir, 'out'))).toEqual(expectedFiles);
    expect(await readFile(join(dir, 'out', 'a.txt.kept'), 'utf8')).toBe('content of a.txt\n');
    // No staging folder is left beside the output.
    expect((await readdir(dir)).filter((entry) => entry.includes('parajob-staging'))).toEqual([]);
  }, 120_000);

  it.skipIf(TEST_PYTHON === undefined)(
    `a Python entry script: the same ${TEST_PYTHON ? '' : NO_PYTHON}`,
    async () => {
      const dir = await runStagedJob('score.py', SCORE_PY);
      expect(await filesUnder(join(dir, 'out'))).toEqual(expectedFiles);
      expect((await readdir(dir)).filter((entry) => entry.includes('parajob-staging'))).toEqual([]);
    },
    120_000,
  );
});
