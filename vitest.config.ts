import { fileURLToPath } from 'node:url';

import { configDefaults, defineConfig } from 'vitest/config';

// `npm run test:slurm` sets this: the Slurm test installs Debian packages and starts daemons, so it
// is opt-in and left out of `npm test`.
const slurm = process.env.PARAJOB_TEST_SLURM === '1';

export default defineConfig({
  // A test that imports an example imports the package by name ('parajob'): the sources, as
  // tsconfig.test.json's `paths` type-checks it (a spawned `node` resolves it to dist/ instead).
  resolve: { alias: [{ find: /^parajob$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) }] },
  test: {
    // Only the TypeScript sources: never pick up compiled copies under dist/.
    include: slurm ? ['test/slurm/**/*.test.ts'] : ['test/**/*.test.ts'],
    exclude: slurm ? configDefaults.exclude : [...configDefaults.exclude, 'test/slurm/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
