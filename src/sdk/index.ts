/**
 * The TypeScript SDK: build jobs in code (the same YAML documents the CLI reads, compiled by the one
 * compiler), load them from YAML, and submit and follow them through a coordinator.
 */
export type {
  AssetDocument,
  CodeFile,
  CodeSnapshot,
  ComponentAsset,
  DataAsset,
  DatastoreAsset,
  JobMessage,
  JobStatus,
  OutputLocation,
  Progress,
  StepStatus,
} from '../gen/parajob/v1/parajob.js';
export { FailureKind, JobState, StepState } from '../gen/parajob/v1/parajob.js';
export type {
  AssetsCall,
  ComponentLike,
  CreateAssetOptions,
  CreateComponentOptions,
  DatastoreSpec,
} from './asset-operations.js';
export { ComponentOperations, DataOperations, DatastoreOperations } from './asset-operations.js';
export type {
  CreateJobOptions,
  DeletedJob,
  FollowOptions,
  ParajobClientOptions,
  RerunJob,
  RerunOptions,
  SubmittedJob,
} from './client.js';
export {
  CA_ENV,
  COORDINATOR_ENV,
  DEFAULT_COORDINATOR_ADDRESS,
  JobOperations,
  ParajobClient,
  TOKEN_ENV,
} from './client.js';
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
export {
  AssetExistsError,
  AssetNotFoundError,
  JobNotFoundError,
  UnauthenticatedError,
  UnavailableError,
  ValidationError,
} from './errors.js';
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
export type { JobStreamEvent } from './job-events.js';
export { isTerminal } from './job-state.js';
export type {
  PipelineArg,
  PipelineArgs,
  PipelineOptions,
  PipelineOutput,
  PipelineReturn,
  PipelineSettings,
} from './pipeline.js';
export { pipeline, PipelineJob } from './pipeline.js';
export type {
  DeclaredInputType,
  PipelineComponentInputs,
  PipelineComponentOptions,
  PipelineComponentOutputs,
} from './pipeline-component.js';
export { pipelineComponent } from './pipeline-component.js';
export type { LocalRun, RunLocalOptions } from './run-local.js';
export { runLocal } from './run-local.js';
export type { StepOverrides } from './step.js';
export { Step, StepInput, StepOutput } from './step.js';
