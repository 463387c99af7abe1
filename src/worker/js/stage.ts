/**
 * Attempt staging on the worker's side (protocol.ts `StageFolders`): a staged output's live folder is
 * empty when run() starts (what a killed earlier attempt left there is thrown away) and is renamed to
 * the attempt's folder when run() ends, before the result is sent, so every file the script wrote
 * during the call belongs to that attempt alone. The coordinator decides what becomes of it.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

import type { StageFolders, WireError } from '../protocol.js';

/** Makes the live folders (before init(), which may already look at its output). */
export async function makeLiveFolders(live: readonly string[] | undefined): Promise<void> {
  for (const folder of live ?? []) await mkdir(folder, { recursive: true });
}

/** Empties each live folder before run(); undefined, or the error that fails the attempt. */
export async function openStage(stage: readonly StageFolders[] | undefined): Promise<WireError | undefined> {
  try {
    for (const { live } of stage ?? []) {
      await rm(live, { recursive: true, force: true });
      await mkdir(live, { recursive: true });
    }
    return undefined;
  } catch (thrown) {
    return stagingError(thrown);
  }
}

/**
 * Renames each live folder to its attempt folder after run() and makes it again; undefined, or the
 * error that fails the attempt when a rename failed (its files must not count as the attempt's).
 */
export async function sealStage(stage: readonly StageFolders[] | undefined): Promise<WireError | undefined> {
  try {
    for (const { live, attempt } of stage ?? []) {
      await mkdir(dirname(attempt), { recursive: true });
      await rm(attempt, { recursive: true, force: true });
      await rename(live, attempt);
      await mkdir(live, { recursive: true });
    }
    return undefined;
  } catch (thrown) {
    return stagingError(thrown);
  }
}

function stagingError(thrown: unknown): WireError {
  return { kind: 'OutputStagingError', message: `staging the attempt's outputs failed: ${(thrown as Error).message}` };
}
