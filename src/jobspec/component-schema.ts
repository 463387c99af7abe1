/**
 * The zod schemas of command steps and of component files (Azure's commandComponent, parallel and
 * pipeline component YAML), and of steps that use a component (`component: ./x.yml` or
 * `azureml:NAME:VERSION`) with node-level overrides. Shape only: component.ts and compile-*.ts give
 * the meaning. Strict like schema.ts: an unknown key names the nearest valid one.
 */
import * as z from 'zod';

import { MAX_TIMEOUT_S } from './program-arguments.js';
import {
  EnvironmentVariablesSchema,
  InputValueSchema,
  int,
  OutputValueSchema,
  parallelShape,
  ResourcesSchema,
  strictObject,
  text,
} from './schema.js';

/** Keys that only mean something on Azure in a component file; each gives an "ignored" warning. */
export const COMPONENT_AZURE_ONLY_KEYS = ['tags', '$schema', 'properties'] as const;

const primitiveTypes = ['number', 'integer', 'boolean', 'string'] as const;
const dataTypes = ['uri_folder', 'uri_file', 'mltable', 'mlflow_model', 'custom_model', 'triton_model'] as const;

/** A component input declaration: `{type, default, optional, min, max, enum, description, mode}`. */
export const InputDeclarationSchema = strictObject({
  type: z.enum([...primitiveTypes, ...dataTypes], {
    error: `expected one of ${[...primitiveTypes, ...dataTypes].join(', ')}`,
  }),
  default: z.union([z.number(), z.boolean(), z.string()], { error: 'expected a number, boolean or string' }).optional(),
  optional: z.boolean({ error: 'expected true or false' }).optional(),
  description: text.optional(),
  min: z.number({ error: 'expected a number' }).optional(),
  max: z.number({ error: 'expected a number' }).optional(),
  enum: z.array(z.union([z.string(), z.number()]), { error: 'expected a list of values' }).optional(),
  mode: z
    .enum(['ro_mount', 'download', 'direct', 'eval_mount', 'eval_download'], {
      error: 'expected ro_mount, download, direct, eval_mount or eval_download',
    })
    .optional(),
  path: text.optional(),
});

/** A component output declaration: `{type, description, mode}`. */
export const OutputDeclarationSchema = strictObject({
  type: z.enum(['uri_folder', 'uri_file', 'mltable', 'mlflow_model', 'custom_model'], {
    error: 'expected uri_folder, uri_file or mltable',
  }),
  description: text.optional(),
  mode: z.enum(['rw_mount', 'upload', 'direct'], { error: 'expected rw_mount, upload or direct' }).optional(),
  path: text.optional(),
});

/**
 * `limits` of a command step: `timeout` in whole seconds (Azure's), and parajob's `queue_timeout`: how
 * long the step may wait for a node of its compute before it fails (Azure queues without a bound).
 */
export const LimitsSchema = strictObject({
  timeout: int(1, `whole seconds in (0, ${MAX_TIMEOUT_S}]`)
    .max(MAX_TIMEOUT_S, { error: `expected whole seconds in (0, ${MAX_TIMEOUT_S}]` })
    .optional(),
  queue_timeout: int(1, `whole seconds in (0, ${MAX_TIMEOUT_S}]`)
    .max(MAX_TIMEOUT_S, { error: `expected whole seconds in (0, ${MAX_TIMEOUT_S}]` })
    .optional(),
});

/** `resources` of a command step or component (instance_count ≥ 1; parajob runs one node). */
export const CommandResourcesSchema = ResourcesSchema.extend({
  max_instance_count: z.unknown().optional(),
});

/** The keys every component file may carry. */
const componentBase = {
  $schema: text.optional(),
  name: text.optional(),
  version: z.union([z.string(), z.number()], { error: 'expected a version string' }).optional(),
  display_name: text.optional(),
  description: text.optional(),
  tags: z.unknown().optional(),
  properties: z.unknown().optional(),
  is_deterministic: z.boolean({ error: 'expected true or false' }).optional(),
  inputs: z.record(z.string(), z.union([InputDeclarationSchema, z.null()])).optional(),
  outputs: z.record(z.string(), z.union([OutputDeclarationSchema, z.null()])).optional(),
};

/** A command component file (`commandComponent.schema.json`). */
export const CommandComponentSchema = strictObject({
  ...componentBase,
  type: z.literal('command').optional(),
  command: text,
  code: text.optional(),
  environment: z.unknown().optional(),
  environment_variables: EnvironmentVariablesSchema.optional(),
  resources: CommandResourcesSchema.optional(),
  distribution: z.unknown().optional(),
  limits: LimitsSchema.optional(),
});

/** A parallel component file: the component keys and a parallel step's keys (task, input_data, …). */
export const ParallelComponentSchema = strictObject({
  ...parallelShape,
  ...componentBase,
  type: z.literal('parallel'),
});

/** A pipeline component file: typed inputs and outputs around `jobs`. */
export const PipelineComponentSchema = strictObject({
  ...componentBase,
  type: z.literal('pipeline'),
  jobs: z.record(z.string(), z.unknown(), { error: 'expected a map of step name → step' }),
  settings: z.unknown().optional(),
});

/** Step keys that are Azure-only on a command step (one "ignored" warning each). */
const commandStepAzureOnly = {
  identity: z.unknown().optional(),
  tags: z.unknown().optional(),
  properties: z.unknown().optional(),
  services: z.unknown().optional(),
  queue_settings: z.unknown().optional(),
  experiment_name: z.unknown().optional(),
};

/** Node-level keys a command step may set, with or without a component. */
const commandNodeShape = {
  type: z.literal('command').optional(),
  name: text.optional(),
  display_name: text.optional(),
  description: text.optional(),
  compute: text.optional(),
  inputs: z.record(z.string(), InputValueSchema).optional(),
  outputs: z.record(z.string(), OutputValueSchema).optional(),
  environment: z.unknown().optional(),
  environment_variables: EnvironmentVariablesSchema.optional(),
  resources: CommandResourcesSchema.optional(),
  limits: LimitsSchema.optional(),
  distribution: z.unknown().optional(),
  is_deterministic: z.boolean({ error: 'expected true or false' }).optional(),
  ...commandStepAzureOnly,
};

/** An inline command step (or a standalone command job). */
export const CommandStepSchema = strictObject({
  ...commandNodeShape,
  command: text,
  code: text.optional(),
});

/** A standalone `type: command` file. */
export const StandaloneCommandSchema = CommandStepSchema.extend({ $schema: text.optional() });

/** `component:` as a step writes it: a file path, an `azureml:` reference, or the component inline. */
export const ComponentRefSchema = z.union([text, z.record(z.string(), z.unknown())], {
  error: 'expected a component file path, azureml:NAME[:VERSION|@latest], or the component inline',
});

/** A command step that uses a component. */
export const CommandComponentStepSchema = strictObject({ ...commandNodeShape, component: ComponentRefSchema });

/** A parallel step that uses a component: every parallel key may override the component's. */
export const ParallelComponentStepSchema = strictObject({
  ...parallelShape,
  input_data: text.optional(),
  task: z.record(z.string(), z.unknown()).optional(),
  component: ComponentRefSchema,
});

/** A `type: pipeline` step: a pipeline component with its inputs and outputs bound. */
export const PipelineComponentStepSchema = strictObject({
  type: z.literal('pipeline'),
  name: text.optional(),
  display_name: text.optional(),
  description: text.optional(),
  compute: text.optional(),
  component: ComponentRefSchema,
  inputs: z.record(z.string(), InputValueSchema).optional(),
  outputs: z.record(z.string(), OutputValueSchema).optional(),
  settings: z.unknown().optional(),
  tags: z.unknown().optional(),
});

export type InputDeclarationSpec = z.infer<typeof InputDeclarationSchema>;
export type OutputDeclarationSpec = z.infer<typeof OutputDeclarationSchema>;
export type CommandComponentSpec = z.infer<typeof CommandComponentSchema>;
export type ParallelComponentSpec = z.infer<typeof ParallelComponentSchema>;
export type PipelineComponentSpec = z.infer<typeof PipelineComponentSchema>;
export type CommandStepSpec = z.infer<typeof CommandStepSchema>;
export type CommandComponentStepSpec = z.infer<typeof CommandComponentStepSchema>;
export type ParallelComponentStepSpec = z.infer<typeof ParallelComponentStepSchema>;
export type PipelineComponentStepSpec = z.infer<typeof PipelineComponentStepSchema>;
