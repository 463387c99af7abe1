/**
 * `client.components` and `client.data`: registered assets on the coordinator, as Azure's
 * `ml_client.components` / `ml_client.data` (`create_or_update`, `get`, `list`). A registered version
 * never changes; jobs submitted to the same coordinator name them `azureml:NAME:VERSION`,
 * `azureml:NAME@latest` or `azureml:NAME`.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import type { ComponentAsset, DataAsset } from '../gen/parajob/v1/parajob.js';
import { prepareComponentUpload } from '../jobspec/assets/register.js';
import { applySetOverrides } from '../jobspec/set-overrides.js';
import type { AssetsApi } from '../rpc/assets-client.js';

/** Options of the assets' `createOrUpdate`. */
export interface CreateAssetOptions {
  /** `--set PATH=VALUE` overrides applied to the file before validation (e.g. `version=3`). */
  readonly sets?: readonly string[];
}

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
   * Registers a component file (command, parallel or pipeline component YAML) with the coordinator.
   * Its code folders and every local component file it reaches are sent with it, so the registered
   * version never depends on this machine's files again. Without a `version` in the file (or
   * `sets`), it gets the next number. A ValidationError lists what is wrong with the file; an
   * AssetExistsError says the version is registered already.
   */
  async createOrUpdate(file: string, options: CreateAssetOptions = {}): Promise<ComponentAsset> {
    const upload = await prepareComponentUpload(file, options.sets ?? []);
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
