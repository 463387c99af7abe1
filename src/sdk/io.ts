/**
 * Inputs and outputs of jobs built in code, shaped like Azure ML's Python SDK (`Input(type=…)`,
 * `Output(type=…)`) with TypeScript naming, and the references that wire steps together: a
 * pipeline's inputs (`${{parent.inputs.x}}`) and a step's outputs (`${{parent.jobs.s.outputs.o}}`).
 * They are plain data: the builders turn them into the YAML the one compiler (src/jobspec) reads.
 */

/** The data types parajob runs: a folder of files, one file, or an MLTable folder/file. */
export type DataType = 'uri_folder' | 'uri_file' | 'mltable';
/** The literal (primitive) input types. */
export type PrimitiveType = 'string' | 'number' | 'integer' | 'boolean';
/** Any input type. */
export type InputType = DataType | PrimitiveType;
/** How a data input reaches the step (Azure's modes; `ro_mount` by default). */
export type InputMode = 'ro_mount' | 'download' | 'direct' | 'eval_mount' | 'eval_download';
/** How an output is written (Azure's modes; parajob always writes in place and warns about `mode`). */
export type OutputMode = 'rw_mount' | 'upload' | 'direct';

/** The TypeScript value of a primitive input type: `integer` and `number` are numbers. */
export type PrimitiveValue<T extends PrimitiveType> = T extends 'boolean'
  ? boolean
  : T extends 'string'
    ? string
    : number;

/** Options of a data input: `{type, path, mode}`. A `path` makes it a value, not only a declaration. */
export interface DataInputOptions<T extends DataType = DataType> {
  /** The input's (or output's) type. */
  readonly type: T;
  /** Local path (relative to the job's base folder), `azureml:DATA:VERSION` or a datastore path. */
  readonly path?: string;
  /** @default 'ro_mount' */
  readonly mode?: InputMode;
  /** An optional input may be left unset. @default false */
  readonly optional?: boolean;
  /** What it is, for people reading the YAML. */
  readonly description?: string;
}

/** Options of a literal input: `{type, default, optional}`. A default makes it optional. */
export interface PrimitiveInputOptions<T extends PrimitiveType = PrimitiveType> {
  /** The input's (or output's) type. */
  readonly type: T;
  /** The value when none is given; makes the input optional. */
  readonly default?: PrimitiveValue<T>;
  /** @default false */
  readonly optional?: boolean;
  /** What it is, for people reading the YAML. */
  readonly description?: string;
  /** Literal inputs have no path or mode. */
  readonly path?: never;
  /** Literal inputs have no mode. */
  readonly mode?: never;
}

/** What `Input()` accepts: one of the data or literal option shapes, told apart by `type`. */
export type InputOptions = DataInputOptions | { [T in PrimitiveType]: PrimitiveInputOptions<T> }[PrimitiveType];

/**
 * A declared input (`Input({type: 'mltable'})`) or an input value (`Input({type, path, mode})`).
 * `HasValue` is true when it may be left unset where it is used (a path, a default, or optional).
 */
export interface Input<T extends InputType = InputType, HasValue extends boolean = boolean> {
  readonly kind: 'input';
  /** The input's (or output's) type. */
  readonly type: T;
  readonly path?: string | undefined;
  readonly mode?: InputMode | undefined;
  readonly default?: string | number | boolean | undefined;
  readonly optional?: boolean | undefined;
  readonly description?: string | undefined;
  /** Type-level only: whether it may be left unset. */
  readonly hasValue?: HasValue;
}

/** Whether options `O` give the input a value or make it optional. */
type HasValueOf<O> = O extends { readonly optional: true } | { readonly default: unknown } | { readonly path: string }
  ? true
  : false;

/**
 * Declares an input, or gives one a value: `Input({type: 'uri_folder', path: './data', mode: 'download'})`,
 * `Input({type: 'integer', default: 10})`. Types are checked by TypeScript (a `default` of the wrong
 * type, a data `mode` on a literal); paths are checked when the job is compiled.
 */
export function Input<const O extends InputOptions>(options: O): Input<O['type'], HasValueOf<O>> {
  return { kind: 'input', ...options } as Input<O['type'], HasValueOf<O>>;
}

/** Options of an output: `{type, path, mode}` (Azure's `name`/`version` are not supported). */
export interface OutputOptions<T extends DataType = DataType> {
  /** @default 'uri_folder' */
  readonly type?: T;
  /** Local path or `azureml://datastores/<ds>/paths/<p>`; default: under the step's run directory. */
  readonly path?: string;
  /** How it is written (Azure-only: parajob writes in place, and warns). */
  readonly mode?: OutputMode;
  /** What it is, for people reading the YAML. */
  readonly description?: string;
}

/** A declared output of a component or step. */
export interface Output<T extends DataType = DataType> {
  readonly kind: 'output';
  /** The input's (or output's) type. */
  readonly type: T;
  readonly path?: string | undefined;
  readonly mode?: OutputMode | undefined;
  readonly description?: string | undefined;
}

/** Declares an output: `Output({type: 'uri_file'})`. Without `type`, a folder (`uri_folder`). */
export function Output<const T extends DataType = 'uri_folder'>(options: OutputOptions<T> = {}): Output<T> {
  return { kind: 'output', ...options, type: options.type ?? ('uri_folder' as T) };
}

/**
 * One of a pipeline's inputs, as its function receives it; pass it to a step's input to bind it
 * (`${{parent.inputs.<name>}}`).
 */
export class PipelineInput<T extends InputType = InputType> {
  /** @internal */
  constructor(
    readonly name: string,
    readonly type: T | undefined,
  ) {}

  /** The binding expression the YAML holds. */
  toBinding(): string {
    return `\${{parent.inputs.${this.name}}}`;
  }
}

/** The output of a step: pass it to another step's input (a DAG edge), or return it from the pipeline. */
export interface StepOutputRef {
  /** The output's name in its step. */
  readonly name: string;
  /** The binding expression the YAML holds, under the step's current name. */
  toBinding(): string;
}

/** A value for a data input: a pipeline input, a step's output, or an `Input({type, path})`. */
export type DataValue = PipelineInput<DataType> | PipelineInput<never> | StepOutputRef | Input<DataType, true>;

/** A value for a literal input: the literal itself or a literal pipeline input. */
export type PrimitiveArg<T extends PrimitiveType> = PrimitiveValue<T> | PipelineInput<T> | PipelineInput<never>;

/** Anything a step input may be given. */
export type InputValue = string | number | boolean | DataValue | PipelineInput;

/** Node-level overrides of one step input (`step.inputs.x.mode = 'direct'`). */
export interface StepInputOverride {
  /** Overrides the declared data type. */
  type?: DataType;
  /** Overrides how the input is read. */
  mode?: InputMode;
}

/** Node-level overrides of one step output (`step.outputs.x.type = 'mltable'`). */
export interface StepOutputOverride {
  /** Overrides the declared data type. */
  type?: DataType;
  /** Overrides how the output is written (Azure-only: parajob writes in place, and warns). */
  mode?: OutputMode;
  /** Where the output goes; default: under the step's run directory. */
  path?: string;
}

/** True for what `Input()` returns. */
export function isInput(value: unknown): value is Input {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'input';
}

/** True for what `Output()` returns. */
export function isOutput(value: unknown): value is Output {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'output';
}

/** True for uri_folder, uri_file and mltable. */
export function isDataType(type: unknown): type is DataType {
  return type === 'uri_folder' || type === 'uri_file' || type === 'mltable';
}
