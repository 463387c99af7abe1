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
  if (!isAbsolute(path)) return undefined;
  const resolved = await realpath(path).catch(() => undefined);
  if (resolved === undefined) return undefined;
  for (const root of roots) {
    const resolvedRoot = await realpath(root).catch(() => undefined);
    if (resolvedRoot !== undefined && isWithin(resolved, resolvedRoot)) return resolved;
  }
  return undefined;
}
