/**
 * Which S3 client serves an `s3://` path: one per (endpoint, region, access key), made from the
 * coordinator's environment or the path's datastore. Kept here so that the partitioner and the output publisher share the
 * clients and the error for missing credentials.
 */
import { S3Client } from './s3-client.js';
import { type ObjectStoreConnection, type S3Settings, s3SettingsFromEnv, s3SettingsOf } from './s3-settings.js';

const clients = new Map<string, S3Client>();

/**
 * The client for object-storage data described by `what` (for messages): through its datastore's
 * `connection` when it has one, else from `env` (default: this process's environment). InputError
 * when credentials are missing or the endpoint is malformed.
 */
export function objectStoreClient(
  what: string,
  connection?: ObjectStoreConnection,
  env: NodeJS.ProcessEnv = process.env,
): S3Client {
  return clientFor(connection === undefined ? s3SettingsFromEnv(env, what) : s3SettingsOf(connection, env, what));
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
