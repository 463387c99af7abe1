/**
 * Compiles pipeline and step inputs: literals, local data inputs and `${{parent.inputs.x}}` bindings
 * (a step's input values are evaluated in the pipeline's context).
 */
import { isS3Uri } from '../storage/s3-location.js';
import { type AssetResolver, NO_ASSETS, parseAssetReference } from './assets/resolver.js';
import { hasExpression, parseReference, type Reference, wholeExpression } from './bindings.js';
import { resolveDatastorePath } from './datastore-path.js';
import type { Diagnostics } from './diagnostics.js';
import { resolveLocalPath } from './local-path.js';
import type { CompiledInput, CompiledOutput, DataInput } from './model.js';
import { objectStorePath } from './object-store-path.js';
import type { TemplateScope } from './render.js';
import type { DataInputSpec, InputValueSpec } from './schema.js';
import { AZURE_ONLY_KEYS } from './schema.js';
import type { KeyPath } from './yaml-source.js';

/**
 * An input after compilation: a value (with `origin`, where its path or value was written), `absent`
 * (an optional input with no value) or `invalid` (an error was already recorded for it).
 */
export type BoundInput =
  | { readonly state: 'value'; readonly input: CompiledInput; readonly origin: KeyPath }
  | { readonly state: 'absent' }
  | { readonly state: 'invalid' };

/**
 * What `${{parent.jobs.S.outputs.o}}` / `${{parent.jobs.S.inputs.i}}` resolve to: the bound input (an
 * output becomes a data input with `from`), or a message saying why not.
 */
export type JobsLookup = (reference: {
  readonly step: string;
  readonly io: 'inputs' | 'outputs';
  readonly name: string;
}) => BoundInput | string;

/** What an input's value is evaluated against: the pipeline's inputs, or nothing (no parent). */
export interface InputScope {
  readonly diagnostics: Diagnostics;
  /** The YAML file's folder: local paths are relative to it. */
  readonly baseDir: string;
  /** The pipeline's inputs, for a step of a pipeline; undefined at pipeline level or standalone. */
  readonly parentInputs: ReadonlyMap<string, BoundInput> | undefined;
  /** The sibling steps, for a step of a pipeline; undefined: `${{parent.jobs…}}` cannot be used. */
  readonly jobs?: JobsLookup | undefined;
  /** Registered data assets and datastores; default: none. */
  readonly assets?: AssetResolver | undefined;
  /** `${{default_datastore}}` in a datastore path. */
  readonly defaultDatastore?: string | undefined;
}

/** Azure's model types are folders to parajob. */
export function dataType(type: string | undefined): DataInput['type'] | undefined {
  if (type === undefined) return undefined;
  return type === 'uri_file' || type === 'mltable' ? type : 'uri_folder';
}

/**
 * The local path a data input's `path:` names: a local path, an `azureml:DATA[:VERSION|@latest]`
 * data asset (with its type) or an `azureml://datastores/<ds>/paths/<p>` location.
 */
export function resolveDataPath(
  raw: string,
  scope: InputScope,
): { ok: true; path: string; type?: DataInput['type']; store?: DataInput['store'] } | { ok: false; message: string } {
  const reference = parseAssetReference(raw);
  const assets = scope.assets ?? NO_ASSETS;
  if (reference) {
    const data = assets.data(reference);
    return data.ok ? { ok: true, path: data.value.path, type: data.value.type } : data;
  }
  const store = resolveDatastorePath(
    raw,
    { name: '', outputName: undefined, defaultDatastore: scope.defaultDatastore ?? DEFAULT_DATASTORE_NAME },
    assets,
  );
  if (store.kind === 'path') return { ok: true, path: store.path, ...(store.store ? { store: store.store } : {}) };
  if (store.kind === 'error') return { ok: false, message: store.message };
  if (isS3Uri(raw)) return objectStorePath(raw);
  return resolveLocalPath(raw, scope.baseDir);
}

const DEFAULT_MODE: DataInput['mode'] = 'ro_mount';
/** Azure's default datastore, a folder under the data dir. */
export const DEFAULT_DATASTORE_NAME = 'workspaceblobstore';
const DEFAULT_TYPE: DataInput['type'] = 'uri_folder';

/**
 * Resolves a `${{parent.inputs.x}}` reference to the pipeline input it names; records an error and
 * returns invalid for any other reference (they cannot be an input's value here).
 */
function resolveParentInput(expression: string, path: KeyPath, scope: InputScope): BoundInput {
  const reference: Reference | undefined = parseReference(expression);
  const fail = (detail: string): BoundInput => {
    scope.diagnostics.error(path, detail);
    return { state: 'invalid' };
  };
  if (reference?.scope === 'parent' && reference.kind === 'jobs') {
    if (!scope.jobs) return fail(`\${{${expression}}} cannot be resolved: there are no sibling steps here`);
    const found = scope.jobs(reference);
    return typeof found === 'string' ? fail(found) : found;
  }
  if (!scope.parentInputs) {
    return fail(`\${{${expression}}} cannot be resolved: there is no parent pipeline here; give the value itself`);
  }
  if (reference?.scope !== 'parent' || reference.kind !== 'inputs') {
    return fail(
      `\${{${expression}}} cannot be an input's value; a step input binds a pipeline input as \${{parent.inputs.<name>}}`,
    );
  }
  const bound = scope.parentInputs.get(reference.name);
  if (!bound) {
    const known = [...scope.parentInputs.keys()];
    return fail(
      `unknown pipeline input "${reference.name}"; the pipeline's inputs are: ${known.join(', ') || '(none)'}`,
    );
  }
  return bound;
}

function compileDataObject(name: string, spec: DataInputSpec, path: KeyPath, scope: InputScope): BoundInput {
  const pathKey = [...path, 'path'];
  let bound: BoundInput | undefined;
  if (spec.path !== undefined) {
    const expression = wholeExpression(spec.path);
    if (expression !== undefined) {
      bound = resolveParentInput(expression, pathKey, scope);
    } else if (hasExpression(spec.path)) {
      scope.diagnostics.error(pathKey, 'a binding must be the whole value, e.g. path: ${{parent.inputs.<name>}}');
      return { state: 'invalid' };
    } else {
      const resolved = resolveDataPath(spec.path, scope);
      if (!resolved.ok) {
        scope.diagnostics.error(pathKey, resolved.message);
        return { state: 'invalid' };
      }
      bound = {
        state: 'value',
        input: {
          kind: 'data',
          name,
          type: resolved.type ?? DEFAULT_TYPE,
          path: resolved.path,
          mode: DEFAULT_MODE,
          ...(resolved.store ? { store: resolved.store } : {}),
        },
        origin: pathKey,
      };
    }
  }
  if (bound === undefined) {
    if (spec.optional === true) return { state: 'absent' };
    scope.diagnostics.error(path, 'a data input needs a path (or optional: true when it may be left out)');
    return { state: 'invalid' };
  }
  if (bound.state !== 'value') return bound;
  const from = bound.input;
  const wanted = dataType(spec.type);
  if (
    from.kind === 'data' &&
    from.from &&
    wanted !== undefined &&
    (wanted === 'uri_file') !== (from.type === 'uri_file')
  ) {
    scope.diagnostics.error(
      pathKey,
      `type mismatch across the edge: output "${from.from.output}" of step ${from.from.step} is ${from.type}, but this input is ${wanted} (a file cannot stand for a folder, nor a folder for a file)`,
    );
    return { state: 'invalid' };
  }
  // A bound literal (a pipeline input given as a string) is taken as a path.
  let dataPath = from.kind === 'data' ? from.path : undefined;
  let store = from.kind === 'data' ? from.store : undefined;
  if (from.kind === 'literal') {
    const resolved = resolveDataPath(from.value, scope);
    if (!resolved.ok) {
      scope.diagnostics.error(pathKey, resolved.message);
      return { state: 'invalid' };
    }
    dataPath = resolved.path;
    store = resolved.store;
  }
  return {
    state: 'value',
    input: {
      kind: 'data',
      name,
      type: dataType(spec.type) ?? (from.kind === 'data' ? from.type : DEFAULT_TYPE),
      path: dataPath as string,
      mode: spec.mode ?? (from.kind === 'data' ? from.mode : DEFAULT_MODE),
      ...(from.kind === 'data' && from.from ? { from: from.from } : {}),
      ...(store ? { store } : {}),
    },
    origin: bound.origin,
  };
}

/**
 * Compiles one input written at `path`. Literals become their string form; a string that is a whole
 * `${{parent.inputs.x}}` takes the pipeline input (renamed); objects become data inputs with local
 * paths resolved, type uri_folder and mode ro_mount by default. Errors are recorded in the scope's
 * diagnostics and give `invalid`.
 */
export function compileInput(name: string, value: InputValueSpec, path: KeyPath, scope: InputScope): BoundInput {
  if (value === null) return { state: 'absent' };
  if (typeof value === 'number' || typeof value === 'boolean') {
    return { state: 'value', input: { kind: 'literal', name, value: String(value) }, origin: path };
  }
  if (typeof value === 'string') {
    const expression = wholeExpression(value);
    if (expression === undefined) {
      if (hasExpression(value)) {
        scope.diagnostics.error(path, 'a binding must be the whole value, e.g. ${{parent.inputs.<name>}}');
        return { state: 'invalid' };
      }
      return { state: 'value', input: { kind: 'literal', name, value }, origin: path };
    }
    const bound = resolveParentInput(expression, path, scope);
    return bound.state === 'value' ? { ...bound, input: { ...bound.input, name } } : bound;
  }
  return compileDataObject(name, value, path, scope);
}

/** Compiles a map of inputs written at `path` (e.g. `['jobs', 'score', 'inputs']`). */
export function compileInputs(
  specs: Readonly<Record<string, InputValueSpec>> | undefined,
  path: KeyPath,
  scope: InputScope,
): Map<string, BoundInput> {
  const out = new Map<string, BoundInput>();
  for (const [name, value] of Object.entries(specs ?? {})) {
    out.set(name, compileInput(name, value, [...path, name], scope));
    scope.diagnostics.warnAzureOnly(typeof value === 'object' ? value : undefined, AZURE_ONLY_KEYS.input, [
      ...path,
      name,
    ]);
  }
  return out;
}

/** The scoped names of the steps `inputs` consume from, each once, sorted. */
export function dependenciesOf(inputs: readonly CompiledInput[]): string[] {
  const steps = new Set<string>();
  for (const input of inputs) if (input.kind === 'data' && input.from) steps.add(input.from.step);
  return [...steps].sort();
}

/** A template scope (render.ts) over inputs and outputs as compiled, errors already recorded. */
export function boundTemplateScope(
  inputs: ReadonlyMap<string, BoundInput>,
  outputs: ReadonlyMap<string, CompiledOutput | undefined>,
  field: string,
): TemplateScope {
  return {
    input: (name) => inputs.get(name),
    output: (name) => (outputs.has(name) ? (outputs.get(name)?.path ?? '') : undefined),
    inputNames: [...inputs.keys()],
    outputNames: [...outputs.keys()],
    field,
  };
}
