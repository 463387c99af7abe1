/**
 * A component built in code (`command({...})`, `parallelRunFunction({...})`) as the component YAML
 * `parajob component create` registers: its keys, typed input and output declarations, its name and
 * version. Relative paths (`code`, `task.code`, an input's default `path`) are made absolute against
 * the base folder, so the document means the same wherever it is written; the registration then
 * snapshots the code as it does for a component file.
 */
import { isAbsolute, resolve } from 'node:path';

import type { CodeBuiltComponent } from './component.js';
import { isInput, type Output } from './io.js';
import { compact } from './step.js';

/** Name, version and base folder of a component registered from code. */
export interface ComponentDocumentOptions {
  /** @default the component's own name */
  readonly name?: string;
  /** @default the next number after the registered ones */
  readonly version?: string;
  /** Where relative paths point from. @default the current folder */
  readonly baseDir?: string;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A path made absolute against `baseDir`; an `azureml:` or URI path is left alone. */
function absolutePath(path: unknown, baseDir: string): unknown {
  if (typeof path !== 'string' || isAbsolute(path) || /^[a-z][a-z0-9+.-]*:/i.test(path)) return path;
  return resolve(baseDir, path);
}

/**
 * An input declaration: an `Input({...})`, or a literal default (its type from its value). A relative
 * `path` is made absolute against `baseDir`, or kept as written without one.
 */
export function inputDeclaration(declared: unknown, baseDir?: string): Record<string, unknown> {
  if (isInput(declared))
    return compact({
      type: declared.type,
      default: declared.default,
      optional: declared.optional,
      description: declared.description,
      mode: declared.mode,
      path: baseDir === undefined ? declared.path : absolutePath(declared.path, baseDir),
    });
  const type =
    typeof declared === 'boolean'
      ? 'boolean'
      : typeof declared === 'number'
        ? Number.isInteger(declared)
          ? 'integer'
          : 'number'
        : 'string';
  return { type, default: declared };
}

/** An output declaration: type, mode and description (where it goes is the step's business). */
function outputDeclaration(declared: Output | undefined): Record<string, unknown> {
  return compact({ type: declared?.type ?? 'uri_folder', mode: declared?.mode, description: declared?.description });
}

/** The component YAML document of a component built in code (see the module comment). */
export function componentDocument(
  built: CodeBuiltComponent,
  options: ComponentDocumentOptions = {},
): Record<string, unknown> {
  const baseDir = resolve(options.baseDir ?? '.');
  const { base, inputs, outputs } = built.template;
  // A component has no compute of its own on a command (Azure's command component schema).
  const { compute, ...keys } = base;
  const task = isMap(keys.task) ? { ...keys.task, code: absolutePath(keys.task.code, baseDir) } : undefined;
  return compact({
    ...keys,
    ...(built.type === 'parallel' ? { compute } : {}),
    name: options.name ?? built.name,
    version: options.version,
    type: built.type,
    code: absolutePath(keys.code, baseDir),
    task: task === undefined ? undefined : compact(task),
    inputs:
      Object.keys(inputs).length === 0
        ? undefined
        : Object.fromEntries(Object.entries(inputs).map(([name, value]) => [name, inputDeclaration(value, baseDir)])),
    outputs:
      Object.keys(outputs).length === 0
        ? undefined
        : Object.fromEntries(Object.entries(outputs).map(([name, value]) => [name, outputDeclaration(value)])),
  });
}
