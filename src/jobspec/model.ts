/**
 * The compiled job model: what the YAML schema (src/jobspec/schema.ts) becomes once it is validated,
 * defaults are filled in, bindings (`${{parent.inputs.x}}`, `${{inputs.x}}`, `${{outputs.y}}`) are
 * resolved and relative paths are made absolute. Everything is required here; durations carry units.
 *
 * The CLI (to validate before submitting), the coordinator (to run) and the future SDK all use this one
 * model through `loadJobSpec` / `compileJobSpec` (src/jobspec/load.ts). Nothing else parses job YAML.
 */
import type { ObjectStoreConnection } from '../storage/s3-settings.js';

/** A literal pipeline/step input (number, integer, boolean or string), as its string form. */
export interface LiteralInput {
  readonly kind: 'literal';
  readonly name: string;
  readonly value: string;
}

/** The upstream step output a data input consumes (`${{parent.jobs.S.outputs.o}}`, scoped name). */
export interface UpstreamOutput {
  /** Scoped name of the producing step (a key of CompiledJob.steps). */
  readonly step: string;
  readonly output: string;
}

/** A data input: a folder of files (uri_folder), a single file (uri_file) or an MLTable folder/file. */
export interface DataInput {
  readonly kind: 'data';
  readonly name: string;
  readonly type: 'uri_folder' | 'uri_file' | 'mltable';
  /**
   * Absolute path on the shared filesystem. For an input with `from`, the producer's output path in
   * this run as compiled; a reused producer's outputs live elsewhere, so the runner calls
   * bindStepInputs (bind-inputs.ts) with the paths actually produced before it starts the step.
   */
  readonly path: string;
  readonly mode: 'ro_mount' | 'download' | 'direct' | 'eval_mount' | 'eval_download';
  /** Set when the input is an upstream step's output (a DAG edge); undefined for a literal path. */
  readonly from?: UpstreamOutput;
  /** An `s3://` path of a datastore made with `--s3`: how the coordinator reaches it (else its environment). */
  readonly store?: ObjectStoreConnection | undefined;
}

export type CompiledInput = LiteralInput | DataInput;

export interface CompiledOutput {
  readonly name: string;
  /** mltable is a folder the step writes an MLTable file into (command steps; parallel steps write uri_folder). */
  readonly type: 'uri_folder' | 'uri_file' | 'mltable';
  /**
   * Absolute path. An explicit `path:` is resolved against the YAML file's folder (an
   * `azureml://datastores/<ds>/paths/<p>` path against the datastore's folder); without one the
   * output is `<step run dir>/outputs/<name>` (a folder for uri_folder and mltable; for uri_file the
   * file `<step run dir>/outputs/<name>/<file>`: `parallel_run_step.txt` for parallel steps, the
   * output's name for command steps).
   */
  readonly path: string;
  readonly explicitPath: boolean;
  /**
   * Object storage (`s3://bucket/prefix`, or `s3://bucket/key` for a uri_file) the output is published
   * to when the step succeeds; `path` is then the local staging folder (or file) under the step's run
   * directory that the step writes, as for an output without a path.
   */
  readonly remote?: string | undefined;
  /** `remote` is in a datastore made with `--s3`: how the coordinator reaches it (else its environment). */
  readonly store?: ObjectStoreConnection | undefined;
}

/** Engine settings that Azure passes as predefined program arguments (SPEC.md 4.1). */
export interface PredefinedArguments {
  /** Failed items allowed over the job; -1 = ignore. */
  readonly errorThreshold: number;
  /** Failed mini-batches allowed, as a percentage of all; 100 = ignore. */
  readonly allowedFailedPercent: number;
  readonly taskOverheadTimeoutMs: number;
  /** Default 3 × (run timeout + task overhead timeout). */
  readonly progressUpdateTimeoutMs: number;
  readonly firstTaskCreationTimeoutMs: number;
  readonly resourceMonitorIntervalMs: number;
  readonly copyLogsToParent: boolean;
  readonly pushMetricsToParent: boolean;
  readonly metricsNamePrefix: string;
}

/**
 * `mini_batch_size` as written. Azure's regex `^\d+([kKmMgG][bB])*$`: plain digits are files for file
 * input and bytes for tabular input; a kb/mb/gb suffix (×1024) is bytes. parajob adds `"<n> rows"`
 * (also `<n>rows`): rows per mini-batch for tabular input. Which plain means is decided by the
 * partitioner once it knows the input kind.
 */
export interface MiniBatchSize {
  readonly value: number;
  readonly unit: 'plain' | 'bytes' | 'rows';
  /** As written in the YAML (for the system arguments and messages). */
  readonly text: string;
}

/** Defaults when mini_batch_size is absent (Azure's runtime defaults). */
export const DEFAULT_FILES_PER_MINI_BATCH = 10;
export const DEFAULT_BYTES_PER_MINI_BATCH = 1024 * 1024;

/** The name of a command step's output that is its artifact folder (Azure's default artifacts). */
export const ARTIFACTS_OUTPUT_NAME = 'artifacts';

/** What every step kind has. */
export interface CompiledStepBase {
  /**
   * Unique in the job. A step of a pipeline component is scoped by the component step's name:
   * `outer/inner` (nested components give `a/b/c`).
   */
  readonly name: string;
  readonly displayName: string | undefined;
  /**
   * Where this step's logs and default outputs go: the job's run directory for a one-step job,
   * `<run dir>/steps/<step name>` when the pipeline has several steps (a scoped name nests:
   * `steps/outer/inner`).
   */
  readonly runDir: string;
  /** Compute pool whose nodes run the step (`azureml:` prefix stripped); 'local' by default. */
  readonly compute: string;
  /**
   * Names of the steps this step consumes from (the `from` of its inputs), each once, sorted. The
   * step may start once all of them have succeeded (or been reused).
   */
  readonly dependsOn: readonly string[];
  readonly inputs: readonly CompiledInput[];
  readonly outputs: readonly CompiledOutput[];
  readonly environmentVariables: Readonly<Record<string, string>>;
  /** `is_deterministic` of the step or its component (default true): false = never reused. */
  readonly isDeterministic: boolean;
}

/** One command step (inline `command:`, or a command component), ready to run. */
export interface CompiledCommandStep extends CompiledStepBase {
  readonly kind: 'command';
  /** Absolute path of the code folder (a registered component's snapshot); undefined: no code. */
  readonly code: string | undefined;
  /**
   * The command as written, `${{inputs.x}}`, `${{outputs.y}}` and `$[[ … ]]` still in it: what
   * bindStepInputs renders once upstream paths are known.
   */
  readonly commandTemplate: string;
  /**
   * The command rendered with this run's paths (literals as written, paths shell-quoted when they
   * need it; `$[[ … ]]` dropped when an optional input inside has no value). Run with `/bin/sh -c`
   * in a fresh working directory holding the code.
   */
  readonly command: string;
  /** `limits.timeout` in ms (the process tree is killed then); undefined: no limit. */
  readonly timeoutMs: number | undefined;
  /**
   * `limits.queue_timeout` in ms (default 600 s): how long the step may wait with no live node of its
   * compute before it fails. Not part of the reuse key (it does not change what the step computes).
   */
  readonly queueTimeoutMs: number;
  /** `resources.instance_count`: parajob runs a command step on one node; kept for the record. */
  readonly instanceCount: number;
}

/** One `type: parallel` step, ready to run. */
export interface CompiledParallelStep extends CompiledStepBase {
  readonly kind: 'parallel';
  /** Compute pool whose nodes run the step (`azureml:` prefix stripped); 'local' by default. */
  readonly compute: string;
  readonly inputs: readonly CompiledInput[];
  readonly outputs: readonly CompiledOutput[];
  /** Name of the input named by `input_data: ${{inputs.x}}`: the one that is split. */
  readonly inputData: string;
  /** undefined: the defaults above. */
  readonly miniBatchSize: MiniBatchSize | undefined;
  /** partition_keys: one mini-batch per distinct key tuple (wins over mini_batch_size). */
  readonly partitionKeys: readonly string[] | undefined;
  readonly instanceCount: number;
  /** undefined = the node's core count. */
  readonly maxConcurrencyPerInstance: number | undefined;
  readonly maxRetries: number;
  readonly runTimeoutMs: number;
  /** Failed mini-batches allowed; -1 = ignore. */
  readonly miniBatchErrorThreshold: number;
  readonly loggingLevel: 'DEBUG' | 'INFO' | 'WARNING';
  readonly task: {
    readonly type: 'run_function';
    /** Absolute path of the code folder. */
    readonly code: string;
    /** Entry script path relative to `code`. */
    readonly entryScript: string;
    /** `program_arguments` as written (expressions unresolved): what bindStepInputs renders. */
    readonly programArgumentsTemplate: string;
    /** User program arguments after substitution, split into argv words (shell-like quoting). */
    readonly programArguments: readonly string[];
    /** Output name `append_row_to` points at, or undefined for summary_only. */
    readonly appendRowTo: string | undefined;
    /**
     * Absolute path of the file run()'s rows are appended to: the uri_file output's path, or
     * `<folder>/parallel_run_step.txt` for a uri_folder output. undefined for summary_only.
     */
    readonly appendRowFile: string | undefined;
  };
  /**
   * The entry script's argv after its name, Azure-style: the system arguments (`--output`,
   * `--logging_level`, `--mini_batch_size`, `--error_threshold`, `--output_action`,
   * `--run_invocation_timeout`, `--run_max_try`, ...) then the user's program arguments.
   */
  readonly argv: readonly string[];
  readonly predefined: PredefinedArguments;
}

/** Any step. Switch on `kind`. */
export type CompiledStep = CompiledParallelStep | CompiledCommandStep;

/** Pipeline `settings` that change how the steps run. */
export interface CompiledSettings {
  /** `continue_on_step_failure` (default true): false = the first failure cancels what runs. */
  readonly continueOnStepFailure: boolean;
  /** `force_rerun` (default false; `--force-rerun` sets it): true = no step is reused. */
  readonly forceRerun: boolean;
  /** Name of the default datastore (`settings.default_datastore`, else `workspaceblobstore`). */
  readonly defaultDatastore: string;
}

/** A submitted file: a pipeline of steps, or a standalone parallel or command job (one step). */
export interface CompiledJob {
  /** Absolute path of the YAML file. */
  readonly sourcePath: string;
  readonly name: string | undefined;
  readonly displayName: string | undefined;
  readonly experimentName: string | undefined;
  /**
   * Every step, pipeline components flattened (scoped names), in an order that respects `dependsOn`
   * (a producer before its consumers; otherwise the order written).
   */
  readonly steps: readonly CompiledStep[];
  readonly settings: CompiledSettings;
  /** Pipeline-level outputs bound from steps: pipeline output name → (scoped step, step output). */
  readonly pipelineOutputs: readonly { readonly name: string; readonly step: string; readonly output: string }[];
  /** One line each: Azure-only keys accepted and ignored, and similar. */
  readonly warnings: readonly string[];
}
