/**
 * The TypeScript SDK: build jobs in code (the same YAML documents the CLI reads, compiled by the one
 * compiler), load them from YAML, and submit and follow them through a coordinator.
 */
export type {
  CommandOptions,
  Component,
  ComponentArgs,
  ComponentCallArgs,
  InputArg,
  InputDeclaration,
  ParallelRunFunctionOptions,
  RequiredInputs,
  RunFunctionTask,
  StepOptions,
  StepOutputs,
} from './component.js';
export { command, loadComponent, parallelRunFunction } from './component.js';
export { JobNotFoundError, UnauthenticatedError, UnavailableError, ValidationError } from './errors.js';
export type {
  DataInputOptions,
  DataType,
  DataValue,
  InputMode,
  InputOptions,
  InputType,
  InputValue,
  OutputMode,
  OutputOptions,
  PrimitiveArg,
  PrimitiveInputOptions,
  PrimitiveType,
  PrimitiveValue,
  StepInputOverride,
  StepOutputOverride,
  StepOutputRef,
} from './io.js';
export { Input, Output, PipelineInput } from './io.js';
export type { CompileJobOptions, JobSource } from './job.js';
export { Job, loadJob, PROVISIONAL_RUN_DIR } from './job.js';
export type {
  PipelineArg,
  PipelineArgs,
  PipelineOptions,
  PipelineOutput,
  PipelineReturn,
  PipelineSettings,
} from './pipeline.js';
export { pipeline, PipelineJob } from './pipeline.js';
export type { StepOverrides } from './step.js';
export { Step, StepInput, StepOutput } from './step.js';
