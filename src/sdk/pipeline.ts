/**
 * `pipeline(options, (inputs) => outputs)`: Azure's `@pipeline` decorator as a function. The body
 * calls components, each call adding a step; what it returns become the pipeline's outputs. Calling
 * the result with the pipeline's input values gives a PipelineJob, validated right away by the one
 * compiler (src/jobspec), and re-validated whenever it is compiled after node-level overrides.
 */
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

import { collectSteps, isBuildingPipeline, StepCollector } from './build-context.js';
import {
  type DataType,
  type Input,
  type InputType,
  isInput,
  type OutputMode,
  PipelineInput,
  type PrimitiveType,
  type PrimitiveValue,
} from './io.js';
import { Job } from './job.js';
import { compact, type Step, StepOutput } from './step.js';

/** Azure's pipeline job schema, written at the top of the YAML. */
const PIPELINE_SCHEMA = 'https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json';

/** Pipeline `settings`, camelCased (mutable on the job: `job.settings.defaultCompute = 'gpu'`). */
export interface PipelineSettings {
  /** Compute pool of every step without its own `compute`. */
  defaultCompute?: string;
  /** Datastore outputs go to (`azureml:` optional). @default 'workspaceblobstore' */
  defaultDatastore?: string;
  /** false: the first failed step cancels the rest. @default true */
  continueOnStepFailure?: boolean;
  /** true: no step is reused. @default false */
  forceRerun?: boolean;
}

/** Options of {@link pipeline}. */
export interface PipelineOptions extends PipelineSettings {
  /** The pipeline's name (the job name); also the name of the YAML the job stands for. */
  readonly name?: string;
  /** Shown instead of the name. */
  readonly displayName?: string;
  /** What the pipeline does. */
  readonly description?: string;
  /** The experiment the job is filed under (`experiment_name`). */
  readonly experimentName?: string;
  /**
   * The folder relative paths (inputs, code folders) resolve against, like a YAML file's folder.
   * @default process.cwd() when the pipeline is called
   */
  readonly baseDir?: string | URL;
  /** false: do not validate when the job is built (only when compiled or submitted). @default true */
  readonly validate?: boolean;
}

/** A pipeline-level output: its overrides (`job.outputs.x.type = 'uri_file'`). */
export interface PipelineOutput {
  /** Overrides the type of the step output it is. */
  type?: DataType;
  /** How it is written (Azure-only: parajob writes in place, and warns). */
  mode?: OutputMode;
  /** Where it goes; default: under the run directory. */
  path?: string;
}

/** The value a pipeline input declared as `P` is called with. */
export type PipelineArg<P> =
  P extends PipelineInput<infer T>
    ? [T] extends [never]
      ? unknown
      : T extends DataType
        ? Input<T, true>
        : T extends PrimitiveType
          ? PrimitiveValue<T> | Input<T, true>
          : never
    : never;

/** The object a built pipeline is called with, one value per input of its function. */
export type PipelineArgs<A> = { [K in keyof A]: PipelineArg<A[K]> };

/** What a pipeline function may return: its outputs, by name. */
export type PipelineReturn = Readonly<Record<string, StepOutput>> | void;

/** A pipeline job built in code: a Job with its steps, settings and outputs open to overrides. */
export class PipelineJob<R extends PipelineReturn = PipelineReturn> extends Job {
  /** Mutable pipeline settings. */
  readonly settings: PipelineSettings;
  /** Pipeline outputs by name (the function's return keys). */
  readonly outputs: { [K in keyof R]: PipelineOutput };
  /** The steps by name. */
  get jobs(): Readonly<Record<string, Step>> {
    return Object.fromEntries(this.steps.map((step) => [step.name, step]));
  }

  /** @internal */
  constructor(
    readonly options: PipelineOptions,
    private readonly inputValues: Readonly<Record<string, unknown>>,
    readonly steps: readonly Step[],
    returned: Readonly<Record<string, StepOutput>>,
    baseDir: string,
  ) {
    const name = options.name ?? 'pipeline';
    super(() => ({}), {
      specPath: join(baseDir, `${name}.pipeline.yml`),
      builtInCode: `pipeline ${name} (built in code)`,
    });
    this.settings = compact({
      defaultCompute: options.defaultCompute,
      defaultDatastore: options.defaultDatastore,
      continueOnStepFailure: options.continueOnStepFailure,
      forceRerun: options.forceRerun,
    }) as PipelineSettings;
    const outputs = Object.fromEntries(Object.keys(returned).map((outputName) => [outputName, {}]));
    this.returned = returned;
    this.outputs = outputs as { [K in keyof R]: PipelineOutput };
  }

  private readonly returned: Readonly<Record<string, StepOutput>>;

  /** The pipeline YAML document, with every override made so far. */
  override toDocument(): Record<string, unknown> {
    const { options, settings } = this;
    const inputs = Object.fromEntries(
      Object.entries(this.inputValues).map(([name, value]) => [name, inputDocument(value)]),
    );
    const outputs = Object.fromEntries(
      Object.entries(this.returned).map(([name, stepOutput]) => {
        const override = (this.outputs as Record<string, PipelineOutput>)[name] ?? {};
        const object = compact({ type: override.type ?? typeOf(stepOutput), path: override.path, mode: override.mode });
        return [name, Object.keys(object).length > 0 ? object : null];
      }),
    );
    const jobs = Object.fromEntries(this.steps.map((step) => [step.name, this.stepDocument(step)]));
    return compact({
      $schema: PIPELINE_SCHEMA,
      type: 'pipeline',
      name: options.name,
      display_name: options.displayName,
      description: options.description,
      experiment_name: options.experimentName,
      settings: nonEmpty(
        compact({
          default_compute: settings.defaultCompute,
          default_datastore: settings.defaultDatastore,
          continue_on_step_failure: settings.continueOnStepFailure,
          force_rerun: settings.forceRerun,
        }),
      ),
      inputs: nonEmpty(inputs),
      outputs: nonEmpty(outputs),
      jobs,
    });
  }

  /** A step's document, its component file written relative to the base folder when inside it. */
  private stepDocument(step: Step): Record<string, unknown> {
    const document = step.toDocument();
    const component = document.component;
    if (typeof component === 'string' && isAbsolute(component)) {
      const inside = relative(this.baseDir, component);
      if (!inside.startsWith('..') && !isAbsolute(inside)) {
        document.component = `./${inside.split(sep).join('/')}`;
      }
    }
    return document;
  }
}

/** A step output's type: its node-level override, else its declared type (undefined: not known). */
export function typeOf(output: StepOutput): DataType | undefined {
  return output.type ?? output.declared?.type;
}

/**
 * @internal Runs a pipeline function, collecting the steps its component calls add, and marks the
 * step outputs it returns as the pipeline's outputs (`${{parent.outputs.<name>}}`).
 */
export function collectPipeline(body: () => PipelineReturn): {
  steps: readonly Step[];
  returned: Readonly<Record<string, StepOutput>>;
} {
  const collector = new StepCollector();
  const returned = collectSteps(collector, body) ?? {};
  for (const [name, output] of Object.entries(returned)) {
    if (!(output instanceof StepOutput)) {
      throw new TypeError(`pipeline output ${name} must be a step's output (step.outputs.<name>)`);
    }
    if (output.pipelineOutput !== undefined) {
      throw new TypeError(
        `step ${output.step.name}'s output ${output.name} is returned twice (as ${output.pipelineOutput} and ${name}); return it once`,
      );
    }
    output.pipelineOutput = name;
  }
  return { steps: collector.steps, returned };
}

/** The object, or undefined when it is empty (so that the YAML leaves the key out). */
export function nonEmpty(object: Record<string, unknown>): Record<string, unknown> | undefined {
  return Object.keys(object).length > 0 ? object : undefined;
}

/** A pipeline input's YAML value: a literal as itself, an Input as `{type, path, mode, …}`. */
function inputDocument(value: unknown): unknown {
  if (!isInput(value)) return value;
  const { kind: _kind, hasValue: _hasValue, ...rest } = value as Input & Record<string, unknown>;
  return compact(rest);
}

/** The type an input has from its value (or declaration): an Input's type, else its literal's. */
export function inputTypeOf(value: unknown): InputType | undefined {
  if (isInput(value)) return value.type;
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return undefined;
}

function baseDirOf(option: string | URL | undefined): string {
  if (option === undefined) return process.cwd();
  return typeof option === 'string' ? resolve(option) : fileURLToPath(option);
}

/**
 * Defines a pipeline. `body` receives the pipeline's inputs (one {@link PipelineInput} per key of the
 * object the pipeline is called with), calls components to add steps, and returns the step outputs
 * that become the pipeline's outputs. The result, called with the input values, builds and validates
 * a {@link PipelineJob}: an invalid one throws a ValidationError with the YAML validator's messages.
 *
 * @example
 * ```ts
 * const build = pipeline({ name: 'hash', defaultCompute: 'cpu-cluster' },
 *   ({ docs }: { docs: PipelineInput<'uri_folder'> }) => ({ hashes: hashFiles({ docs }).outputs.result }));
 * const job = build({ docs: Input({ type: 'uri_folder', path: './data' }) });
 * ```
 */
export function pipeline<
  A extends Record<string, PipelineInput> = Record<string, PipelineInput>,
  R extends PipelineReturn = PipelineReturn,
>(options: PipelineOptions, body: (inputs: A) => R): (inputs: PipelineArgs<A>) => PipelineJob<R> {
  return (values) => {
    const baseDir = baseDirOf(options.baseDir);
    const refs = Object.fromEntries(
      Object.entries(values as Record<string, unknown>).map(([name, value]) => [
        name,
        new PipelineInput(name, inputTypeOf(value)),
      ]),
    ) as A;
    if (isBuildingPipeline()) {
      throw new TypeError(
        `pipeline ${options.name ?? 'pipeline'} was called inside another pipeline's function: to use a pipeline as a step, build it with pipelineComponent()`,
      );
    }
    const { steps, returned } = collectPipeline(() => body(refs));
    const job = new PipelineJob<R>(options, values as Record<string, unknown>, steps, returned, baseDir);
    if (options.validate !== false) job.compile();
    return job;
  };
}
