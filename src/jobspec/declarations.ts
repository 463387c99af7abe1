/**
 * A component's typed inputs and outputs meet the values a step gives them: defaults fill what is left
 * out, a required input left unset is an error, and literal values are checked against the declared
 * type, min/max and enum before anything runs.
 */
import { inputsInOptionalSegments } from './bindings.js';
import type { InputDeclarationSpec, OutputDeclarationSpec } from './component-schema.js';
import type { Diagnostics } from './diagnostics.js';
import type { BoundInput } from './inputs.js';
import { unknownKeyMessage } from './nearest-key.js';
import type { InputValueSpec, OutputValueSpec } from './schema.js';
import type { KeyPath } from './yaml-source.js';

const PRIMITIVE = new Set(['number', 'integer', 'boolean', 'string']);

/** Where a step's values and the component's declarations are written. */
export interface DeclarationScope {
  /** Diagnostics of the file the step is written in. */
  readonly diagnostics: Diagnostics;
  readonly stepPath: KeyPath;
  /** Diagnostics of the component's file, and where the component sits in it. */
  readonly componentDiagnostics: Diagnostics;
  readonly componentPath: KeyPath;
}

type Declarations<T> = Readonly<Record<string, T | null>> | undefined;

function reportUnknown(names: readonly string[], declared: readonly string[], kind: string, scope: DeclarationScope) {
  for (const name of names) {
    if (declared.includes(name)) continue;
    const hint = declared.length === 0 ? `the component declares no ${kind}` : unknownKeyMessage(name, declared);
    scope.diagnostics.error(
      [...scope.stepPath, kind, name],
      `not an ${kind.slice(0, -1)} of the component: ${hint}`,
      true,
    );
  }
}

/**
 * The input values to compile: the step's value for each declared input, else its default, else
 * nothing (optional) — a required input with neither is an error. A data input's value is written as
 * a data object carrying the declared type and mode, so that a path or binding given as a plain
 * string is read as data.
 */
export function mergeInputValues(
  declarations: Declarations<InputDeclarationSpec>,
  values: Readonly<Record<string, InputValueSpec>> | undefined,
  scope: DeclarationScope,
): Record<string, InputValueSpec> {
  const given = values ?? {};
  const declared = Object.keys(declarations ?? {});
  reportUnknown(Object.keys(given), declared, 'inputs', scope);
  const out: Record<string, InputValueSpec> = {};
  for (const [name, declaration] of Object.entries(declarations ?? {})) {
    const type = declaration?.type ?? 'uri_folder';
    const value = Object.hasOwn(given, name) ? given[name] : undefined;
    if (value === undefined || value === null) {
      if (declaration?.default !== undefined) {
        out[name] = declaration.default;
      } else if (declaration?.optional === true || value === null) {
        if (declaration?.optional !== true) {
          scope.diagnostics.error(
            [...scope.stepPath, 'inputs', name],
            `is required (a ${type} input of the component) and has no value`,
          );
        }
        out[name] = null;
      } else {
        scope.diagnostics.error(
          [...scope.stepPath, 'inputs'],
          `required input "${name}" (${type}) is not set; give it under inputs (the component has no default)`,
        );
      }
      continue;
    }
    if (PRIMITIVE.has(type)) {
      out[name] = value;
    } else if (typeof value === 'string') {
      out[name] = { type: dataTypeOf(type), path: value, ...(declaration?.mode ? { mode: declaration.mode } : {}) };
    } else if (typeof value === 'object') {
      out[name] = {
        ...value,
        type: value.type ?? dataTypeOf(type),
        ...(value.mode === undefined && declaration?.mode ? { mode: declaration.mode } : {}),
      };
    } else {
      out[name] = value;
    }
  }
  return out;
}

function dataTypeOf(type: string): 'uri_folder' | 'uri_file' | 'mltable' {
  return type === 'uri_file' || type === 'mltable' ? type : 'uri_folder';
}

/** Names of the declared inputs that are optional (no value means their `$[[…]]` drops). */
export function optionalInputs(declarations: Declarations<InputDeclarationSpec>): Set<string> {
  return new Set(
    Object.entries(declarations ?? {})
      .filter(([, declaration]) => declaration?.optional === true)
      .map(([name]) => name),
  );
}

/** Why `value` does not fit `declaration`, or undefined when it does. */
export function literalProblem(value: string, declaration: InputDeclarationSpec): string | undefined {
  const { type } = declaration;
  if (type === 'integer' || type === 'number') {
    const number = Number(value);
    if (value.trim() === '' || !Number.isFinite(number))
      return `expected ${type === 'integer' ? 'an integer' : 'a number'}, got "${value}"`;
    // Azure takes 10.0 for an integer ("backend returns 10.0").
    if (type === 'integer' && !Number.isInteger(number)) return `expected an integer, got ${value}`;
    if (declaration.min !== undefined && number < declaration.min)
      return `${value} is below the minimum ${declaration.min}`;
    if (declaration.max !== undefined && number > declaration.max)
      return `${value} is above the maximum ${declaration.max}`;
  }
  if (type === 'boolean' && !/^(true|false)$/i.test(value)) return `expected true or false, got "${value}"`;
  if (declaration.enum !== undefined && !declaration.enum.map(String).includes(value)) {
    return `"${value}" is not one of ${declaration.enum.map((item) => `"${String(item)}"`).join(', ')}`;
  }
  return undefined;
}

/** Checks each bound input against its declaration (literal vs data, type, min/max, enum). */
export function checkDeclaredInputs(
  declarations: Declarations<InputDeclarationSpec>,
  bound: ReadonlyMap<string, BoundInput>,
  scope: DeclarationScope,
): void {
  for (const [name, declaration] of Object.entries(declarations ?? {})) {
    const input = bound.get(name);
    if (!declaration || input?.state !== 'value') continue;
    const primitive = PRIMITIVE.has(declaration.type);
    if (primitive && input.input.kind === 'data') {
      scope.diagnostics.error(
        input.origin,
        `input "${name}" is declared ${declaration.type}, but is given data (${input.input.type})`,
      );
      continue;
    }
    if (!primitive || input.input.kind !== 'literal') continue;
    const problem = literalProblem(input.input.value, declaration);
    if (problem !== undefined)
      scope.diagnostics.error(input.origin, `input "${name}" (${declaration.type}): ${problem}`);
  }
  for (const [name, declaration] of Object.entries(declarations ?? {})) {
    if (declaration?.default === undefined) continue;
    if (!PRIMITIVE.has(declaration.type)) {
      scope.componentDiagnostics.error(
        [...scope.componentPath, 'inputs', name, 'default'],
        'a data input cannot have a default (Azure: "Non-primitive type Input has no default value")',
      );
      continue;
    }
    const problem = literalProblem(String(declaration.default), declaration);
    if (problem !== undefined)
      scope.componentDiagnostics.error([...scope.componentPath, 'inputs', name, 'default'], problem);
  }
}

/**
 * The output values to compile: the step's value for each declared output, else the declaration
 * (type and mode). A binding given as a string keeps the declared type.
 */
export function mergeOutputValues(
  declarations: Declarations<OutputDeclarationSpec>,
  values: Readonly<Record<string, OutputValueSpec>> | undefined,
  scope: DeclarationScope,
): Record<string, OutputValueSpec> {
  const given = values ?? {};
  reportUnknown(Object.keys(given), Object.keys(declarations ?? {}), 'outputs', scope);
  const out: Record<string, OutputValueSpec> = {};
  for (const [name, declaration] of Object.entries(declarations ?? {})) {
    const type = declaration?.type;
    const value = Object.hasOwn(given, name) ? given[name] : undefined;
    const typed = type === undefined ? {} : { type };
    if (value === undefined || value === null)
      out[name] = declaration?.path ? { ...typed, path: declaration.path } : typed;
    else if (typeof value === 'string') out[name] = { ...typed, path: value };
    else out[name] = { ...typed, ...value };
  }
  return out;
}

/** `$[[ … ]]` may only hold optional inputs (Azure: "Only optional inputs can be in $[[]]"). */
export function checkOptionalSegments(
  template: string,
  declarations: Declarations<InputDeclarationSpec>,
  at: { readonly diagnostics: Diagnostics; readonly path: KeyPath },
): void {
  for (const name of new Set(inputsInOptionalSegments(template))) {
    const declaration = declarations?.[name];
    if (declaration && declaration.optional !== true) {
      at.diagnostics.error(
        at.path,
        `input "${name}" is required, so it cannot be inside $[[ … ]] (only optional inputs can); declare it optional: true or drop the brackets`,
      );
    }
  }
}
