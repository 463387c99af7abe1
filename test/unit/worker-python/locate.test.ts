import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { ParajobError } from '../../../src/errors.js';
import { findPython, pythonCanImport, pythonWorkerPath } from '../../../src/worker/python/locate.js';

let scratch: string | undefined;
afterEach(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
});

/** A folder holding an executable named `name`, for PATH lookups. */
function fakeInterpreter(name: string): { folder: string; path: string } {
  scratch = mkdtempSync(join(tmpdir(), 'parajob-locate-'));
  const path = join(scratch, name);
  writeFileSync(path, '#!/bin/sh\nexit 0\n');
  chmodSync(path, 0o755);
  return { folder: scratch, path };
}

describe('pythonWorkerPath', () => {
  it('is the absolute path of the worker script in the package sources', () => {
    const path = pythonWorkerPath();
    expect(isAbsolute(path)).toBe(true);
    expect(path.endsWith(join('src', 'worker', 'python', 'parajob_worker.py'))).toBe(true);
    expect(readFileSync(path, 'utf8')).toContain('def main()');
  });
});

describe('findPython', () => {
  it('prefers the explicit choice, then PARAJOB_PYTHON, then python3 on PATH', () => {
    const onPath = fakeInterpreter('python3');
    const explicit = join(onPath.folder, 'explicit-python');
    writeFileSync(explicit, '');
    chmodSync(explicit, 0o755);
    const fromEnv = join(onPath.folder, 'env-python');
    writeFileSync(fromEnv, '');
    chmodSync(fromEnv, 0o755);
    const env = { PATH: onPath.folder, PARAJOB_PYTHON: fromEnv };

    expect(findPython(explicit, env)).toBe(explicit);
    expect(findPython(undefined, env)).toBe(fromEnv);
    expect(findPython(undefined, { PATH: onPath.folder })).toBe(onPath.path);
    expect(findPython('python3', { PATH: `/nonexistent-folder:${onPath.folder}` })).toBe(onPath.path);
  });

  it('names the source of a choice that is not executable', () => {
    const env = { PATH: '/nonexistent-folder' };
    expect(() => findPython('/no/such/python', env)).toThrow(ParajobError);
    expect(() => findPython('/no/such/python', env)).toThrow(
      /--python option names the Python interpreter "\/no\/such\/python"/,
    );
    expect(() => findPython(undefined, { ...env, PARAJOB_PYTHON: 'pythonX' })).toThrow(
      /\$PARAJOB_PYTHON .* "pythonX", which is not an executable file on PATH/,
    );
    expect(() => findPython(undefined, env)).toThrow(/"python3"/);
  });

  it('finds a real interpreter on this machine', () => {
    expect(existsSync(findPython())).toBe(true);
  });
});

describe('pythonCanImport', () => {
  it('tells an importable module from a missing one', () => {
    const python = findPython();
    expect(pythonCanImport(python, 'json')).toBe(true);
    expect(pythonCanImport(python, 'no_such_module_for_parajob')).toBe(false);
  });

  it('rejects a module name that is not one', () => {
    expect(() => pythonCanImport(findPython(), 'os; import sys')).toThrow(TypeError);
  });
});
