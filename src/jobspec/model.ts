/**
 * The compiled job model: what the YAML schema (src/jobspec/schema.ts) becomes once it is validated,
 * defaults are filled in, bindings (`${{parent.inputs.x}}`, `${{inputs.x}}`, `${{outputs.y}}`) are
 * resolved and relative paths are made absolute. Everything is required here; durations carry units.
 *
 * The CLI (to validate before submitting), the coordinator (to run) and the future SDK all use this one
 * model through `loadJobSpec` / `compileJobSpec` (src/jobspec/load.ts). Nothing else parses job YAML.
 */

/** A literal pipeline/step input (number, integer, boolean or string), as its string form. */
export interface LiteralInput {
  readonly kind: 'literal';
  readonly name: string;
  readonly value: string;
}

/** A data input: a folder of files (uri_folder), a single file (uri_file) or an MLTable folder/file. */
export interface DataInput {
  readonly kind: 'data';
  readonly name: string;
  readonly type: 'uri_folder' | 'uri_file' | 'mltable';
  /** Absolute path on the shared filesystem. */
  readonly path: string;
  readonly mode: 'ro_mount' | 'download' | 'direct' | 'eval_mount';
}

export type CompiledInput = LiteralInput | DataInput;

export interface CompiledOutput {
  readonly name: string;
  readonly type: 'uri_folder' | 'uri_file';
  /**
   * Absolute path. An explicit `path:` is resolved against the YAML file's folder; without one the
   * output is `<step run dir>/outputs/<name>` (a folder for uri_folder; for uri_file the file
   * `<step run dir>/outputs/<name>/parallel_run_step.txt`).
   */
  readonly path: string;
  readonly explicitPath: boolean;
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

/** One `type: parallel` step, ready to run. */
export interface CompiledParallelStep {
  readonly name: string;
  readonly displayName: string | undefined;
  /**
   * Where this step's logs and default outputs go: the job's run directory for a one-step job,
   * `<run dir>/steps/<step name>` when the pipeline has several steps.
   */
  readonly runDir: string;
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
  readonly environmentVariables: Readonly<Record<string, string>>;
  readonly task: {
    readonly type: 'run_function';
    /** Absolute path of the code folder. */
    readonly code: string;
    /** Entry script path relative to `code`. */
    readonly entryScript: string;
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

/** A submitted file: a pipeline of one or more parallel steps, or a standalone parallel job. */
export interface CompiledJob {
  /** Absolute path of the YAML file. */
  readonly sourcePath: string;
  readonly name: string | undefined;
  readonly displayName: string | undefined;
  readonly experimentName: string | undefined;
  /** Steps in the order they run. */
  readonly steps: readonly CompiledParallelStep[];
  /** Pipeline-level outputs bound from steps: pipeline output name → (step, step output). */
  readonly pipelineOutputs: readonly { readonly name: string; readonly step: string; readonly output: string }[];
  /** One line each: Azure-only keys accepted and ignored, and similar. */
  readonly warnings: readonly string[];
}
