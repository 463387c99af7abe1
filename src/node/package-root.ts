/**
 * Where parajob is installed: the folder holding its package.json, found by walking up from this
 * module, so paths work from src/ (vitest) and from dist/ alike.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ParajobError } from '../errors.js';

let cachedRoot: string | undefined;

/** The absolute package root. Throws ParajobError when no package.json is found above this file. */
export function packageRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  const here = fileURLToPath(import.meta.url);
  let folder = dirname(here);
  for (;;) {
    if (existsSync(join(folder, 'package.json'))) return (cachedRoot = folder);
    const parent = dirname(folder);
    if (parent === folder) throw new ParajobError(`cannot find parajob's package.json above ${here}; the installation is incomplete`);
    folder = parent;
  }
}

/** The compiled JS worker (`npm run build` produces it): `<root>/dist/src/worker/js-worker.js`. */
export function jsWorkerPath(): string {
  return join(packageRoot(), 'dist', 'src', 'worker', 'js-worker.js');
}

/** parajob's version, as sent in the node's hello. */
export function packageVersion(): string {
  try {
    const parsed = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown };
    return typeof parsed.version === 'string' ? parsed.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}
