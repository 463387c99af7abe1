/**
 * A typed promise wrapper over the generated `Assets` gRPC client (registered components, data
 * assets and datastores on a coordinator), for the SDK's client.components / client.data /
 * client.datastores and the CLI's `component|data|datastore … --coordinator`. Every call carries a deadline, as the Jobs client's do.
 */
import { Metadata, type ServiceError } from '@grpc/grpc-js';

import { type Dial, PLAINTEXT_DIAL } from '../auth/dial.js';
import {
  type AssetDocument,
  AssetsClient,
  type CodeSnapshot,
  type ComponentAsset,
  type CreateDatastoreRequest,
  type DataAsset,
  type DatastoreAsset,
} from '../gen/parajob/v1/parajob.js';
import { deadlineIn, UNARY_DEADLINE_MS } from './options.js';

/** `NAME` (latest) or `NAME` at `version`. */
export interface AssetKey {
  readonly name: string;
  /** undefined: the latest version. */
  readonly version?: string | undefined;
}

/** Options of {@link AssetsApi}. */
export interface AssetsApiOptions {
  /** Deadline of every call, in milliseconds. @default UNARY_DEADLINE_MS (30 s) */
  readonly deadlineMs?: number;
  /** Channel credentials and token (src/auth/dial.ts resolveDial). @default plaintext, no token */
  readonly dial?: Dial;
}

type Unary<Request, Response> = (
  request: Request,
  metadata: Metadata,
  options: { deadline: Date },
  callback: (error: ServiceError | null, response: Response) => void,
) => unknown;

/** The Assets service of one coordinator; `close()` it when done. */
export class AssetsApi {
  private readonly client: AssetsClient;
  private readonly deadlineMs: number;

  /** @param address `host:port` of the coordinator. */
  constructor(
    readonly address: string,
    options: AssetsApiOptions = {},
  ) {
    const dial = options.dial ?? PLAINTEXT_DIAL;
    this.client = new AssetsClient(address, dial.credentials, dial.options);
    this.deadlineMs = options.deadlineMs ?? UNARY_DEADLINE_MS;
  }

  /** Registers a component bundle (src/jobspec/assets/register.ts prepareComponentUpload). */
  createComponent(documents: readonly AssetDocument[], code: readonly CodeSnapshot[]): Promise<ComponentAsset> {
    return this.unary(this.client.createComponent, { documents: [...documents], code: [...code] });
  }

  /** A registered component; with `includeFiles`, its stored documents and code too. NOT_FOUND when unknown. */
  getComponent(key: AssetKey, includeFiles = false): Promise<ComponentAsset> {
    return this.unary(this.client.getComponent, { name: key.name, version: key.version ?? '', includeFiles });
  }

  /** The latest version of every registered component. */
  async listComponents(): Promise<ComponentAsset[]> {
    return (await this.unary(this.client.listComponents, {})).components;
  }

  /** Registers a data asset from its YAML, read at `specPath` on this machine. */
  createData(specPath: string, specYaml: string): Promise<DataAsset> {
    return this.unary(this.client.createData, { specPath, specYaml });
  }

  /** A registered data asset; NOT_FOUND when unknown. */
  getData(key: AssetKey): Promise<DataAsset> {
    return this.unary(this.client.getData, { name: key.name, version: key.version ?? '', includeFiles: false });
  }

  /** The latest version of every data asset. */
  async listData(): Promise<DataAsset[]> {
    return (await this.unary(this.client.listData, {})).data;
  }

  /** Creates (or replaces) a datastore; its credentials, if sent, stay on the coordinator. */
  createDatastore(request: CreateDatastoreRequest): Promise<DatastoreAsset> {
    return this.unary(this.client.createDatastore, request);
  }

  /** A datastore, without credentials; NOT_FOUND when unknown. */
  getDatastore(name: string): Promise<DatastoreAsset> {
    return this.unary(this.client.getDatastore, { name });
  }

  /** Every datastore, workspaceblobstore first. */
  async listDatastores(): Promise<DatastoreAsset[]> {
    return (await this.unary(this.client.listDatastores, {})).datastores;
  }

  /** Closes the channel. */
  close(): void {
    this.client.close();
  }

  private unary<Request, Response>(method: Unary<Request, Response>, request: Request): Promise<Response> {
    return new Promise((resolve, reject) => {
      // A fresh Metadata per call: grpc-js mutates the one it is given.
      method.call(this.client, request, new Metadata(), { deadline: deadlineIn(this.deadlineMs) }, (error, response) =>
        error ? reject(error) : resolve(response),
      );
    });
  }
}
