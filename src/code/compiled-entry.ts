/**
 * The name of a TypeScript entry script's compiled module, which a node writes beside the script in
 * its cached snapshot (src/worker/js/typescript-entry.ts compiles; src/code/snapshot.ts leaves the
 * result out of snapshots and their hashes, as parajob's product rather than the user's code).
 */
import { basename, dirname, join } from 'node:path';

/** The compiled module's path for `entryScript`: `.score.ts.parajob.mjs` beside `score.ts`. */
export function compiledPathOf(entryScript: string): string {
  return join(dirname(entryScript), `.${basename(entryScript)}.parajob.mjs`);
}

/** The temp file a compile by process `pid` writes before renaming it to `compiled`. */
export function compileTempPathOf(compiled: string, pid: number): string {
  return `${compiled}.${pid}.tmp`;
}

/** True for a file name {@link compiledPathOf} or {@link compileTempPathOf} produce. */
export function isCompiledEntryName(name: string): boolean {
  return /^\..+\.parajob\.mjs(\.\d+\.tmp)?$/.test(name);
}
