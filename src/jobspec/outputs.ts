/**
 * Compiles pipeline and step outputs: types, local paths, the defaults under the step's run
 * directory, and `${{parent.outputs.y}}` bindings that make a step output the pipeline's output.
 */
import { join } from 'node:path';

import { isS3Uri } from '../storage/s3-location.js';
import type { AssetResolver } from './assets/resolver.js';
import { hasExpression, parseReference, wholeExpression } from './bindings.js';
import { isDatastoreUri, resolveDatastorePath } from './datastore-path.js';
import type { Diagnostics } from './diagnostics.js';
import { resolveLocalPath } from './local-path.js';
import type { CompiledOutput } from './model.js';
import { objectStorePath } from './object-store-path.js';
import type { OutputObjectSpec, OutputValueSpec } from './schema.js';
import { AZURE_ONLY_KEYS } from './schema.js';
import type { KeyPath } from './yaml-source.js';

/** File name of the append_row target inside a folder output (Azure's default). */
export const APPEND_ROW_FILE_NAME = 'parallel_run_step.txt';

/** A pipeline-level output as declared: what a step output bound to it takes over. */
export interface PipelineOutputDeclaration {
  readonly type: CompiledOutput['type'] | undefined;
  /** Absolute path, when the pipeline gives a local one. */
  readonly path: string | undefined;
  /**
   * An `azureml://datastores/…` path as written: its `${{name}}` and `${{output_name}}` are those of
   * the step that binds the output, so it is resolved there.
   */
  readonly datastorePath?: string | undefined;
}

/** Where datastore paths are resolved and what their expressions stand for. */
export interface DatastoreScope {
  readonly assets: AssetResolver;
  readonly defaultDatastore: string;
  /** The run's job name; a step's `${{name}}` is `<job name>-<step name>`. */
  readonly jobName: string;
}

/** Where a step's outputs are evaluated: the pipeline's outputs (if any) and the step's run dir. */
export interface OutputScope {
  readonly diagnostics: Diagnostics;
  readonly baseDir: string;
  readonly stepName: string;
  readonly stepRunDir: string;
  /** Datastores; undefined: datastore paths are refused (a standalone parallel file). */
  readonly datastores?: DatastoreScope | undefined;
  /**
   * Command steps: mltable stays mltable (the command writes the MLTable file) and a uri_file output
   * without a path is `<folder>/<output name>`. Parallel steps write a folder and `parallel_run_step.txt`.
   */
  readonly commandStep?: boolean;
  /** undefined for a standalone file (no parent pipeline). */
  readonly parentOutputs: ReadonlyMap<string, PipelineOutputDeclaration> | undefined;
  /** Filled with (pipeline output, step, step output) for each `${{parent.outputs.y}}` binding. */
  readonly bindings: { name: string; step: string; output: string }[];
}

/**
 * An output's type: model types are folders; for a parallel step mltable is written as a folder (with
 * a warning); undefined when not written.
 */
function outputType(
  spec: OutputObjectSpec,
  path: KeyPath,
  diagnostics: Diagnostics,
  keepMltable = false,
): CompiledOutput['type'] | undefined {
  if (spec.type === 'mltable' && !keepMltable) {
    diagnostics.warn([...path, 'type'], 'mltable is written as a uri_folder by parajob (no MLTable file is generated)');
    return 'uri_folder';
  }
  if (spec.type === 'mlflow_model' || spec.type === 'custom_model') return 'uri_folder';
  return spec.type;
}

/**
 * Compiles a pipeline's `outputs` map: declared types and resolved paths, for the steps that bind
 * them. Records errors for remote paths and expressions.
 */
export function compilePipelineOutputs(
  specs: Readonly<Record<string, OutputObjectSpec | null>> | undefined,
  path: KeyPath,
  diagnostics: Diagnostics,
  baseDir: string,
): Map<string, PipelineOutputDeclaration> {
  const out = new Map<string, PipelineOutputDeclaration>();
  for (const [name, spec] of Object.entries(specs ?? {})) {
    const at = [...path, name];
    if (spec === null) {
      out.set(name, { type: undefined, path: undefined });
      continue;
    }
    diagnostics.warnAzureOnly(spec, AZURE_ONLY_KEYS.output, at);
    if (spec.path !== undefined && isDatastoreUri(spec.path)) {
      out.set(name, { type: outputType(spec, at, diagnostics, true), path: undefined, datastorePath: spec.path });
      continue;
    }
    out.set(name, {
      type: outputType(spec, at, diagnostics, true),
      path: resolveOutputPath(spec.path, [...at, 'path'], diagnostics, baseDir),
    });
  }
  return out;
}

function resolveOutputPath(
  raw: string | undefined,
  path: KeyPath,
  diagnostics: Diagnostics,
  baseDir: string,
): string | undefined {
  if (raw === undefined) return undefined;
  if (hasExpression(raw)) {
    diagnostics.error(
      path,
      'expressions in output paths (${{name}}, ${{default_datastore}}, …) are not supported; give a local path',
    );
    return undefined;
  }
  const resolved = resolveLocalPath(raw, baseDir);
  if (!resolved.ok) {
    diagnostics.error(path, resolved.message);
    return undefined;
  }
  return resolved.path;
}

/** The pipeline output named by a whole `${{parent.outputs.y}}`, recording the binding; undefined on error. */
function bindParentOutput(
  expression: string,
  name: string,
  path: KeyPath,
  scope: OutputScope,
): PipelineOutputDeclaration | undefined {
  const reference = parseReference(expression);
  if (reference?.scope !== 'parent' || reference.kind !== 'outputs') {
    scope.diagnostics.error(
      path,
      `\${{${expression}}} cannot be an output's value; a step output binds a pipeline output as \${{parent.outputs.<name>}}`,
    );
    return undefined;
  }
  if (!scope.parentOutputs) {
    scope.diagnostics.error(path, `\${{${expression}}} cannot be resolved: there is no parent pipeline here`);
    return undefined;
  }
  const declared = scope.parentOutputs.get(reference.name);
  if (!declared) {
    const known = [...scope.parentOutputs.keys()].join(', ') || '(none)';
    scope.diagnostics.error(path, `unknown pipeline output "${reference.name}"; the pipeline's outputs are: ${known}`);
    return undefined;
  }
  scope.bindings.push({ name: reference.name, step: scope.stepName, output: name });
  return declared;
}

/**
 * Compiles one step output written at `path`. A bound pipeline output's type and path win when it
 * gives them; without a path the output lives at `<step run dir>/outputs/<name>` (a uri_file at
 * `<…>/outputs/<name>/parallel_run_step.txt`). Returns undefined after recording an error.
 */
export function compileStepOutput(
  name: string,
  value: OutputValueSpec,
  path: KeyPath,
  scope: OutputScope,
): CompiledOutput | undefined {
  let spec: OutputObjectSpec = {};
  let pathKey = path;
  let bindingText: string | undefined;
  if (typeof value === 'string') {
    bindingText = value;
  } else if (value !== null) {
    spec = value;
    scope.diagnostics.warnAzureOnly(spec, AZURE_ONLY_KEYS.output, path);
    if (spec.path !== undefined && hasExpression(spec.path)) {
      bindingText = spec.path;
      pathKey = [...path, 'path'];
    }
  }
  let declared: PipelineOutputDeclaration | undefined;
  const datastoreText = spec.path !== undefined && isDatastoreUri(spec.path) ? spec.path : undefined;
  if (datastoreText !== undefined) bindingText = undefined;
  if (bindingText !== undefined) {
    const expression = wholeExpression(bindingText);
    if (expression === undefined) {
      const detail = hasExpression(bindingText)
        ? 'a binding must be the whole value, e.g. ${{parent.outputs.<name>}}'
        : 'an output is a map {type, path} or ${{parent.outputs.<name>}}';
      scope.diagnostics.error(pathKey, detail);
      return undefined;
    }
    declared = bindParentOutput(expression, name, pathKey, scope);
    if (!declared) return undefined;
  }
  const keepMltable = scope.commandStep === true;
  const written = declared?.type ?? outputType(spec, path, scope.diagnostics, keepMltable) ?? 'uri_folder';
  const type = written === 'mltable' && !keepMltable ? 'uri_folder' : written;
  const datastorePath = datastoreText ?? declared?.datastorePath;
  if (datastorePath !== undefined) {
    const resolved = resolveStepDatastorePath(datastorePath, name, datastoreText ? [...path, 'path'] : pathKey, scope);
    if (resolved === undefined) return undefined;
    if (isS3Uri(resolved.path)) {
      return { ...defaultOutput(name, type, scope), explicitPath: true, remote: resolved.path, store: resolved.store };
    }
    return { name, type, path: resolved.path, explicitPath: true };
  }
  if (bindingText === undefined && spec.path !== undefined && isS3Uri(spec.path)) {
    const remote = objectStorePath(spec.path);
    if (!remote.ok) {
      scope.diagnostics.error([...path, 'path'], remote.message);
      return undefined;
    }
    return { ...defaultOutput(name, type, scope), explicitPath: true, remote: remote.path };
  }
  const ownPath =
    bindingText === undefined
      ? resolveOutputPath(spec.path, [...path, 'path'], scope.diagnostics, scope.baseDir)
      : undefined;
  if (bindingText === undefined && spec.path !== undefined && ownPath === undefined) return undefined;
  const explicit = declared?.path ?? ownPath;
  if (explicit !== undefined) return { name, type, path: explicit, explicitPath: true };
  return defaultOutput(name, type, scope);
}

/**
 * An output without a path: `<step run dir>/outputs/<name>`, a uri_file being the file
 * `parallel_run_step.txt` (parallel steps) or `<name>` (command steps) in that folder.
 */
function defaultOutput(name: string, type: CompiledOutput['type'], scope: OutputScope): CompiledOutput {
  const folder = join(scope.stepRunDir, 'outputs', name);
  const fileName = scope.commandStep === true ? name : APPEND_ROW_FILE_NAME;
  return { name, type, path: type === 'uri_file' ? join(folder, fileName) : folder, explicitPath: false };
}

/** The `${{name}}` of a step: the job's name and the step's, so that each run writes its own place. */
export function stepJobName(jobName: string, stepName: string): string {
  return `${jobName}-${stepName.replaceAll('/', '-')}`;
}

function resolveStepDatastorePath(
  raw: string,
  outputName: string,
  at: KeyPath,
  scope: OutputScope,
): { readonly path: string; readonly store?: CompiledOutput['store'] } | undefined {
  if (!scope.datastores) {
    scope.diagnostics.error(at, 'datastore paths need a pipeline (and a data dir); give a local path');
    return undefined;
  }
  const { assets, defaultDatastore, jobName } = scope.datastores;
  const values = { name: stepJobName(jobName, scope.stepName), outputName, defaultDatastore };
  const resolved = resolveDatastorePath(raw, values, assets);
  if (resolved.kind === 'path') return resolved;
  scope.diagnostics.error(at, resolved.kind === 'error' ? resolved.message : `expected a datastore path, got "${raw}"`);
  return undefined;
}
