/**
 * Which input paths a node reads itself, and which it fetches from the coordinator (Inputs.Read).
 * With `--shared-fs PREFIX` (repeatable) the node declares what it sees: exactly the paths under those
 * prefixes, nothing else, without touching the disk. Without it, the node trusts only what it can
 * check cheaply: a path is local when a regular file exists at it on this machine (one stat).
 */
import { statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** True when the node reads `path` itself. */
export type SeesPath = (path: string) => boolean;

function isUnder(path: string, prefix: string): boolean {
  const rel = relative(prefix, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** The visibility of a node declaring `sharedFs` (undefined: none declared; see the module comment). */
export function inputVisibility(sharedFs: readonly string[] | undefined): SeesPath {
  if (sharedFs === undefined) return (path) => statSync(path, { throwIfNoEntry: false })?.isFile() === true;
  const prefixes = sharedFs.map((prefix) => resolve(prefix));
  return (path) => prefixes.some((prefix) => isUnder(resolve(path), prefix));
}
