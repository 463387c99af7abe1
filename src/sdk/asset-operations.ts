/**
 * `client.components`, `client.data` and `client.datastores`: registered assets on the coordinator, as
 * Azure's `ml_client.components` / `ml_client.data` / `ml_client.datastores` (`create_or_update`,
 * `get`, `list`). A registered version
 * never changes; jobs submitted to the same coordinator name them `azureml:NAME:VERSION`,
 * `azureml:NAME@latest` or `azureml:NAME`.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { stringify } from 'yaml';

import type { ComponentAsset, DataAsset, DatastoreAsset } from '../gen/parajob/v1/parajob.js';
import { type ComponentUpload, prepareComponentUpload } from '../jobspec/assets/register.js';
import { applySetOverrides } from '../jobspec/set-overrides.js';
import type { AssetsApi } from '../rpc/assets-client.js';
import { codeBuiltComponentOf, type Component } from './component.js';
import { componentDocument } from './component-document.js';

/** Options of the assets' `createOrUpdate`. */
export interface CreateAssetOptions {
  /** `--set PATH=VALUE` overrides applied to the file before validation (e.g. `version=3`). */
  readonly sets?: readonly string[];
}

/** Options of `client.components.createOrUpdate`. */
export interface CreateComponentOptions extends CreateAssetOptions {
  /** The name to register under. @default the file's `name`, or the built component's */
  readonly name?: string;
  /** The version. @default the file's `version`, else the next number */
  readonly version?: string;
  /** For a component built in code: where its relative paths (`code`) point from. @default the current folder */
  readonly baseDir?: string;
}

/** Any component, whatever its inputs and outputs (what registration needs of it). */
export type ComponentLike = Pick<Component, 'componentName' | 'componentType'>;

/** How an operation reaches the coordinator's Assets service (the client's call, typed errors). */
export type AssetsCall = <T>(asset: string | undefined, body: (api: AssetsApi) => Promise<T>) => Promise<T>;

function label(name: string, version: string | undefined): string {
  return version === undefined ? `${name}@latest` : `${name}:${version}`;
}

/** `client.components`: register, get and list components on the coordinator. */
export class ComponentOperations {
  /** @internal */
  constructor(private readonly call: AssetsCall) {}

  /**
   * Registers a component with the coordinator: a component file (command, parallel or pipeline
   * component YAML), or a component built in code with `command({...})` or `parallelRunFunction({...})`
   * (as `parajob component create` would register its YAML). Its code folders and every local
   * component file it reaches are sent with it, so the registered version never depends on this
   * machine's files again. Without a `version` (in the file, `sets` or the options), it gets the next
   * number. A ValidationError lists what is wrong; an AssetExistsError says the version is
   * registered already.
   *
   * @example
   * ```ts
   * const prep = command({ name: 'prep', command: 'node prep.mjs', code: './src' });
   * await client.components.createOrUpdate(prep, { version: '1' }); // then `component: azureml:prep:1`
   * ```
   */
  async createOrUpdate(
    component: string | ComponentLike,
    options: CreateComponentOptions = {},
  ): Promise<ComponentAsset> {
    const upload = await componentUpload(component, options);
    return this.call(undefined, (api) => api.createComponent(upload.documents, upload.code));
  }

  /** A registered component: `version` or, when omitted, the latest. AssetNotFoundError when unknown. */
  get(name: string, version?: string): Promise<ComponentAsset> {
    return this.call(label(name, version), (api) => api.getComponent({ name, version }));
  }

  /** The latest version of every registered component, by name. */
  list(): Promise<ComponentAsset[]> {
    return this.call(undefined, (api) => api.listComponents());
  }
}

/**
 * What registering `component` sends: a file's bundle, or the bundle of the YAML a component built in
 * code stands for (written to a private folder only to be read back as a file is).
 */
export async function componentUpload(
  component: string | ComponentLike,
  options: CreateComponentOptions = {},
): Promise<ComponentUpload> {
  const sets = [
    ...(options.sets ?? []),
    ...(options.name === undefined ? [] : [`name=${options.name}`]),
    ...(options.version === undefined ? [] : [`version=${options.version}`]),
  ];
  if (typeof component === 'string') return prepareComponentUpload(component, sets);
  const built = codeBuiltComponentOf(component);
  if (built === undefined)
    throw new TypeError(
      component.componentType === 'pipeline'
        ? `component ${component.componentName} is a pipeline component: register its YAML file (createOrUpdate(path)); one built in code with pipelineComponent() is used inline only`
        : `component ${component.componentName} was loaded from a file: register the file itself (createOrUpdate(path))`,
    );
  const document = componentDocument(built, options);
  const dir = await mkdtemp(join(tmpdir(), 'parajob-component-'));
  try {
    const file = join(dir, `${String(document.name)}.yml`);
    await writeFile(file, stringify(document));
    const upload = await prepareComponentUpload(file, options.sets ?? []);
    const [main, ...rest] = upload.documents;
    if (main === undefined) return upload;
    // Where messages say it came from: the builder, not the private copy.
    return { ...upload, documents: [{ ...main, sourcePath: `${String(document.name)} (built in code)` }, ...rest] };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `client.data`: register, get and list data assets on the coordinator. */
export class DataOperations {
  /** @internal */
  constructor(private readonly call: AssetsCall) {}

  /**
   * Registers a data asset file (`name`, `version`, `type`, `path`). A relative `path` resolves
   * against the file's folder, which the coordinator must see (a shared filesystem, as for inputs).
   */
  async createOrUpdate(file: string, options: CreateAssetOptions = {}): Promise<DataAsset> {
    const path = resolve(file);
    const text = applySetOverrides(path, await readFile(path, 'utf8'), options.sets ?? []);
    return this.call(undefined, (api) => api.createData(path, text));
  }

  /** A data asset: `version` or, when omitted, the latest. AssetNotFoundError when unknown. */
  get(name: string, version?: string): Promise<DataAsset> {
    return this.call(label(name, version), (api) => api.getData({ name, version }));
  }

  /** The latest version of every data asset, by name. */
  list(): Promise<DataAsset[]> {
    return this.call(undefined, (api) => api.listData());
  }
}

/** A datastore to create: a folder on the coordinator's filesystem, or an S3 prefix. */
export interface DatastoreSpec {
  /** Letters, digits, `_ . -`, starting with a letter; not `workspaceblobstore` (built in). */
  readonly name: string;
  /**
   * A folder on the coordinator's filesystem (made when missing; a relative one is made absolute
   * here, so the coordinator must see this machine's paths). Give this or `s3`.
   */
  readonly path?: string;
  /** `s3://bucket/prefix` in an S3-compatible store the coordinator reaches. */
  readonly s3?: string;
  /** With `s3`: the store's base URL, e.g. `http://127.0.0.1:9000`. @default AWS */
  readonly endpoint?: string;
  /** With `s3`: its region. @default the coordinator's environment, else us-east-1 */
  readonly region?: string;
  /**
   * With `s3`: a credentials file on this machine (`KEY=VALUE` lines with AWS_ACCESS_KEY_ID and
   * AWS_SECRET_ACCESS_KEY). Its text is sent to the coordinator, which keeps it and never sends it
   * back, nor to nodes (they get presigned URLs). @default the coordinator's environment
   */
  readonly credentialsFile?: string;
}

/** `client.datastores`: create, get and list the datastores `azureml://datastores/<name>/paths/…` names. */
export class DatastoreOperations {
  /** @internal */
  constructor(private readonly call: AssetsCall) {}

  /** Creates (or replaces) a datastore on the coordinator; ValidationError for a bad spec. */
  async createOrUpdate(spec: DatastoreSpec): Promise<DatastoreAsset> {
    const credentials = spec.credentialsFile === undefined ? '' : await readFile(resolve(spec.credentialsFile), 'utf8');
    return this.call(undefined, (api) =>
      api.createDatastore({
        name: spec.name,
        path: spec.path === undefined ? '' : resolve(spec.path),
        s3: spec.s3 ?? '',
        endpoint: spec.endpoint ?? '',
        region: spec.region ?? '',
        credentials,
      }),
    );
  }

  /** A datastore (without credentials: `hasCredentials` says whether it has its own). AssetNotFoundError when unknown. */
  get(name: string): Promise<DatastoreAsset> {
    return this.call(name, (api) => api.getDatastore(name));
  }

  /** Every datastore, workspaceblobstore first. */
  list(): Promise<DatastoreAsset[]> {
    return this.call(undefined, (api) => api.listDatastores());
  }
}
