/**
 * `s3://bucket/prefix` data paths: kept as written (the coordinator lists them with its credentials
 * and hands nodes presigned URLs), after checking that they name a bucket.
 */
import { formatS3Uri, parseS3Uri } from '../storage/s3-location.js';
import type { LocalPathResult } from './local-path.js';

/** The normalised `s3://` URI of `raw`, or why it is not one. */
export function objectStorePath(raw: string): LocalPathResult {
  try {
    return { ok: true, path: formatS3Uri(parseS3Uri(raw)) };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}
