/**
 * Which Python the Python integration tests use. They skip (with NO_PYTHON in their name) only when
 * there is no python3 at all; tabular tests need pandas and fail with a clear message without it
 * (.ci/run installs python3-pandas).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { findPython, pythonCanImport } from '../../src/worker/python/locate.js';

function firstPython(): string | undefined {
  try {
    return findPython();
  } catch {
    return undefined;
  }
}

/** $PARAJOB_PYTHON or python3 on PATH, or undefined when there is none. */
export const TEST_PYTHON: string | undefined = firstPython();

/** Appended to the name of a skipped test. */
export const NO_PYTHON = '(skipped: no python3 on PATH and no $PARAJOB_PYTHON)';

/**
 * An interpreter that can import pandas: the default one, else Debian's /usr/bin/python3 (a pyenv
 * python3 on PATH often lacks pandas while the system one has python3-pandas). Throws, naming both,
 * when neither can.
 */
export function pandasPython(): string {
  // Asked once per test file: each probe starts an interpreter that imports pandas (seconds under load).
  pandasPythonFound ??= findPandasPython();
  return pandasPythonFound;
}

let pandasPythonFound: string | undefined;

function findPandasPython(): string {
  const candidates = [
    ...new Set([TEST_PYTHON, '/usr/bin/python3'].filter((python): python is string => python !== undefined)),
  ];
  const found = candidates.find((python) => pythonCanImport(python, 'pandas'));
  if (found === undefined) {
    throw new Error(
      `no Python here can import pandas (tried ${candidates.join(', ')}): install python3-pandas (apt-get install python3-pandas; .ci/run does)`,
    );
  }
  return found;
}

/** The non-empty lines of a file under a run directory's logs/. */
export async function logLines(runDir: string, ...path: string[]): Promise<string[]> {
  return (await readFile(join(runDir, 'logs', ...path), 'utf8')).split('\n').filter((line) => line.length > 0);
}
