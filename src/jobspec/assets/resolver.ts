/**
 * How the spec compiler reaches registered assets (components, data) and datastores. An interface so
 * that the local data dir (local-store.ts) serves them for `parajob run`, and the coordinator can serve
 * its own later; the compiler itself never touches the store.
 */
import type { ObjectStoreConnection } from '../../storage/s3-settings.js';

/** `azureml:NAME:VERSION`, `azureml:NAME@latest` or `azureml:NAME` (latest), parsed. */
export interface AssetReference {
  readonly name: string;
  /** undefined = the latest version (the one registered last). */
  readonly version: string | undefined;
}

/** A registered component: its stored YAML and, when it has code, the snapshot taken at registration. */
export interface RegisteredComponent {
  readonly name: string;
  readonly version: string;
  /** Absolute path of the stored component YAML (its `code:` is rewritten to the snapshot). */
  readonly file: string;
}

/** A registered data asset. */
export interface RegisteredData {
  readonly name: string;
  readonly version: string;
  readonly type: 'uri_folder' | 'uri_file' | 'mltable';
  /** Absolute local path. */
  readonly path: string;
}

/** A lookup's answer: the asset, or a message saying what is known instead. */
export type Lookup<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

export interface AssetResolver {
  component(reference: AssetReference): Lookup<RegisteredComponent>;
  data(reference: AssetReference): Lookup<RegisteredData>;
  /**
   * The folder of datastore `name`, or its `s3://bucket/prefix` for one in object storage;
   * `workspaceblobstore` always exists.
   */
  datastore(name: string): Lookup<string>;
  /** How the coordinator reaches an object-storage datastore; undefined for a folder (or no such store). */
  datastoreConnection?(name: string): ObjectStoreConnection | undefined;
}

/**
 * Parses `azureml:NAME:VERSION`, `azureml:NAME@latest`, `azureml:NAME`; undefined for anything else
 * (including `azureml://…` URIs).
 */
export function parseAssetReference(text: string): AssetReference | undefined {
  const match = /^azureml:(?!\/\/)([A-Za-z0-9_.-]+)(?:(?::([A-Za-z0-9_.-]+))|@(latest))?$/.exec(text.trim());
  if (!match) return undefined;
  return { name: match[1] as string, version: match[2] };
}

/** `NAME:VERSION` or `NAME@latest`, for messages. */
export function formatAssetReference(reference: AssetReference): string {
  return reference.version === undefined ? `${reference.name}@latest` : `${reference.name}:${reference.version}`;
}

/** A resolver with no assets and no datastores: what the compiler uses when it is given none. */
export const NO_ASSETS: AssetResolver = {
  component: (reference) => ({
    ok: false,
    message: `component ${formatAssetReference(reference)} cannot be looked up: no asset store (give --data-dir)`,
  }),
  data: (reference) => ({
    ok: false,
    message: `data asset ${formatAssetReference(reference)} cannot be looked up: no asset store (give --data-dir)`,
  }),
  datastore: (name) => ({
    ok: false,
    message: `datastore "${name}" cannot be looked up: no data dir (give --data-dir)`,
  }),
};
