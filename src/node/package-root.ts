/**
 * Paths and facts of the parajob installation, under its package root (the folder holding
 * package.json; found by src/worker/python/locate.ts, from src/ (vitest) and dist/ alike).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { packageRoot } from '../worker/python/locate.js';

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
