/**
 * `azureml://datastores/<ds>/paths/<p>` paths: a datastore is a local folder, so the path is that
 * folder joined with `<p>` (or an `s3://bucket/prefix`, so the path is the key `<p>` below it), after `${{name}}`, `${{output_name}}` and `${{default_datastore}}` are
 * filled in. Pure, apart from the resolver it is given.
 */
import { resolve } from 'node:path';

import { childOf, formatS3Uri, isS3Uri, parseS3Uri } from '../storage/s3-location.js';
import type { ObjectStoreConnection } from '../storage/s3-settings.js';
import type { AssetResolver } from './assets/resolver.js';
import { expandTemplate, type Resolution } from './bindings.js';

const DATASTORE_URI = /^azureml:\/\/datastores\/([^/]+)\/paths\/(.*)$/;

/** What output path expressions stand for. */
export interface PathExpressionValues {
  /** `${{name}}`: the step's job name (unique per run). */
  readonly name: string;
  /** `${{output_name}}`: the output's name. */
  readonly outputName: string | undefined;
  /** `${{default_datastore}}`. */
  readonly defaultDatastore: string;
}

export type DatastorePathResult =
  | { readonly kind: 'path'; readonly path: string; readonly store?: ObjectStoreConnection | undefined }
  | { readonly kind: 'not-datastore' }
  | { readonly kind: 'error'; readonly message: string };

/** True when `text` is an `azureml://datastores/…` URI (expressions may still be in it). */
export function isDatastoreUri(text: string): boolean {
  return text.trim().startsWith('azureml://datastores/');
}

/** Fills `${{name}}`, `${{output_name}}`, `${{default_datastore}}` into `text`. */
export function expandPathExpressions(
  text: string,
  values: PathExpressionValues,
): { text: string; problems: readonly string[] } {
  return expandTemplate(text, (expression): Resolution => {
    if (expression === 'name') return { kind: 'value', value: values.name };
    if (expression === 'default_datastore') return { kind: 'value', value: values.defaultDatastore };
    if (expression === 'output_name' && values.outputName !== undefined)
      return { kind: 'value', value: values.outputName };
    return {
      kind: 'error',
      message: `\${{${expression}}} cannot be used in a path; use \${{name}}, \${{output_name}} or \${{default_datastore}}`,
    };
  });
}

/**
 * The local path of a datastore URI, expressions filled in; `not-datastore` for any other text. The
 * datastore must be known to `assets`; `<p>` may not climb out of the datastore's folder.
 */
export function resolveDatastorePath(
  raw: string,
  values: PathExpressionValues,
  assets: AssetResolver,
): DatastorePathResult {
  if (!isDatastoreUri(raw)) return { kind: 'not-datastore' };
  const expanded = expandPathExpressions(raw.trim(), values);
  if (expanded.problems.length > 0) return { kind: 'error', message: expanded.problems.join('; ') };
  const match = DATASTORE_URI.exec(expanded.text);
  if (!match) return { kind: 'error', message: `expected azureml://datastores/<datastore>/paths/<path>, got "${raw}"` };
  const store = assets.datastore(match[1] as string);
  if (!store.ok) return { kind: 'error', message: store.message };
  if (isS3Uri(store.value))
    return objectStoreDatastorePath(raw, match[1] as string, store.value, match[2] as string, assets);
  const path = resolve(store.value, match[2] as string);
  if (path !== store.value && !path.startsWith(`${store.value}/`)) {
    return { kind: 'error', message: `the path climbs out of datastore "${match[1]}": ${raw}` };
  }
  return { kind: 'path', path };
}

/**
 * `<p>` below an object-storage datastore's `s3://bucket/prefix`, with the datastore's connection.
 * `.` and `..` segments are refused: a key has no parent to climb to, and a path that looks like it
 * climbs should not silently name another key.
 */
function objectStoreDatastorePath(
  raw: string,
  name: string,
  root: string,
  relative: string,
  assets: AssetResolver,
): DatastorePathResult {
  const segments = relative.split('/');
  if (segments.some((segment) => segment === '.' || segment === '..')) {
    return { kind: 'error', message: `the path climbs out of datastore "${name}": ${raw}` };
  }
  const location = childOf(parseS3Uri(root), relative);
  return { kind: 'path', path: formatS3Uri(location), store: assets.datastoreConnection?.(name) };
}
