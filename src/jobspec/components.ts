/**
 * Finds and reads the component a step names: `component: ./x.yml` (relative to the file the step is
 * written in), `azureml:NAME[:VERSION|@latest]` (through the asset resolver) or the component written
 * inline. A component's own paths resolve against its own folder. Files are read once per compilation.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

import { SpecErrors } from '../errors.js';
import { type AssetResolver, formatAssetReference, parseAssetReference } from './assets/resolver.js';
import type { Diagnostics } from './diagnostics.js';
import { type KeyPath, YamlSource } from './yaml-source.js';

/** A component's text, wherever it came from, with where to report its problems. */
export interface ComponentDoc {
  /** Diagnostics located in the file the component is written in. */
  readonly diagnostics: Diagnostics;
  /** Where the component sits in that file: `[]` for a file of its own. */
  readonly path: KeyPath;
  /** The folder its relative paths resolve against. */
  readonly baseDir: string;
  readonly raw: Record<string, unknown>;
  /** The component file's absolute path, or `azureml:NAME:VERSION`, or `<file>#<key path>` inline. */
  readonly identity: string;
}

/** Component files already read in this compilation, by absolute path (undefined: unreadable). */
export type ComponentCache = Map<string, YamlSource | undefined>;

export interface ComponentLookupScope {
  /** Diagnostics of the file the step is written in. */
  readonly diagnostics: Diagnostics;
  /** The step's `component` key. */
  readonly at: KeyPath;
  /** The folder of the file the step is written in. */
  readonly baseDir: string;
  readonly assets: AssetResolver;
  readonly cache: ComponentCache;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readSource(file: string, scope: ComponentLookupScope): YamlSource | undefined {
  if (scope.cache.has(file)) return scope.cache.get(file);
  let source: YamlSource | undefined;
  try {
    source = YamlSource.parse(file, readFileSync(file, 'utf8'));
  } catch (error) {
    if (error instanceof SpecErrors) scope.diagnostics.addErrors(error.errors);
    else scope.diagnostics.error(scope.at, `cannot read the component file ${file}: ${(error as Error).message}`);
  }
  scope.cache.set(file, source);
  return source;
}

function fromFile(file: string, identity: string, scope: ComponentLookupScope): ComponentDoc | undefined {
  const source = readSource(file, scope);
  if (!source) return undefined;
  const raw = source.toJS();
  const diagnostics = scope.diagnostics.forSource(source);
  if (!isMap(raw)) {
    diagnostics.error([], 'expected a component: a map with type, inputs, outputs and command (or task, or jobs)');
    return undefined;
  }
  return { diagnostics, path: [], baseDir: dirname(file), raw, identity };
}

/** The component `ref` names (see the module comment); undefined after recording an error. */
export function loadComponent(ref: unknown, scope: ComponentLookupScope): ComponentDoc | undefined {
  if (isMap(ref)) {
    const file = scope.diagnostics.source.file;
    return {
      diagnostics: scope.diagnostics,
      path: scope.at,
      baseDir: scope.baseDir,
      raw: ref,
      identity: `${resolve(file)}#${scope.at.join('.')}`,
    };
  }
  if (typeof ref !== 'string' || ref.trim() === '') {
    scope.diagnostics.error(
      scope.at,
      'expected a component file path, azureml:NAME[:VERSION|@latest], or the component inline',
    );
    return undefined;
  }
  const text = ref.trim();
  if (text.startsWith('azureml:')) {
    const reference = parseAssetReference(text);
    if (!reference) {
      scope.diagnostics.error(
        scope.at,
        `expected azureml:NAME:VERSION, azureml:NAME@latest or azureml:NAME (registry components are not supported), got "${text}"`,
      );
      return undefined;
    }
    const found = scope.assets.component(reference);
    if (!found.ok) {
      scope.diagnostics.error(scope.at, found.message);
      return undefined;
    }
    return fromFile(
      found.value.file,
      `azureml:${formatAssetReference({ name: found.value.name, version: found.value.version })}`,
      scope,
    );
  }
  // `file:./x.yml` is Azure's explicit spelling of a local component file.
  const file = resolve(scope.baseDir, text.replace(/^file:/, ''));
  return fromFile(file, file, scope);
}
