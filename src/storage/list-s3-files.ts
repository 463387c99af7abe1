/**
 * An `s3://` uri_folder or uri_file input as a file list (src/input/files.ts's FileList): the root is
 * the `s3://bucket/prefix/` URI and the relative paths are the keys below it, so mini-batch N holds
 * the same objects on every run, in the same UTF-8 byte order as a local folder's files.
 */
import { InputError } from '../errors.js';
import { compareUtf8, type FileList } from '../input/files.js';
import type { S3Client } from './s3-client.js';
import { folderPrefix, formatS3Uri, type S3Location } from './s3-location.js';

/** What {@link listS3Files} needs of the input: its name (for messages), its kind and its location. */
export interface S3FileInputRef {
  readonly name: string;
  readonly type: 'uri_folder' | 'uri_file';
  readonly location: S3Location;
}

/**
 * Lists an object-storage file input. A uri_folder is every object under `key/` (keys ending in '/',
 * the "folder markers" some tools write, are not files); a uri_file is the one object `key`, which
 * must exist. InputError naming the input otherwise. An empty folder gives an empty list.
 */
export async function listS3Files(client: S3Client, input: S3FileInputRef, pageSize?: number): Promise<FileList> {
  const { bucket, key } = input.location;
  if (input.type === 'uri_file') {
    if (key === '' || key.endsWith('/')) {
      throw new InputError(
        `input '${input.name}' is a uri_file but ${formatS3Uri(input.location)} names a folder; use type: uri_folder`,
      );
    }
    const found = await client.list(input.location, pageSize);
    if (!found.some((object) => object.key === key)) {
      throw new InputError(`input '${input.name}' (uri_file): ${formatS3Uri(input.location)} does not exist`);
    }
    const slash = key.lastIndexOf('/');
    return { root: formatS3Uri({ bucket, key: key.slice(0, slash + 1) }), relativePaths: [key.slice(slash + 1)] };
  }
  const prefix = folderPrefix(key);
  const objects = await client.list({ bucket, key: prefix }, pageSize);
  const relativePaths = objects
    .map((object) => object.key.slice(prefix.length))
    .filter((relative) => relative !== '' && !relative.endsWith('/'))
    .sort(compareUtf8);
  return { root: formatS3Uri({ bucket, key: prefix }), relativePaths };
}
