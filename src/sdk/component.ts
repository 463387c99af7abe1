/**
 * Components built in code or loaded from a file: `command({...})`, `parallelRunFunction({...})` and
 * `loadComponent('./prep.yml')`, Azure's SDK builders with TypeScript naming. A component is a function:
 * called inside a pipeline() function with its inputs, it adds a step and returns it. Each builder
 * only maps its options to the YAML keys Azure's CLI v2 uses; the one compiler (src/jobspec) checks
 * them when the pipeline is built.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { parse } from 'yaml';

import { SpecError } from '../errors.js';
import { currentCollector } from './build-context.js';
import { ValidationError } from './errors.js';
import {
  type DataType,
  type DataValue,
  Input,
  type InputType,
  type InputValue,
  isDataType,
  type Output,
  type PrimitiveArg,
  type PrimitiveType,
} from './io.js';
import { compact, Step, type StepOutput, type StepTemplate } from './step.js';

/** A declared input of a component built in code: an `Input({...})`, or a literal default value. */
export type InputDeclaration = Input | string | number | boolean;

/** What a step input declared as `D` may be given. */
export type InputArg<D> =
  D extends Input<infer T, boolean>
    ? T extends DataType
      ? DataValue
      : T extends PrimitiveType
        ? PrimitiveArg<T>
        : never
    : D extends number
      ? PrimitiveArg<'number'>
      : D extends string
        ? PrimitiveArg<'string'>
        : D extends boolean
          ? PrimitiveArg<'boolean'>
          : never;

/** The names of the inputs of `I` that must be given (no path, no default, not optional). */
export type RequiredInputs<I> = { [K in keyof I]-?: I[K] extends Input<InputType, false> ? K : never }[keyof I];

/** The inputs object a component declared with inputs `I` is called with. */
export type ComponentArgs<I> = { [K in RequiredInputs<I>]: InputArg<I[K]> } & {
  [K in Exclude<keyof I, RequiredInputs<I>>]?: InputArg<I[K]>;
};

/** The outputs of a step made from a component declared with outputs `O`. */
export type StepOutputs<O> = { [K in keyof O]: StepOutput<O[K] extends Output<infer T> ? T : DataType> };

/** Options of a component call. */
export interface StepOptions {
  /**
   * The step's name (its key under `jobs`). JavaScript cannot read variable names, so name steps
   * here; default: the component's name, then `<name>_2`, `<name>_3`, …
   */
  readonly name?: string;
}

/** The arguments of a component call: the inputs object is optional when no input is required. */
export type ComponentCallArgs<I> = [RequiredInputs<I>] extends [never]
  ? [inputs?: ComponentArgs<I>, options?: StepOptions]
  : [inputs: ComponentArgs<I>, options?: StepOptions];

/** A component: call it inside a pipeline() function to add a step. */
export interface Component<I = Record<string, InputDeclaration>, O = Record<string, Output>> {
  (...args: ComponentCallArgs<I>): Step<StepOutputs<O>>;
  /** The component's name (the default step name). */
  readonly componentName: string;
  /** The kind of step it makes: `type` of the step's YAML. */
  readonly componentType: 'command' | 'parallel' | 'pipeline';
}

/** What a component built in code was made of, for registering it (component-document.ts). */
export interface CodeBuiltComponent {
  /** The component's name: the default step name. */
  readonly name: string;
  readonly type: 'command' | 'parallel';
  readonly template: StepTemplate;
}

/** Components built in code → what they were made of (loaded components are files already). */
const codeBuilt = new WeakMap<object, CodeBuiltComponent>();

/** @internal What `component` was built from, or undefined for one loaded from a file. */
export function codeBuiltComponentOf(component: object): CodeBuiltComponent | undefined {
  return codeBuilt.get(component);
}

/** @internal A component: calling it inside a pipeline() function adds a step made from `template`. */
export function makeComponent<I, O>(
  componentName: string,
  componentType: Component['componentType'],
  template: StepTemplate,
): Component<I, O> {
  // One overload types the call as the component's users see it; the body works on plain records.
  function call(...args: ComponentCallArgs<I>): Step<StepOutputs<O>>;
  function call(
    inputs?: Readonly<Record<string, InputValue | undefined>>,
    options: StepOptions = {},
  ): Step<StepOutputs<O>> {
    const collector = currentCollector(componentName);
    if (options.name !== undefined && collector.steps.some((step) => step.name === options.name)) {
      throw new TypeError(`step name "${options.name}" is used twice in this pipeline; give each step its own name`);
    }
    const step = new Step<StepOutputs<O>>(options.name ?? collector.freeName(componentName), template, inputs ?? {});
    collector.steps.push(step);
    return step;
  }
  const component = Object.assign(call, { componentName, componentType });
  if (!template.usesComponentFile && componentType !== 'pipeline')
    codeBuilt.set(component, { name: componentName, type: componentType, template });
  return component;
}

/** Options of {@link command}: Azure's command job/component keys, camelCased. */
export interface CommandOptions<I, O> {
  /** The component's name: the default step name. */
  readonly name: string;
  /** Shown instead of the name. */
  readonly displayName?: string;
  /** What the component does. */
  readonly description?: string;
  /** Runs with `/bin/sh -c`; `${{inputs.x}}` and `${{outputs.y}}` are replaced by values and paths. */
  readonly command: string;
  /** Code folder (relative to the job's base folder), copied as the command's working directory. */
  readonly code?: string;
  /** Accepted for Azure; parajob runs the node's own environment (and warns). */
  readonly environment?: unknown;
  /** Set in the step's processes. */
  readonly environmentVariables?: Readonly<Record<string, string>>;
  /** Declared inputs: `Input({...})`, or literal defaults. */
  readonly inputs?: I;
  /** Declared outputs: `Output({...})`. */
  readonly outputs?: O;
  /** Compute pool (`azureml:` optional); default: the pipeline's `defaultCompute`. */
  readonly compute?: string;
  /** `instanceCount`: a command step runs on one node. */
  readonly resources?: { readonly instanceCount?: number };
  /** `limits.timeout`: whole seconds before the command's process tree is killed. */
  readonly limits?: { readonly timeout?: number };
  /** false: never reused. @default true */
  readonly isDeterministic?: boolean;
}

function outputDeclarations(outputs: Readonly<Record<string, Output>> | undefined): Record<string, Output> {
  return { ...outputs };
}

/**
 * A command step's component: `command({name, command, code, inputs, outputs, ...})` (Azure's
 * `command()`). Call it inside a pipeline with its inputs to add an inline command step.
 *
 * @example
 * ```ts
 * const prep = command({
 *   name: 'prepare',
 *   command: 'node prep.mjs --out ${{outputs.files}}',
 *   code: './src',
 *   outputs: { files: Output({ type: 'uri_folder' }) },
 * });
 * ```
 */
export function command<
  const I extends Readonly<Record<string, InputDeclaration>> = Record<never, InputDeclaration>,
  const O extends Readonly<Record<string, Output>> = Record<never, Output>,
>(options: CommandOptions<I, O>): Component<I, O> {
  const base = compact({
    type: 'command',
    display_name: options.displayName,
    description: options.description,
    command: options.command,
    code: options.code,
    environment: options.environment,
    environment_variables: options.environmentVariables,
    compute: options.compute,
    resources: options.resources ? compact({ instance_count: options.resources.instanceCount }) : undefined,
    limits: options.limits ? compact({ timeout: options.limits.timeout }) : undefined,
    is_deterministic: options.isDeterministic,
  });
  return makeComponent<I, O>(options.name, 'command', {
    base,
    inputs: { ...options.inputs },
    outputs: outputDeclarations(options.outputs),
    usesComponentFile: false,
  });
}

/** `task` of {@link parallelRunFunction}: the entry script and how it is called. */
export interface RunFunctionTask {
  /** Code folder (relative to the job's base folder). @default the job's base folder */
  readonly code?: string;
  /** Entry script, relative to `code`: `.js`, `.mjs`, `.ts`, `.mts` or `.py`. */
  readonly entryScript: string;
  /** The script's own arguments; `${{inputs.x}}` / `${{outputs.y}}` are replaced. */
  readonly programArguments?: string;
  /** `${{outputs.y}}`: run()'s rows are appended to that output; default: summary only. */
  readonly appendRowTo?: string;
  /** Accepted for Azure; parajob runs the node's own environment (and warns). */
  readonly environment?: unknown;
}

/** Options of {@link parallelRunFunction}: Azure's `parallel_run_function` keywords, camelCased. */
export interface ParallelRunFunctionOptions<I, O> {
  /** The component's name: the default step name. */
  readonly name: string;
  /** Shown instead of the name. */
  readonly displayName?: string;
  /** What the component does. */
  readonly description?: string;
  /** Declared inputs: `Input({...})`, or literal defaults. */
  readonly inputs?: I;
  /** Declared outputs: `Output({...})`. */
  readonly outputs?: O;
  /** `${{inputs.x}}`: the input split into mini-batches. */
  readonly inputData: string;
  /** Nodes. @default 1 */
  readonly instanceCount?: number;
  /** Processes per node. @default the node's core count */
  readonly maxConcurrencyPerInstance?: number;
  /** Files per mini-batch (`10`), bytes (`'1mb'`) or rows (`'500 rows'`) for tables. */
  readonly miniBatchSize?: number | string;
  /** Table columns: one mini-batch per distinct key tuple. */
  readonly partitionKeys?: readonly string[];
  /** Failed mini-batches allowed; -1 ignores all. @default -1 */
  readonly miniBatchErrorThreshold?: number;
  /** Failed items allowed; -1 ignores all. @default -1 */
  readonly errorThreshold?: number;
  /** `maxRetries` after the first try; `timeout` in whole seconds per run() call. */
  readonly retrySettings?: { readonly maxRetries?: number; readonly timeout?: number };
  /** Lowest level of `context.logger` lines written. @default 'INFO' */
  readonly loggingLevel?: 'DEBUG' | 'INFO' | 'WARNING';
  /** Set in the step's processes. */
  readonly environmentVariables?: Readonly<Record<string, string>>;
  /** Accepted for Azure; parajob runs the node's own environment (and warns). */
  readonly environment?: unknown;
  /** Compute pool (`azureml:` optional); default: the pipeline's `defaultCompute`. */
  readonly compute?: string;
  /** false: never reused. @default true */
  readonly isDeterministic?: boolean;
  /** The entry script and how it is called. */
  readonly task: RunFunctionTask;
}

/**
 * A parallel step's component (Azure's `parallel_run_function`): an entry script run over the
 * mini-batches of `inputData`. Call it inside a pipeline with its inputs to add an inline parallel step.
 */
export function parallelRunFunction<
  const I extends Readonly<Record<string, InputDeclaration>> = Record<never, InputDeclaration>,
  const O extends Readonly<Record<string, Output>> = Record<never, Output>,
>(options: ParallelRunFunctionOptions<I, O>): Component<I, O> {
  const { task, retrySettings } = options;
  const base = compact({
    type: 'parallel',
    display_name: options.displayName,
    description: options.description,
    compute: options.compute,
    input_data: options.inputData,
    mini_batch_size: options.miniBatchSize === undefined ? undefined : String(options.miniBatchSize),
    partition_keys: options.partitionKeys ? [...options.partitionKeys] : undefined,
    resources: options.instanceCount === undefined ? undefined : { instance_count: options.instanceCount },
    max_concurrency_per_instance: options.maxConcurrencyPerInstance,
    mini_batch_error_threshold: options.miniBatchErrorThreshold,
    error_threshold: options.errorThreshold,
    retry_settings: retrySettings
      ? compact({ max_retries: retrySettings.maxRetries, timeout: retrySettings.timeout })
      : undefined,
    logging_level: options.loggingLevel,
    environment_variables: options.environmentVariables,
    environment: options.environment,
    is_deterministic: options.isDeterministic,
    task: compact({
      type: 'run_function',
      code: task.code,
      entry_script: task.entryScript,
      program_arguments: task.programArguments,
      append_row_to: task.appendRowTo,
      environment: task.environment,
    }),
  });
  return makeComponent<I, O>(options.name, 'parallel', {
    base,
    inputs: { ...options.inputs },
    outputs: outputDeclarations(options.outputs),
    usesComponentFile: false,
  });
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A component file's declared input as an Input (for the step's inputs). */
function declaredInput(raw: unknown): Input {
  const declaration = isMap(raw) ? raw : {};
  return Input({ type: (declaration.type ?? 'string') as 'string' }) as Input;
}

/**
 * Loads a component file (`type: command`, `parallel` or `pipeline`): the step it makes says
 * `component: <file>`, so the compiler checks the component in its own file, with its own lines.
 * A relative `path` resolves against the current folder. Type parameters may name the inputs and
 * outputs for the type checker; by default any name is accepted and checked at build.
 */
export function loadComponent<I = Record<string, InputDeclaration>, O = Record<string, Output>>(
  path: string | URL,
): Component<I, O> {
  const file = typeof path === 'string' ? resolve(path) : fileURLToPath(path);
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const detail = `cannot read the component file: ${(error as Error).message.split('\n')[0] ?? ''}`;
    throw new ValidationError([new SpecError({ file, keyPath: '' }, detail)]);
  }
  const component = isMap(raw) ? raw : {};
  const type = component.type ?? 'command';
  if (type !== 'command' && type !== 'parallel' && type !== 'pipeline') {
    const detail = `type "${String(type)}" is not supported; expected command, parallel or pipeline`;
    throw new ValidationError([new SpecError({ file, keyPath: 'type' }, detail)]);
  }
  const inputs = Object.fromEntries(
    Object.entries(isMap(component.inputs) ? component.inputs : {}).map(([name, value]) => [
      name,
      declaredInput(value),
    ]),
  );
  const outputs = Object.fromEntries(
    Object.entries(isMap(component.outputs) ? component.outputs : {}).map(([name, value]) => {
      const declared = isMap(value) && isDataType(value.type) ? value.type : 'uri_folder';
      return [name, { kind: 'output', type: declared } satisfies Output];
    }),
  );
  const name = typeof component.name === 'string' ? component.name : 'component';
  return makeComponent<I, O>(name, type, {
    base: { type, component: file },
    inputs,
    outputs,
    usesComponentFile: true,
  });
}
