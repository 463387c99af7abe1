/**
 * The interpreter a Python job's workers run with: which setting wins, and the start-of-job probe
 * (Python 3.9+, pandas for tabular input) failing with messages that name the interpreter. Fake
 * interpreters are shell scripts, so only the pandas cases need a real python3.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { checkJobPython, choosePython } from '../../../src/node/job/job-python.js';
import { findPython } from '../../../src/worker/python/locate.js';

let dir: string;
let realPython: string | undefined;

async function fakeInterpreter(path: string, script: string): Promise<string> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, `#!/bin/sh\n${script}\n`);
  await chmod(path, 0o755);
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parajob-job-python-'));
  await fakeInterpreter(join(dir, 'job', 'python'), 'exit 0');
  await fakeInterpreter(join(dir, 'node', 'python'), 'exit 0');
  await fakeInterpreter(join(dir, 'env', 'python'), 'exit 0');
  await fakeInterpreter(join(dir, 'path-a', 'python3'), 'exit 0');
  await fakeInterpreter(join(dir, 'path-b', 'python3'), 'exit 0');
  await fakeInterpreter(join(dir, 'old', 'python3'), 'echo 3.8.10; exit 3');
  try {
    realPython = findPython();
  } catch {
    realPython = undefined;
  }
  // A Python without its site packages (-S): pandas, wherever it is installed, is not found.
  if (realPython !== undefined) await fakeInterpreter(join(dir, 'no-site', 'python3'), `exec ${realPython} -S "$@"`);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const settingsWith = (
  environment: Record<string, string>,
  entryScript = '/code/score.py',
  inputKind: 'files' | 'tabular' = 'files',
) => ({ entryScript, environment, inputKind });

describe('choosePython', () => {
  it("prefers the job's environment_variables.PARAJOB_PYTHON, then --python, then the node's $PARAJOB_PYTHON, then python3 on PATH", () => {
    const nodeEnv = { PATH: join(dir, 'path-a'), PARAJOB_PYTHON: join(dir, 'env', 'python') };
    expect(
      choosePython(settingsWith({ PARAJOB_PYTHON: join(dir, 'job', 'python') }), join(dir, 'node', 'python'), nodeEnv),
    ).toEqual({
      path: join(dir, 'job', 'python'),
      origin: "the job's environment_variables.PARAJOB_PYTHON",
    });
    expect(choosePython(settingsWith({}), join(dir, 'node', 'python'), nodeEnv)).toEqual({
      path: join(dir, 'node', 'python'),
      origin: "the node's --python option",
    });
    expect(choosePython(settingsWith({}), undefined, nodeEnv)).toEqual({
      path: join(dir, 'env', 'python'),
      origin: "the node's $PARAJOB_PYTHON",
    });
    expect(choosePython(settingsWith({}), undefined, { PATH: join(dir, 'path-a') })).toEqual({
      path: join(dir, 'path-a', 'python3'),
      origin: 'python3 on PATH',
    });
  });

  it("looks python3 up on the workers' PATH: the job's PATH when it sets one", () => {
    const choice = choosePython(settingsWith({ PATH: join(dir, 'path-b') }), undefined, { PATH: join(dir, 'path-a') });
    expect(choice.path).toBe(join(dir, 'path-b', 'python3'));
  });

  it("names the job's setting when its interpreter does not exist", () => {
    expect(() =>
      choosePython(settingsWith({ PARAJOB_PYTHON: join(dir, 'nowhere', 'python') }), undefined, { PATH: '' }),
    ).toThrow(/^the job's environment_variables\.PARAJOB_PYTHON: .*nowhere\/python.*not an executable file/);
    expect(() => choosePython(settingsWith({}), undefined, { PATH: join(dir, 'empty') })).toThrow(
      /"python3", which is not an executable file on PATH/,
    );
  });
});

describe('checkJobPython', () => {
  it('does nothing for a JavaScript entry script', async () => {
    await expect(
      checkJobPython(settingsWith({}, '/code/score.mjs'), join(dir, 'nowhere'), { PATH: '' }),
    ).resolves.toBeUndefined();
  });

  it('refuses a Python older than 3.9, naming it and what chose it', async () => {
    await expect(checkJobPython(settingsWith({}), join(dir, 'old', 'python3'), { PATH: '' })).rejects.toThrow(
      `the Python interpreter ${join(dir, 'old', 'python3')} (chosen by the node's --python option) is Python 3.8.10; parajob's Python worker needs 3.9 or newer`,
    );
  });

  it('resolves with the interpreter of a file-input job', async (context) => {
    if (realPython === undefined) context.skip();
    await expect(checkJobPython(settingsWith({}), realPython, process.env)).resolves.toBe(realPython);
  });

  it('fails a tabular job at once when its Python has no pandas, with the error and how to fix it', async (context) => {
    if (realPython === undefined) context.skip();
    const python = join(dir, 'no-site', 'python3');
    const failure = checkJobPython(settingsWith({}, '/code/score.py', 'tabular'), python, process.env);
    await expect(failure).rejects.toThrow(`the Python interpreter ${python} (chosen by the node's --python option)`);
    await expect(failure).rejects.toThrow("cannot import pandas (ModuleNotFoundError: No module named 'pandas')");
    await expect(failure).rejects.toThrow('apt-get install python3-pandas');
  });
});
