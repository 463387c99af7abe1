/**
 * Creating a datastore and showing one, shared by the local data dir's verbs and the coordinator's
 * Assets service. What is shown never carries credentials: an object-storage datastore says only
 * whether it has credentials of its own (kept where the datastore lives), never what they are.
 */
import { InputError } from '../../errors.js';
import { DEFAULT_DATASTORE_NAME } from '../inputs.js';
import type { LocalAssetStore, StoredDatastore } from './local-store.js';

/** What `datastore create` asks for: a folder (`path`) or an S3 prefix (`s3`, with its connection). */
export interface DatastoreRequest {
  readonly name: string;
  readonly path?: string | undefined;
  readonly s3?: string | undefined;
  readonly endpoint?: string | undefined;
  readonly region?: string | undefined;
  /** A credentials file on this machine (the local data dir's verbs). */
  readonly credentialsFile?: string | undefined;
  /** A credentials file's text (sent to a coordinator, which keeps it). */
  readonly credentialsText?: string | undefined;
}

/** A datastore as shown to anyone: no credentials. */
export interface DatastoreView {
  readonly name: string;
  /** Its absolute folder, or its `s3://bucket/prefix`. */
  readonly path: string;
  readonly endpoint?: string | undefined;
  readonly region?: string | undefined;
  /** True when it has credentials of its own (else the environment's of whoever reaches it). */
  readonly hasCredentials: boolean;
  readonly builtIn: boolean;
}

/** Creates (or replaces) the datastore `request` describes in `store`; InputError for a bad request. */
export async function createDatastore(store: LocalAssetStore, request: DatastoreRequest): Promise<StoredDatastore> {
  const { name, path, s3 } = request;
  const given = (value: string | undefined): value is string => value !== undefined && value !== '';
  if (given(path) === given(s3)) {
    throw new InputError('datastore create: give either --path <dir> or --s3 <s3://bucket/prefix>');
  }
  const s3Settings = [request.endpoint, request.region, request.credentialsFile, request.credentialsText];
  if (given(path)) {
    if (s3Settings.some(given))
      throw new InputError('datastore create: --endpoint, --region and --credentials go with --s3, not --path');
    return store.addDatastore(name, path);
  }
  return store.addObjectStoreDatastore(
    name,
    s3 as string,
    {
      ...(given(request.endpoint) ? { endpoint: request.endpoint } : {}),
      ...(given(request.region) ? { region: request.region } : {}),
      ...(given(request.credentialsFile) ? { credentialsFile: request.credentialsFile } : {}),
    },
    given(request.credentialsText) ? request.credentialsText : undefined,
  );
}

/** What may be shown of a stored datastore (see the module comment). */
export function datastoreView(stored: StoredDatastore): DatastoreView {
  const { connection } = stored;
  return {
    name: stored.name,
    path: stored.path,
    ...(connection?.endpoint === undefined ? {} : { endpoint: connection.endpoint }),
    ...(connection?.region === undefined ? {} : { region: connection.region }),
    hasCredentials: connection?.credentialsFile !== undefined,
    builtIn: stored.name === DEFAULT_DATASTORE_NAME,
  };
}
