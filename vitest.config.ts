import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { configDefaults, defineConfig } from 'vitest/config';

// `npm run test:slurm` sets this: the Slurm test installs Debian packages and starts daemons, so it
// is opt-in and left out of `npm test`.
const slurm = process.env.PARAJOB_TEST_SLURM === '1';

/**
 * The interpreter `python3` on PATH runs, as a path, for $PARAJOB_PYTHON in the tests (unless it is set):
 * where python3 is a pyenv shim, every start runs the shim's bash scripts first (about 0.1 s of CPU,
 * a second on a loaded machine), and the suite starts Python workers and probes about a hundred times.
 * undefined: no python3 (the Python tests skip themselves).
 */
function resolvedPython3(): string | undefined {
  if (process.env.PARAJOB_PYTHON) return undefined;
  const probe = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  const path = probe.status === 0 ? probe.stdout.trim() : '';
  return path === '' ? undefined : path;
}

const python = resolvedPython3();

/** The unit tests: in-process, each file's modules its own only where `isolate` says so. */
const UNIT_TESTS = 'test/unit/**/*.test.ts';

export default defineConfig({
  // A test that imports an example imports the package by name ('parajob'): the sources, as
  // tsconfig.test.json's `paths` type-checks it (a spawned `node` resolves it to dist/ instead).
  resolve: { alias: [{ find: /^parajob$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) }] },
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    env: python === undefined ? {} : { PARAJOB_PYTHON: python },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: slurm ? [] : [UNIT_TESTS],
          // The unit test files share one process and its module cache: an isolated file costs a new
          // process and a fresh import of everything it touches (52 of them: 156 s isolated, 38 s
          // shared, side by side on this loaded 2-core machine). They leave no global state behind
          // (no vi.mock, fake timers restored); the process tests keep their isolation.
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'processes',
          // Only the TypeScript sources: never pick up compiled copies under dist/.
          include: slurm ? ['test/slurm/**/*.test.ts'] : ['test/**/*.test.ts'],
          exclude: slurm ? configDefaults.exclude : [...configDefaults.exclude, 'test/slurm/**', UNIT_TESTS],
        },
      },
    ],
  },
});
