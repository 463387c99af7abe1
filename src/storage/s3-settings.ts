/**
 * How the coordinator reaches an S3-compatible store: endpoint, region and credentials. They come
 * from the standard AWS environment variables of the coordinator's process (or a datastore record);
 * nodes never see them: they get presigned URLs.
 */
import { readFileSync } from 'node:fs';

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

/**
 * How a datastore reaches its bucket (`parajob datastore create --s3`): recorded in the job model so
 * that the coordinator uses it wherever it runs the step. Holds no secret: the credentials stay in
 * their file on the coordinator's machine.
 */
export interface ObjectStoreConnection {
  /** As S3Settings.endpoint; undefined: AWS. */
  readonly endpoint?: string | undefined;
  readonly region?: string | undefined;
  /**
   * A file of `KEY=VALUE` lines (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, optional AWS_SESSION_TOKEN;
   * the `aws_access_key_id = …` spelling of AWS's credentials file works too). undefined: the
   * coordinator's environment.
   */
  readonly credentialsFile?: string | undefined;
}

/**
 * Settings of a datastore's connection: its endpoint and region, credentials from its file (or, with
 * none, from `env`). InputError naming the file and what is missing.
 */
export function s3SettingsOf(connection: ObjectStoreConnection, env: NodeJS.ProcessEnv, what: string): S3Settings {
  const fromEnv = connection.credentialsFile === undefined;
  const source = fromEnv ? env : readCredentialsFile(connection.credentialsFile as string, what);
  const base = s3SettingsFromEnv({ ...source, AWS_ENDPOINT_URL_S3: '', AWS_ENDPOINT_URL: '' }, what);
  return {
    ...base,
    endpoint: connection.endpoint === undefined ? undefined : checkedEndpoint(connection.endpoint, `${what}: endpoint`),
    region: connection.region ?? base.region,
  };
}

/** The variables of a credentials file, names upper-cased; InputError when it cannot be read or lacks a key. */
export function readCredentialsFile(file: string, what: string): NodeJS.ProcessEnv {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputError(`${what}: cannot read the credentials file ${file}: ${(error as Error).message}`);
  }
  return parseCredentialsText(text, `the credentials file ${file}`, what);
}

/**
 * The variables of a credentials file's text (`source` names it in messages), names upper-cased;
 * InputError when AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is missing.
 */
export function parseCredentialsText(text: string, source: string, what: string): NodeJS.ProcessEnv {
  const variables: NodeJS.ProcessEnv = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (match === null || line.trim().startsWith('#')) continue;
    variables[(match[1] as string).toUpperCase()] = (match[2] as string).replace(/^(["'])(.*)\1$/, '$2');
  }
  if (!variables['AWS_ACCESS_KEY_ID'] || !variables['AWS_SECRET_ACCESS_KEY']) {
    throw new InputError(`${what}: ${source} must set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (KEY=VALUE lines)`);
  }
  return variables;
}
