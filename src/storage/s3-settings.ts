/**
 * How the coordinator reaches an S3-compatible store: endpoint, region and credentials. They come
 * from the standard AWS environment variables of the coordinator's process (or a datastore record);
 * nodes never see them: they get presigned URLs.
 */
import { InputError } from '../errors.js';

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

export interface S3Settings {
  /**
   * Base URL of an S3-compatible server (`http://127.0.0.1:9000`): objects are addressed path-style
   * under it. undefined: AWS itself, addressed virtual-host style in `region`.
   */
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly credentials: S3Credentials;
}

/** The region when none is set: the one every S3-compatible server accepts. */
export const DEFAULT_S3_REGION = 'us-east-1';

/**
 * Settings from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_ENDPOINT_URL_S3 or
 * AWS_ENDPOINT_URL, AWS_REGION or AWS_DEFAULT_REGION. InputError naming what is missing or malformed;
 * `what` says which data needs them (e.g. "input 'data' (s3://bucket/in)").
 */
export function s3SettingsFromEnv(env: NodeJS.ProcessEnv, what: string): S3Settings {
  const accessKeyId = env['AWS_ACCESS_KEY_ID'];
  const secretAccessKey = env['AWS_SECRET_ACCESS_KEY'];
  if (!accessKeyId || !secretAccessKey) {
    throw new InputError(
      `${what} is in object storage, but the coordinator has no credentials for it: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_ENDPOINT_URL for a store other than AWS) in the coordinator's environment, or use an azureml://datastores/<name>/paths/… path of a datastore made with parajob datastore create --s3`,
    );
  }
  const endpoint = env['AWS_ENDPOINT_URL_S3'] || env['AWS_ENDPOINT_URL'] || undefined;
  return {
    endpoint: endpoint === undefined ? undefined : checkedEndpoint(endpoint, 'AWS_ENDPOINT_URL'),
    region: env['AWS_REGION'] || env['AWS_DEFAULT_REGION'] || DEFAULT_S3_REGION,
    credentials: { accessKeyId, secretAccessKey, sessionToken: env['AWS_SESSION_TOKEN'] || undefined },
  };
}

/** `text` as an http(s) base URL without a trailing '/'; InputError naming `source` otherwise. */
export function checkedEndpoint(text: string, source: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InputError(`${source}: "${text}" is not a URL; expected e.g. http://127.0.0.1:9000`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(`${source}: "${text}" must be an http:// or https:// URL`);
  }
  if (url.search !== '' || url.hash !== '') throw new InputError(`${source}: "${text}" must not have a query`);
  return url.href.replace(/\/+$/, '');
}
