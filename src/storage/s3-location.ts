/**
 * `s3://bucket/key` locations: parsing, joining and printing. Pure string work, so that the job spec,
 * the partitioner and the storage client agree on one spelling of an object's address.
 */

/** A bucket and a key (or key prefix) in it; `key` has no leading '/' and may be ''. */
export interface S3Location {
  readonly bucket: string;
  readonly key: string;
}

const S3_URI = /^s3:\/\/([^/]+)(?:\/(.*))?$/i;

/** True when `text` is written as an `s3://` URI. */
export function isS3Uri(text: string): boolean {
  return /^s3:\/\//i.test(text.trim());
}

/**
 * The bucket and key of `s3://bucket/key`; an Error saying what is expected for anything else (the
 * caller names the file or input it came from). Bucket names follow S3's rules (3–63 characters of
 * lower-case letters, digits, '.' and '-'), so a typo fails here and not at the first request.
 */
export function parseS3Uri(text: string): S3Location {
  const match = S3_URI.exec(text.trim());
  if (match === null) throw new Error(`expected s3://<bucket>/<key or prefix>, got "${text}"`);
  const bucket = match[1] as string;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new Error(
      `"${bucket}" is not an S3 bucket name (3–63 characters: lower-case letters, digits, '.' and '-'), in "${text}"`,
    );
  }
  const key = match[2] ?? '';
  // URLs resolve '.' and '..' segments away, so such a key could never be addressed as written (and
  // would let a path climb out of an allowed prefix).
  if (key.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw new Error(`"${text}" has a '.' or '..' segment; object keys are used as written, give the key itself`);
  }
  return { bucket, key };
}

/** `s3://bucket/key`. */
export function formatS3Uri(location: S3Location): string {
  return `s3://${location.bucket}/${location.key}`;
}

/** The prefix a folder's objects share: `key` with exactly one trailing '/' ('' for a whole bucket). */
export function folderPrefix(key: string): string {
  const trimmed = key.replace(/\/+$/, '');
  return trimmed === '' ? '' : `${trimmed}/`;
}

/** `location`'s key with `relative` ('/'-separated) appended as a path below it. */
export function childOf(location: S3Location, relative: string): S3Location {
  return { bucket: location.bucket, key: folderPrefix(location.key) + relative.replace(/^\/+/, '') };
}
