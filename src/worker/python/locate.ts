/**
 * Finds the Python worker script and a Python interpreter to run it with.
 *
 * tsc does not copy `.py` files into dist/, so the script is always looked up in the package's
 * src/worker/python folder, found by walking up from this module to the folder holding package.json.
 * That works from src/ (vitest, tsx) and from a compiled dist/ alike.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ParajobError } from '../../errors.js';

/** The environment variable naming the Python interpreter to use when no explicit one is given. */
export const PYTHON_ENV_VAR = 'PARAJOB_PYTHON';

const WORKER_SCRIPT = join('src', 'worker', 'python', 'parajob_worker.py');

let cachedRoot: string | undefined;

/**
 * The absolute package root (the folder holding parajob's package.json), found once by walking up
 * from this module. Throws ParajobError when there is none. Shared with the node's package-root.ts.
 */
export function packageRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  const here = fileURLToPath(import.meta.url);
  let folder = dirname(here);
  for (;;) {
    if (existsSync(join(folder, 'package.json'))) return (cachedRoot = folder);
    const parent = dirname(folder);
    if (parent === folder)
      throw new ParajobError(`cannot find parajob's package.json above ${here}; the installation is incomplete`);
    folder = parent;
  }
}

/**
 * The absolute path of `parajob_worker.py` (start it as `<python> -u <path>` with the protocol
 * channels on fds 3 and 4). Throws ParajobError if the package was installed without its Python sources.
 */
export function pythonWorkerPath(): string {
  const root = packageRoot();
  const script = join(root, WORKER_SCRIPT);
  if (!existsSync(script)) {
    throw new ParajobError(`the Python worker ${script} is missing; reinstall parajob (package root ${root})`);
  }
  return script;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function searchPath(command: string, pathVariable: string): string | undefined {
  for (const folder of pathVariable.split(delimiter)) {
    if (folder === '') continue;
    const candidate = join(folder, command);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function resolveInterpreter(command: string, origin: string, env: NodeJS.ProcessEnv): string {
  const resolved =
    command.includes('/') || isAbsolute(command)
      ? isExecutableFile(resolve(command))
        ? resolve(command)
        : undefined
      : searchPath(command, env['PATH'] ?? '');
  if (resolved === undefined) {
    throw new ParajobError(
      `${origin} names the Python interpreter "${command}", which is not an executable file${command.includes('/') ? '' : ' on PATH'}; expected a path to python3 (3.9 or newer)`,
    );
  }
  return resolved;
}

/**
 * The Python interpreter to run workers with, as an absolute path. Precedence: `explicit` (the
 * `--python` option), then $PARAJOB_PYTHON, then `python3` on PATH. Only the choice is resolved;
 * the interpreter is not started. Throws ParajobError naming the source of a choice that is not
 * an executable file.
 */
export function findPython(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit !== undefined && explicit !== '') return resolveInterpreter(explicit, 'the --python option', env);
  const fromEnv = env[PYTHON_ENV_VAR];
  if (fromEnv !== undefined && fromEnv !== '') return resolveInterpreter(fromEnv, `$${PYTHON_ENV_VAR}`, env);
  return resolveInterpreter('python3', 'the default', env);
}

/**
 * True when `python` can `import <moduleName>` (for instance pandas, which tabular input needs).
 * Starts the interpreter once, synchronously: call it at start-up, never per mini-batch.
 */
export function pythonCanImport(python: string, moduleName: string, timeoutMs = 30_000): boolean {
  if (!/^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/.test(moduleName)) {
    throw new TypeError(`pythonCanImport: moduleName "${moduleName}" is not a dotted Python module name`);
  }
  const probe = spawnSync(python, ['-c', `import ${moduleName}`], { stdio: 'ignore', timeout: timeoutMs });
  return probe.status === 0;
}
