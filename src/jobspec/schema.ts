/**
 * The zod schemas of the job YAML (Azure ML CLI v2: a `type: pipeline` file of `type: parallel`
 * steps, or a standalone `type: parallel` file). They check shape and ranges only; bindings, paths and
 * defaults are compiled by load.ts. Every object is strict: an unknown key is an error that names the
 * nearest valid key. Azure-only keys are accepted (typed `unknown`) and warned about by the compiler.
 */
import * as z from 'zod';

import { unknownKeyMessage } from './nearest-key.js';
import { MAX_TIMEOUT_S } from './program-arguments.js';

/**
 * Keys that only mean something on Azure, per object kind. They are part of the schemas below (so
 * they are not "unknown") and each one present gives one "ignored by parajob" warning.
 */
export const AZURE_ONLY_KEYS = {
  pipeline: ['identity', 'tags', 'properties', 'services'],
  command: ['identity', 'tags', 'properties', 'services', 'queue_settings', 'experiment_name'],
  settings: ['on_init', 'on_finalize'],
  step: ['identity', 'tags', 'version', 'properties', 'docker_args', 'shm_size'],
  resources: ['instance_type', 'properties', 'docker_args', 'shm_size', 'locations'],
  task: ['model'],
  input: ['datastore'],
  output: ['mode', 'name', 'version', 'datastore'],
} as const satisfies Record<string, readonly string[]>;

type AzureOnlyShape<K extends readonly string[]> = { [P in K[number]]: z.ZodOptional<z.ZodUnknown> };

function azureOnly<const K extends readonly string[]>(keys: K): AzureOnlyShape<K> {
  return Object.fromEntries(keys.map((key) => [key, z.unknown().optional()])) as AzureOnlyShape<K>;
}

/**
 * A strict object whose unknown-key issue carries one message line per unknown key, in the issue's
 * key order, each naming the nearest valid key (see zod-issues.ts, which splits them).
 */
export function strictObject<S extends z.core.$ZodLooseShape>(shape: S) {
  const valid = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => unknownKeyMessage(key, valid)).join('\n')
        : undefined,
  });
}

export const int = (minimum: number, expected: string) =>
  z.int({ error: `expected ${expected}` }).min(minimum, { error: `expected ${expected}` });

export const text = z.string({ error: 'expected a string' });

/** A literal input value: number, integer, boolean or string. */
export const LiteralValueSchema = z.union([z.number(), z.boolean(), z.string()]);

/** A data input object. `path` may be a local path or a `${{parent.inputs.x}}` binding. */
export const DataInputSchema = strictObject({
  type: z
    .enum(['uri_folder', 'uri_file', 'mltable', 'mlflow_model', 'custom_model'], {
      error: 'expected uri_folder, uri_file or mltable',
    })
    .optional(),
  path: text.optional(),
  mode: z
    .enum(['ro_mount', 'download', 'direct', 'eval_mount', 'eval_download'], {
      error: 'expected ro_mount, download, direct, eval_mount or eval_download',
    })
    .optional(),
  optional: z.boolean({ error: 'expected true or false' }).optional(),
  description: text.optional(),
  ...azureOnly(AZURE_ONLY_KEYS.input),
});

/** An input: a literal, a data input object, or nothing (an optional input left empty). */
export const InputValueSchema = z.union([LiteralValueSchema, z.null(), DataInputSchema], {
  error: 'expected a literal (number, boolean or string) or a data input {type, path, mode}',
});

/** An output object. `path` may be a local path or (in a step) a `${{parent.outputs.y}}` binding. */
export const OutputObjectSchema = strictObject({
  type: z
    .enum(['uri_folder', 'uri_file', 'mltable', 'mlflow_model', 'custom_model'], {
      error: 'expected uri_folder, uri_file or mltable',
    })
    .optional(),
  path: text.optional(),
  description: text.optional(),
  ...azureOnly(AZURE_ONLY_KEYS.output),
});

/** An output: an object, a `${{parent.outputs.y}}` string (steps only), or nothing (all defaults). */
export const OutputValueSchema = z.union([z.null(), text, OutputObjectSchema], {
  error: 'expected an output {type, path} or ${{parent.outputs.<name>}}',
});

/** `resources`: parajob uses `instance_count` (nodes); the rest is Azure-only. */
export const ResourcesSchema = strictObject({
  instance_count: int(1, 'an integer ≥ 1 (number of nodes)').optional(),
  ...azureOnly(AZURE_ONLY_KEYS.resources),
});

/** `retry_settings`: `max_retries` (tries after the first) and `timeout` (seconds per run() call). */
export const RetrySettingsSchema = strictObject({
  max_retries: int(0, 'an integer ≥ 0').optional(),
  timeout: int(1, `whole seconds in (0, ${MAX_TIMEOUT_S}]`)
    .max(MAX_TIMEOUT_S, { error: `expected whole seconds in (0, ${MAX_TIMEOUT_S}]` })
    .optional(),
});

/** `task` of a parallel step: only `run_function` (SPEC.md 1.3); `code` defaults to the YAML's folder. */
export const TaskSchema = strictObject({
  type: z.literal('run_function', { error: 'only run_function is supported' }).optional(),
  code: text.optional(),
  environment: z.unknown().optional(),
  entry_script: text,
  program_arguments: text.optional(),
  append_row_to: text.optional(),
  ...azureOnly(AZURE_ONLY_KEYS.task),
});

/** `environment_variables`: string values (numbers and booleans are taken as written). */
export const EnvironmentVariablesSchema = z.record(
  z.string(),
  z.union([z.string(), z.number(), z.boolean()], { error: 'expected a string, number or boolean' }),
);

/** The keys of a `type: parallel` step (SPEC.md 1.2), shared by steps and standalone files. */
export const parallelShape = {
  type: z.literal('parallel'),
  name: text.optional(),
  display_name: text.optional(),
  description: text.optional(),
  inputs: z.record(z.string(), InputValueSchema).optional(),
  outputs: z.record(z.string(), OutputValueSchema).optional(),
  compute: text.optional(),
  input_data: text,
  mini_batch_size: z
    .union([z.string(), z.number()], { error: 'expected a string like "10", "10kb" or "500 rows"' })
    .optional(),
  partition_keys: z
    .union([z.array(text), z.string()], { error: 'expected a list of column names (or its JSON string)' })
    .optional(),
  mini_batch_error_threshold: int(-1, 'an integer ≥ -1 (-1 = ignore all failed mini-batches)').optional(),
  error_threshold: int(-1, 'an integer ≥ -1 (-1 = ignore all failed items)').optional(),
  logging_level: z
    .preprocess(
      (value) => (typeof value === 'string' ? value.toUpperCase() : value),
      z.enum(['INFO', 'WARNING', 'DEBUG'], { error: 'expected INFO, WARNING or DEBUG' }),
    )
    .optional(),
  resources: ResourcesSchema.optional(),
  max_concurrency_per_instance: int(1, 'an integer ≥ 1 (processes per node)').optional(),
  retry_settings: RetrySettingsSchema.optional(),
  environment_variables: EnvironmentVariablesSchema.optional(),
  task: TaskSchema,
  environment: z.unknown().optional(),
  is_deterministic: z.boolean({ error: 'expected true or false' }).optional(),
  ...azureOnly(AZURE_ONLY_KEYS.step),
};

/** One `jobs.<step>` entry of `type: parallel`. */
export const ParallelStepSchema = strictObject(parallelShape);

/** A standalone `type: parallel` file: a step plus the file-level keys. */
/**
 * `settings` of a standalone parallel or command job (parajob's: Azure has none there): only
 * `force_rerun`, so that `--force-rerun` (which sets it) has one way into every job, its YAML.
 */
export const StandaloneSettingsSchema = strictObject({
  force_rerun: z.boolean({ error: 'expected true or false' }).optional(),
});

export const StandaloneParallelSchema = strictObject({
  ...parallelShape,
  $schema: text.optional(),
  experiment_name: text.optional(),
  settings: StandaloneSettingsSchema.optional(),
});

/** Keys of a pipeline's `settings` (Azure keeps unknown ones; load.ts warns about them). */
export const settingsShape = {
  default_compute: text.optional(),
  default_datastore: text.optional(),
  continue_on_step_failure: z.boolean({ error: 'expected true or false' }).optional(),
  force_rerun: z.boolean({ error: 'expected true or false' }).optional(),
  ...azureOnly(AZURE_ONLY_KEYS.settings),
};

/** A pipeline's `settings`: unknown keys are kept, as Azure does, and warned about. */
export const PipelineSettingsSchema = z.looseObject(settingsShape);

/**
 * A `type: pipeline` file. Steps are checked one by one against ParallelStepSchema once their `type`
 * is known, so that a `command` step gets "not supported yet" rather than a pile of key errors.
 */
export const PipelineSchema = strictObject({
  $schema: text.optional(),
  type: z.literal('pipeline'),
  name: text.optional(),
  display_name: text.optional(),
  experiment_name: text.optional(),
  description: text.optional(),
  settings: PipelineSettingsSchema.optional(),
  compute: text.optional(),
  inputs: z.record(z.string(), InputValueSchema).optional(),
  outputs: z
    .record(z.string(), z.union([z.null(), OutputObjectSchema], { error: 'expected an output {type, path}' }))
    .optional(),
  jobs: z.record(z.string(), z.unknown(), { error: 'expected a map of step name → step' }),
  ...azureOnly(AZURE_ONLY_KEYS.pipeline),
});

/** The validated (not yet compiled) shapes, as the schemas above accept them. */
export type DataInputSpec = z.infer<typeof DataInputSchema>;
export type InputValueSpec = z.infer<typeof InputValueSchema>;
export type OutputObjectSpec = z.infer<typeof OutputObjectSchema>;
export type OutputValueSpec = z.infer<typeof OutputValueSchema>;
export type ParallelStepSpec = z.infer<typeof ParallelStepSchema>;
export type StandaloneParallelSpec = z.infer<typeof StandaloneParallelSchema>;
export type PipelineSpec = z.infer<typeof PipelineSchema>;
