/**
 * The Assets service: registered components, data assets and datastores kept in the coordinator's
 * data dir (src/jobspec/assets/local-store.ts, `<data dir>/assets/`), the same store the coordinator's
 * spec compiler looks `azureml:` references and `azureml://datastores/…` paths up in, so a job
 * submitted here uses what was registered here. A datastore's credentials come in with its creation
 * and never go out: answers say only whether it has some (jobspec/assets/datastores.ts).
 *
 * Not journaled: the journal has no asset record kind, and it need not have one. The store is files,
 * each metadata file written to a temporary name and renamed after the version's files are in place,
 * so a registration is there after a restart or it is not there at all. Registrations are serialised
 * so that two clients creating the next version of one name cannot both take it.
 */
import { type ServiceError, status } from '@grpc/grpc-js';
import type { Logger } from 'pino';

import { ParajobError, SpecErrors } from '../../errors.js';
import type {
  AssetsServer,
  ComponentAsset,
  DataAsset,
  DatastoreAsset,
  GetAssetRequest,
} from '../../gen/parajob/v1/parajob.js';
import { createDatastore, datastoreView } from '../../jobspec/assets/datastores.js';
import {
  AssetExistsError,
  type LocalAssetStore,
  type StoredComponent,
  type StoredData,
  type StoredDatastore,
} from '../../jobspec/assets/local-store.js';
import { registerDataText, storeComponentUpload } from '../../jobspec/assets/register.js';
import { type AssetReference, formatAssetReference } from '../../jobspec/assets/resolver.js';
import { grpcError } from '../grpc-error.js';

/** A refusal's gRPC status: the user's mistakes are theirs to fix, anything else is ours. */
function refusal(error: unknown, logger: Logger, doing: string): ServiceError {
  if (error instanceof AssetExistsError) return grpcError(status.ALREADY_EXISTS, error.message);
  if (error instanceof SpecErrors || error instanceof ParajobError)
    return grpcError(status.INVALID_ARGUMENT, error.message);
  logger.error({ err: error }, `${doing} failed`);
  return grpcError(status.INTERNAL, `${doing} failed: ${error instanceof Error ? error.message : String(error)}`);
}

function referenceOf(request: GetAssetRequest): AssetReference {
  return { name: request.name, version: request.version === '' ? undefined : request.version };
}

function componentMessage(stored: StoredComponent): ComponentAsset {
  return {
    name: stored.name,
    version: stored.version,
    createdAtMs: stored.createdAt,
    description: stored.description ?? '',
    sourceFile: stored.sourceFile,
    file: stored.file,
    documents: [],
    code: [],
  };
}

function dataMessage(stored: StoredData): DataAsset {
  return {
    name: stored.name,
    version: stored.version,
    createdAtMs: stored.createdAt,
    description: stored.description ?? '',
    type: stored.type,
    path: stored.path,
  };
}

function datastoreMessage(stored: StoredDatastore): DatastoreAsset {
  const view = datastoreView(stored);
  return {
    name: view.name,
    path: view.path,
    endpoint: view.endpoint ?? '',
    region: view.region ?? '',
    hasCredentials: view.hasCredentials,
    builtIn: view.builtIn,
  };
}

/** Assets: Create/Get/List of components, data assets and datastores. */
export function assetsService(store: LocalAssetStore, logger: Logger): AssetsServer {
  let registrations: Promise<unknown> = Promise.resolve();
  /** Runs `body` after every registration before it (see the module comment). */
  const serialised = <T>(body: () => Promise<T>): Promise<T> => {
    const next = registrations.then(body, body);
    registrations = next.catch(() => undefined);
    return next;
  };

  return {
    createComponent(call, callback) {
      serialised(() => storeComponentUpload(call.request, store)).then(
        (stored) => {
          logger.info({ component: `${stored.name}:${stored.version}` }, 'component registered');
          callback(null, componentMessage(stored));
        },
        (error: unknown) => callback(refusal(error, logger, 'registering the component')),
      );
    },
    getComponent(call, callback) {
      const found = store.component(referenceOf(call.request));
      if (!found.ok) {
        callback(grpcError(status.NOT_FOUND, found.message));
        return;
      }
      const stored = found.value;
      if (!call.request.includeFiles) {
        callback(null, componentMessage(stored));
        return;
      }
      store.componentFiles(stored).then(
        (files) =>
          callback(null, {
            ...componentMessage(stored),
            documents: files.documents,
            code: files.code,
          }),
        (error: unknown) =>
          callback(refusal(error, logger, `reading component ${formatAssetReference(referenceOf(call.request))}`)),
      );
    },
    listComponents(_call, callback) {
      callback(null, { components: store.list<StoredComponent>('components').map(componentMessage) });
    },
    createData(call, callback) {
      serialised(() => registerDataText(call.request.specPath, call.request.specYaml, store)).then(
        (stored) => {
          logger.info({ data: `${stored.name}:${stored.version}` }, 'data asset registered');
          callback(null, dataMessage(stored));
        },
        (error: unknown) => callback(refusal(error, logger, 'registering the data asset')),
      );
    },
    getData(call, callback) {
      const found = store.data(referenceOf(call.request));
      if (found.ok) callback(null, dataMessage(found.value));
      else callback(grpcError(status.NOT_FOUND, found.message));
    },
    listData(_call, callback) {
      callback(null, { data: store.list<StoredData>('data').map(dataMessage) });
    },
    createDatastore(call, callback) {
      const { request } = call;
      serialised(() =>
        createDatastore(store, {
          name: request.name,
          path: request.path,
          s3: request.s3,
          endpoint: request.endpoint,
          region: request.region,
          credentialsText: request.credentials,
        }),
      ).then(
        (stored) => {
          logger.info({ datastore: stored.name, path: stored.path }, 'datastore created');
          callback(null, datastoreMessage(stored));
        },
        (error: unknown) => callback(refusal(error, logger, 'creating the datastore')),
      );
    },
    getDatastore(call, callback) {
      const stored = store.datastoreRecord(call.request.name);
      if (stored !== undefined) callback(null, datastoreMessage(stored));
      else {
        const missing = store.datastore(call.request.name);
        callback(grpcError(status.NOT_FOUND, missing.ok ? `no datastore ${call.request.name}` : missing.message));
      }
    },
    listDatastores(_call, callback) {
      callback(null, { datastores: store.allDatastores().map(datastoreMessage) });
    },
  };
}
