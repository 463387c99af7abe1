/**
 * Which file Inputs.Read may serve: a path a lease named, resolved (symlinks followed), that lies
 * under one of the job's input paths, themselves resolved. A symlink inside an input pointing out of
 * it, `..` segments, or a path of another job are refused: the coordinator never serves an arbitrary
 * path to a node credential.
 */
import { realpath } from 'node:fs/promises';
import { isAbsolute } from 'node:path';

import { isWithin } from '../jobs/path-policy.js';

/** The resolved path of `path` when it lies under one of `roots` (resolved too); undefined otherwise. */
export async function servedPathOf(path: string, roots: readonly string[]): Promise<string | undefined> {
  return servedPathWithin(path, await resolvedRoots(roots));
}

/** `roots` resolved (symlinks followed), those that do not exist left out: once per call of many files. */
export async function resolvedRoots(roots: readonly string[]): Promise<string[]> {
  const resolved = await Promise.all(roots.map((root) => realpath(root).catch(() => undefined)));
  return resolved.filter((root) => root !== undefined);
}

/** The resolved path of `path` when it lies under one of `resolvedRoots`; undefined otherwise. */
export async function servedPathWithin(path: string, resolvedRoots: readonly string[]): Promise<string | undefined> {
  if (!isAbsolute(path)) return undefined;
  const resolved = await realpath(path).catch(() => undefined);
  if (resolved === undefined) return undefined;
  return resolvedRoots.some((root) => isWithin(resolved, root)) ? resolved : undefined;
}
