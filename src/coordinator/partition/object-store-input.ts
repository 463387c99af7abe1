/**
 * An `s3://` file input of a step: listed with the coordinator's credentials, and a presigner that
 * turns each file of a lease into a GET URL the node can fetch without credentials.
 */
import { InputError } from '../../errors.js';
import type { FileList } from '../../input/files.js';
import type { DataInput } from '../../jobspec/model.js';
import { listS3Files } from '../../storage/list-s3-files.js';
import { objectStoreClient } from '../../storage/object-store.js';
import { parseS3Uri } from '../../storage/s3-location.js';

/** The input's files (`s3://` URIs) and how to presign one of them. InputError for a bad URI or no credentials. */
export async function listObjectStoreInput(
  input: Pick<DataInput, 'name' | 'type' | 'path' | 'store'>,
): Promise<{ readonly files: FileList; readonly presign: (file: string) => string }> {
  if (input.type === 'mltable') {
    throw new InputError(
      `input '${input.name}': an mltable input in object storage (${input.path}) is not supported yet; use type: uri_folder or uri_file`,
    );
  }
  let location;
  try {
    location = parseS3Uri(input.path);
  } catch (error) {
    throw new InputError(`input '${input.name}': ${(error as Error).message}`);
  }
  const client = objectStoreClient(`input '${input.name}' (${input.path})`, input.store);
  let files: FileList;
  try {
    files = await listS3Files(client, { name: input.name, type: input.type, location });
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`input '${input.name}': cannot list ${input.path}: ${(error as Error).message}`);
  }
  return { files, presign: (file) => client.presign('GET', parseS3Uri(file)) };
}
