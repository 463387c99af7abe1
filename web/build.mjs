// Bundles the web UI (web/src/main.ts) with esbuild into dist/web/app.js and copies its page and
// style sheet beside it; the coordinator serves that folder (src/web/static-files.ts). No network:
// everything the page needs is in these three files.
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const out = here('../dist/web/');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [here('src/main.ts')],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  outfile: `${out}app.js`,
  logLevel: 'warning',
});
copyFileSync(here('index.html'), `${out}index.html`);
copyFileSync(here('style.css'), `${out}style.css`);
