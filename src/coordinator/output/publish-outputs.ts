/**
 * Publishing a succeeded step's object-storage outputs: the step wrote them to local staging paths
 * under its run directory (the append_row file, or files its scripts wrote there); once its result is
 * accepted (the step succeeded), each staged file is uploaded below the output's `s3://` location. A
 * step that fails or is cancelled publishes nothing, so rows of failed or revoked attempts (which the
 * coordinator never accepted into the staged file) never reach the store either.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

import { InputError } from '../../errors.js';
import { listFolderFiles } from '../../input/files.js';
import type { CompiledOutput } from '../../jobspec/model.js';
import { objectStoreClient } from '../../storage/object-store.js';
import { childOf, parseS3Uri } from '../../storage/s3-location.js';

function describe(output: CompiledOutput): string {
  return `output '${output.name}' (${output.remote ?? output.path})`;
}

/**
 * Checks, before the step runs, that every object-storage output has credentials and a valid
 * location: InputError otherwise, so that a missing key fails the step before its work, not after.
 */
export function checkRemoteOutputs(outputs: readonly CompiledOutput[]): void {
  for (const output of outputs) {
    if (output.remote === undefined) continue;
    objectStoreClient(describe(output), output.store);
    try {
      parseS3Uri(output.remote);
    } catch (error) {
      throw new InputError(`${describe(output)}: ${(error as Error).message}`);
    }
  }
}

/**
 * Uploads each object-storage output's staged files (a uri_file: the one file, to the output's key; a
 * folder: every file under it, to the same relative keys under the prefix). Returns the objects
 * written. A staged path that was never created publishes nothing. Rejects on the first failed upload.
 */
export async function publishRemoteOutputs(outputs: readonly CompiledOutput[]): Promise<string[]> {
  const written: string[] = [];
  for (const output of outputs) {
    if (output.remote === undefined) continue;
    const client = objectStoreClient(describe(output), output.store);
    const target = parseS3Uri(output.remote);
    const info = await stat(output.path).catch(() => undefined);
    if (info === undefined) continue;
    if (output.type === 'uri_file' || info.isFile()) {
      await client.putFile(target, output.path);
      written.push(output.remote);
      continue;
    }
    for (const relative of await listFolderFiles(output.path)) {
      const location = childOf(target, relative);
      await client.putFile(location, join(output.path, relative));
      written.push(`s3://${location.bucket}/${location.key}`);
    }
  }
  return written;
}
