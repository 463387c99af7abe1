/**
 * Which S3 client serves an `s3://` path: one per (endpoint, region, access key), made from the
 * coordinator's environment. Kept here so that the partitioner and the output publisher share the
 * clients and the error for missing credentials.
 */
import { S3Client } from './s3-client.js';
import { type S3Settings, s3SettingsFromEnv } from './s3-settings.js';

const clients = new Map<string, S3Client>();

/**
 * The client for object-storage data described by `what` (for messages), from `env` (default: this
 * process's environment). InputError when credentials are missing or the endpoint is malformed.
 */
export function objectStoreClient(what: string, env: NodeJS.ProcessEnv = process.env): S3Client {
  return clientFor(s3SettingsFromEnv(env, what));
}

/** The client for `settings`, reused across calls with the same endpoint, region and key. */
export function clientFor(settings: S3Settings): S3Client {
  const id = JSON.stringify([settings.endpoint, settings.region, settings.credentials]);
  let client = clients.get(id);
  if (client === undefined) {
    client = new S3Client(settings);
    clients.set(id, client);
  }
  return client;
}
