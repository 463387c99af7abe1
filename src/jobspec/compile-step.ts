/**
 * Compiles one validated `type: parallel` step into a CompiledParallelStep: bindings inside the step
 * (`input_data`, `append_row_to`, `program_arguments`), defaults, predefined arguments and the argv.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { isS3Uri } from '../storage/s3-location.js';
import type { AssetResolver } from './assets/resolver.js';
import { parseReference, wholeExpression } from './bindings.js';
import { computeName } from './compile-command.js';
import type { Diagnostics } from './diagnostics.js';
import { type BoundInput, boundTemplateScope, compileInputs, dependenciesOf, type JobsLookup } from './inputs.js';
import { resolveLocalPath } from './local-path.js';
import { parseMiniBatchSize } from './mini-batch-size.js';
import type {
  CompiledInput,
  CompiledOutput,
  CompiledParallelStep,
  MiniBatchSize,
  PredefinedArguments,
} from './model.js';
import {
  APPEND_ROW_FILE_NAME,
  compileStepOutput,
  type DatastoreScope,
  type PipelineOutputDeclaration,
} from './outputs.js';
import { type PredefinedArgumentValues, readPredefinedArguments, splitProgramArguments } from './program-arguments.js';
import { renderTemplate } from './render.js';
import type { ParallelStepSpec } from './schema.js';
import { AZURE_ONLY_KEYS } from './schema.js';
import { buildEntryArgv } from './system-arguments.js';
import type { KeyPath } from './yaml-source.js';

/** Azure's defaults for the values a step may leave out. */
const DEFAULTS = {
  maxRetries: 2,
  runTimeoutS: 60,
  errorThreshold: -1,
  miniBatchErrorThreshold: -1,
  allowedFailedPercent: 100,
  taskOverheadTimeoutS: 30,
  firstTaskCreationTimeoutS: 600,
  resourceMonitorIntervalS: 600,
} as const;

/** Everything a step is compiled against. */
export interface StepScope {
  readonly diagnostics: Diagnostics;
  /** The YAML file's folder. */
  readonly baseDir: string;
  readonly stepName: string;
  /** Where the step sits in the YAML: `['jobs', name]`, or `[]` for a standalone file. */
  readonly stepPath: KeyPath;
  /** The step's run directory (see stepRunDir in load.ts). */
  readonly runDir: string;
  /** `settings.default_compute` of the pipeline, if any. */
  readonly defaultCompute: string | undefined;
  readonly parentInputs: ReadonlyMap<string, BoundInput> | undefined;
  readonly parentOutputs: ReadonlyMap<string, PipelineOutputDeclaration> | undefined;
  /** Filled with the step's `${{parent.outputs.y}}` bindings. */
  readonly bindings: { name: string; step: string; output: string }[];
  /** The component's `is_deterministic`, when the step comes from one; default true. */
  readonly isDeterministic?: boolean;
  /** The sibling steps (`${{parent.jobs…}}`), data assets and datastores, for a step of a pipeline. */
  readonly jobs?: JobsLookup | undefined;
  readonly assets?: AssetResolver | undefined;
  readonly datastores?: DatastoreScope | undefined;
}

/** `input_data: ${{inputs.x}}` → the data input x (recording an error and returning undefined otherwise). */
function resolveInputData(
  spec: ParallelStepSpec,
  inputs: ReadonlyMap<string, BoundInput>,
  scope: StepScope,
): string | undefined {
  const path = [...scope.stepPath, 'input_data'];
  const expression = wholeExpression(spec.input_data);
  const reference = expression === undefined ? undefined : parseReference(expression);
  if (reference?.scope !== 'self' || reference.kind !== 'inputs') {
    scope.diagnostics.error(
      path,
      `must be \${{inputs.<name>}} naming the data input to split; got "${spec.input_data}"`,
    );
    return undefined;
  }
  const bound = inputs.get(reference.name);
  if (bound === undefined) {
    const known = [...inputs.keys()].join(', ') || '(none)';
    scope.diagnostics.error(path, `names unknown input "${reference.name}"; the step's inputs are: ${known}`);
    return undefined;
  }
  if (bound.state === 'invalid') return undefined;
  if (bound.state === 'absent') {
    scope.diagnostics.error(
      path,
      `names input "${reference.name}", which has no value; the input to split must be given`,
    );
    return undefined;
  }
  if (bound.input.kind !== 'data') {
    scope.diagnostics.error(
      path,
      `names input "${reference.name}", a literal; expected a data input (uri_folder, uri_file or mltable)`,
    );
    return undefined;
  }
  // An upstream output is written when the producer runs, after validation; object storage is listed
  // by the coordinator (with its credentials) when the step starts.
  if (bound.input.from === undefined && !isS3Uri(bound.input.path) && !existsSync(bound.input.path)) {
    scope.diagnostics.error(
      bound.origin,
      `the input_data path does not exist: ${bound.input.path} (input "${reference.name}")`,
    );
  }
  return reference.name;
}

/** Resolves `task.code` (default: the YAML's folder) and checks that the entry script is inside it. */
function resolveCode(spec: ParallelStepSpec, scope: StepScope): string | undefined {
  const taskPath = [...scope.stepPath, 'task'];
  const resolved = resolveLocalPath(spec.task.code ?? '.', scope.baseDir);
  if (!resolved.ok) {
    scope.diagnostics.error([...taskPath, 'code'], resolved.message);
    return undefined;
  }
  if (!existsSync(resolved.path) || !statSync(resolved.path).isDirectory()) {
    scope.diagnostics.error([...taskPath, 'code'], `the code folder does not exist: ${resolved.path}`);
    return undefined;
  }
  const script = resolve(resolved.path, spec.task.entry_script);
  if (!existsSync(script) || !statSync(script).isFile()) {
    scope.diagnostics.error(
      [...taskPath, 'entry_script'],
      `the entry script "${spec.task.entry_script}" is not in the code folder ${resolved.path}`,
    );
  }
  return resolved.path;
}

/** `append_row_to: ${{outputs.y}}` → y and the file rows go to; undefined for summary_only or on error. */
function resolveAppendRow(
  spec: ParallelStepSpec,
  outputs: ReadonlyMap<string, CompiledOutput | undefined>,
  scope: StepScope,
) {
  const raw = spec.task.append_row_to;
  if (raw === undefined) return undefined;
  const path = [...scope.stepPath, 'task', 'append_row_to'];
  const expression = wholeExpression(raw);
  const reference = expression === undefined ? undefined : parseReference(expression);
  if (reference?.scope !== 'self' || reference.kind !== 'outputs') {
    scope.diagnostics.error(path, `must be \${{outputs.<name>}} naming one of the step's outputs; got "${raw}"`);
    return undefined;
  }
  if (!outputs.has(reference.name)) {
    const known = [...outputs.keys()].join(', ') || '(none)';
    scope.diagnostics.error(path, `names unknown output "${reference.name}"; the step's outputs are: ${known}`);
    return undefined;
  }
  const output = outputs.get(reference.name);
  if (!output) return undefined;
  return {
    name: output.name,
    file: output.type === 'uri_file' ? output.path : join(output.path, APPEND_ROW_FILE_NAME),
  };
}

/** Substitutes `${{inputs.x}}` / `${{outputs.y}}` (shell-quoted), drops `$[[…]]` as needed and splits. */
function resolveProgramArguments(
  text: string,
  inputs: ReadonlyMap<string, BoundInput>,
  outputs: ReadonlyMap<string, CompiledOutput | undefined>,
  scope: StepScope,
): string[] {
  const path = [...scope.stepPath, 'task', 'program_arguments'];
  const expansion = renderTemplate(text, boundTemplateScope(inputs, outputs, 'program_arguments'), 'all');
  for (const problem of expansion.problems) scope.diagnostics.error(path, problem);
  const split = splitProgramArguments(expansion.text);
  if (!split.ok) {
    scope.diagnostics.error(path, split.message);
    return [];
  }
  return split.words;
}

/** `partition_keys` as a list, accepting the JSON string the Azure SDK sends. */
function resolvePartitionKeys(raw: ParallelStepSpec['partition_keys'], scope: StepScope): string[] | undefined {
  if (raw === undefined) return undefined;
  const path = [...scope.stepPath, 'partition_keys'];
  let keys: unknown = raw;
  if (typeof raw === 'string') {
    try {
      keys = JSON.parse(raw);
    } catch {
      keys = undefined;
    }
  }
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((key) => typeof key === 'string' && key !== '')) {
    scope.diagnostics.error(
      path,
      'expected a non-empty list of column names, e.g. [store, brand] or \'["store", "brand"]\'',
    );
    return undefined;
  }
  return keys as string[];
}

/**
 * Settles the predefined arguments. An explicit `error_threshold` key wins over
 * `--error_threshold` in program_arguments (the key is the v2 way to say it; a warning notes the
 * conflict); otherwise the argument, otherwise -1.
 */
function settlePredefined(
  values: PredefinedArgumentValues,
  spec: ParallelStepSpec,
  runTimeoutS: number,
  scope: StepScope,
): PredefinedArguments {
  if (
    spec.error_threshold !== undefined &&
    values.errorThreshold !== undefined &&
    values.errorThreshold !== spec.error_threshold
  ) {
    scope.diagnostics.warn(
      [...scope.stepPath, 'error_threshold'],
      `(${spec.error_threshold}) overrides --error_threshold ${values.errorThreshold} in task.program_arguments`,
    );
  }
  const overheadS = values.taskOverheadTimeoutS ?? DEFAULTS.taskOverheadTimeoutS;
  return {
    errorThreshold: spec.error_threshold ?? values.errorThreshold ?? DEFAULTS.errorThreshold,
    allowedFailedPercent: values.allowedFailedPercent ?? DEFAULTS.allowedFailedPercent,
    taskOverheadTimeoutMs: Math.round(overheadS * 1000),
    progressUpdateTimeoutMs: Math.round((values.progressUpdateTimeoutS ?? 3 * (runTimeoutS + overheadS)) * 1000),
    firstTaskCreationTimeoutMs: Math.round(
      (values.firstTaskCreationTimeoutS ?? DEFAULTS.firstTaskCreationTimeoutS) * 1000,
    ),
    resourceMonitorIntervalMs: (values.resourceMonitorIntervalS ?? DEFAULTS.resourceMonitorIntervalS) * 1000,
    copyLogsToParent: values.copyLogsToParent ?? false,
    pushMetricsToParent: values.pushMetricsToParent ?? false,
    metricsNamePrefix: values.metricsNamePrefix ?? '',
  };
}

/**
 * Compiles one schema-valid parallel step. Every problem is recorded in `scope.diagnostics`; the
 * result is undefined when the step has errors.
 */
export function compileParallelStep(spec: ParallelStepSpec, scope: StepScope): CompiledParallelStep | undefined {
  const { diagnostics, stepPath } = scope;
  const errorsBefore = diagnostics.errorCount;
  diagnostics.warnAzureOnly(spec, AZURE_ONLY_KEYS.step, stepPath);
  diagnostics.warnAzureOnly(spec.resources, AZURE_ONLY_KEYS.resources, [...stepPath, 'resources']);
  diagnostics.warnAzureOnly(spec.task, AZURE_ONLY_KEYS.task, [...stepPath, 'task']);
  diagnostics.warnOnce(spec, 'environment', stepPath);
  diagnostics.warnOnce(spec.task, 'environment', [...stepPath, 'task']);

  const inputs = compileInputs(spec.inputs, [...stepPath, 'inputs'], {
    diagnostics,
    baseDir: scope.baseDir,
    parentInputs: scope.parentInputs,
    jobs: scope.jobs,
    assets: scope.assets,
    defaultDatastore: scope.datastores?.defaultDatastore,
  });
  const outputScope = {
    diagnostics,
    baseDir: scope.baseDir,
    stepName: scope.stepName,
    stepRunDir: scope.runDir,
    parentOutputs: scope.parentOutputs,
    bindings: scope.bindings,
    datastores: scope.datastores,
  };
  const outputs = new Map<string, CompiledOutput | undefined>();
  for (const [name, value] of Object.entries(spec.outputs ?? {})) {
    outputs.set(name, compileStepOutput(name, value, [...stepPath, 'outputs', name], outputScope));
  }
  const inputData = resolveInputData(spec, inputs, scope);
  const code = resolveCode(spec, scope);
  const appendRow = resolveAppendRow(spec, outputs, scope);
  const userWords = resolveProgramArguments(spec.task.program_arguments ?? '', inputs, outputs, scope);
  const argumentsPath = [...stepPath, 'task', 'program_arguments'];
  const predefinedRead = readPredefinedArguments(userWords);
  for (const problem of predefinedRead.problems) diagnostics.error(argumentsPath, problem);
  for (const note of predefinedRead.nearMisses) diagnostics.warn(argumentsPath, note);

  let miniBatchSize: MiniBatchSize | undefined;
  if (spec.mini_batch_size !== undefined) {
    const parsed = parseMiniBatchSize(spec.mini_batch_size);
    if (parsed.ok) miniBatchSize = parsed.size;
    else diagnostics.error([...stepPath, 'mini_batch_size'], parsed.message);
  }
  const partitionKeys = resolvePartitionKeys(spec.partition_keys, scope);

  if (diagnostics.errorCount > errorsBefore || inputData === undefined || code === undefined) return undefined;

  const runTimeoutS = spec.retry_settings?.timeout ?? DEFAULTS.runTimeoutS;
  const maxRetries = spec.retry_settings?.max_retries ?? DEFAULTS.maxRetries;
  const loggingLevel = spec.logging_level ?? 'INFO';
  const predefined = settlePredefined(predefinedRead.values, spec, runTimeoutS, scope);
  const compiledInputs: CompiledInput[] = [];
  for (const bound of inputs.values()) if (bound.state === 'value') compiledInputs.push(bound.input);
  const compiledOutputs = [...outputs.values()].filter((output): output is CompiledOutput => output !== undefined);

  return {
    kind: 'parallel',
    name: scope.stepName,
    displayName: spec.display_name,
    runDir: scope.runDir,
    compute: computeName(spec.compute) ?? computeName(scope.defaultCompute) ?? 'local',
    dependsOn: dependenciesOf(compiledInputs),
    inputs: compiledInputs,
    outputs: compiledOutputs,
    isDeterministic: scope.isDeterministic ?? true,
    inputData,
    miniBatchSize,
    partitionKeys,
    instanceCount: spec.resources?.instance_count ?? 1,
    maxConcurrencyPerInstance: spec.max_concurrency_per_instance,
    maxRetries,
    runTimeoutMs: runTimeoutS * 1000,
    miniBatchErrorThreshold: spec.mini_batch_error_threshold ?? DEFAULTS.miniBatchErrorThreshold,
    loggingLevel,
    environmentVariables: Object.fromEntries(
      Object.entries(spec.environment_variables ?? {}).map(([key, value]) => [key, String(value)]),
    ),
    task: {
      type: 'run_function',
      code,
      entryScript: spec.task.entry_script,
      programArgumentsTemplate: spec.task.program_arguments ?? '',
      programArguments: userWords,
      appendRowTo: appendRow?.name,
      appendRowFile: appendRow?.file,
    },
    argv: buildEntryArgv(
      {
        appendRowFile: appendRow?.file,
        stepOutputsDir: join(scope.runDir, 'outputs'),
        loggingLevel,
        miniBatchSize,
        errorThreshold: predefined.errorThreshold,
        runTimeoutMs: runTimeoutS * 1000,
        maxRetries,
      },
      userWords,
    ),
    predefined,
  };
}
