/**
 * The Python interpreter of a job whose entry script is a `.py` file: chosen and checked once per
 * node at job start, so that a missing interpreter, a Python older than 3.9 or (for tabular input)
 * a Python without pandas fails the job at once with one message naming the interpreter, instead
 * of failing every worker start or every mini-batch.
 *
 * Choice, first match wins:
 *   1. the job's `environment_variables.PARAJOB_PYTHON` (the job knows what its script needs);
 *   2. the node's `--python` (`parajob run --python` passes it to its nodes);
 *   3. the node's own $PARAJOB_PYTHON;
 *   4. `python3` on the workers' PATH (the node's PATH, or the job's when it sets one).
 */
import { execFile } from 'node:child_process';
import { extname } from 'node:path';

import { ParajobError } from '../../errors.js';
import { findPython, PYTHON_ENV_VAR } from '../../worker/python/locate.js';
import type { JobSettings } from './job-settings.js';

/** The oldest Python the worker supports, as [major, minor]. */
export const MIN_PYTHON_VERSION: readonly [number, number] = [3, 9];

/** How long the probe (start Python, look pandas up) may take, in milliseconds; generous for a loaded machine. */
export const PYTHON_PROBE_TIMEOUT_MS = 60_000;

/** The chosen interpreter and, for messages, which setting chose it. */
export interface PythonChoice {
  /** Absolute path of the interpreter. */
  readonly path: string;
  /** e.g. "the job's environment_variables.PARAJOB_PYTHON", "python3 on PATH". */
  readonly origin: string;
}

/** True when the job's workers are Python workers (the entry script's extension is `.py`). */
export function isPythonJob(settings: Pick<JobSettings, 'entryScript'>): boolean {
  return extname(settings.entryScript).toLowerCase() === '.py';
}

/**
 * Picks the interpreter (see the module comment) without starting it. `base` is the node's
 * environment. Throws ParajobError naming the setting whose value is not an executable file.
 */
export function choosePython(
  settings: Pick<JobSettings, 'environment'>,
  nodePython: string | undefined,
  base: NodeJS.ProcessEnv = process.env,
): PythonChoice {
  // The workers' PATH: python3 is looked up where the worker would look it up.
  const path = settings.environment['PATH'] ?? base['PATH'] ?? '';
  const fromJob = settings.environment[PYTHON_ENV_VAR];
  if (fromJob !== undefined && fromJob !== '') {
    const origin = `the job's environment_variables.${PYTHON_ENV_VAR}`;
    try {
      return { path: findPython(undefined, { PATH: path, [PYTHON_ENV_VAR]: fromJob }), origin };
    } catch (error) {
      throw new ParajobError(`${origin}: ${(error as Error).message}`);
    }
  }
  const fromNodeEnv = base[PYTHON_ENV_VAR];
  const origin =
    nodePython !== undefined && nodePython !== ''
      ? "the node's --python option"
      : fromNodeEnv !== undefined && fromNodeEnv !== ''
        ? `the node's $${PYTHON_ENV_VAR}`
        : 'python3 on PATH';
  return {
    path: findPython(nodePython, {
      PATH: path,
      ...(fromNodeEnv === undefined ? {} : { [PYTHON_ENV_VAR]: fromNodeEnv }),
    }),
    origin,
  };
}

/**
 * The probe: prints the version; exits 3 when it is too old; then, when asked, looks pandas up without
 * importing it. An import costs about half a second of CPU on the job's critical path, and every
 * worker imports pandas anyway: a pandas that is installed but broken fails each mini-batch with the
 * worker's own message (mini_batch.py TabularNeedsPandas) instead of failing here.
 */
function probeScript(needsPandas: boolean): string {
  const lines = [
    'import sys',
    "print('%d.%d.%d' % sys.version_info[:3], flush=True)",
    `if sys.version_info < (${MIN_PYTHON_VERSION.join(', ')}): sys.exit(3)`,
  ];
  if (needsPandas) {
    lines.push(
      'import importlib.util',
      "if importlib.util.find_spec('pandas') is None: raise ModuleNotFoundError(\"No module named 'pandas'\")",
    );
  }
  return lines.join('\n');
}

interface ProbeOutcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly spawnError?: Error;
}

function runProbe(python: string, script: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolvePromise) => {
    // Asynchronous on purpose: importing pandas takes about a second, and the node keeps
    // heartbeating meanwhile.
    execFile(python, ['-c', script], { env, timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error === null) return resolvePromise({ code: 0, stdout, stderr });
      const code = typeof error.code === 'number' ? error.code : null;
      const spawnError = typeof error.code === 'string' || error.killed ? error : undefined;
      resolvePromise({ code, stdout, stderr, ...(spawnError === undefined ? {} : { spawnError }) });
    });
  });
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

/**
 * For a `.py` entry script: chooses the interpreter and checks, by starting it once, that it is
 * Python 3.9+ and, when the input is tabular, that it has pandas. Resolves with the
 * interpreter's absolute path, or undefined for a JavaScript entry script. Rejects with a
 * ParajobError that names the interpreter, which setting chose it and how to fix it.
 */
export async function checkJobPython(
  settings: Pick<JobSettings, 'entryScript' | 'environment' | 'inputKind'>,
  nodePython: string | undefined,
  base: NodeJS.ProcessEnv = process.env,
  timeoutMs = PYTHON_PROBE_TIMEOUT_MS,
): Promise<string | undefined> {
  if (!isPythonJob(settings)) return undefined;
  const choice = choosePython(settings, nodePython, base);
  const who = `${choice.path} (chosen by ${choice.origin})`;
  const needsPandas = settings.inputKind === 'tabular';
  const probe = await runProbe(choice.path, probeScript(needsPandas), { ...base, ...settings.environment }, timeoutMs);
  const version = probe.stdout.trim().split('\n')[0] ?? '';
  if (probe.spawnError !== undefined) {
    throw new ParajobError(`cannot run the Python interpreter ${who}: ${probe.spawnError.message}`);
  }
  if (probe.code === 3) {
    throw new ParajobError(
      `the Python interpreter ${who} is Python ${version}; parajob's Python worker needs ${MIN_PYTHON_VERSION.join('.')} or newer`,
    );
  }
  if (probe.code !== 0 && needsPandas && /^\d+\.\d+/.test(version)) {
    throw new ParajobError(
      `the job's input is tabular, so run() gets a pandas DataFrame, but the Python interpreter ${who}, Python ${version}, ` +
        `cannot import pandas (${lastLine(probe.stderr) || `exit code ${probe.code}`}). Install it (Debian/Ubuntu: apt-get install python3-pandas; ` +
        `or ${choice.path} -m pip install pandas), or choose a Python that has it: parajob node --python PATH, parajob run --python PATH, ` +
        `or ${PYTHON_ENV_VAR} in the node's environment or the job's environment_variables`,
    );
  }
  if (probe.code !== 0) {
    throw new ParajobError(
      `the Python interpreter ${who} does not start cleanly (exit code ${probe.code}): ${lastLine(probe.stderr) || 'no message'}`,
    );
  }
  return choice.path;
}
