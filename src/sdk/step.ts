/**
 * A step of a pipeline built in code: a component called with its inputs. It keeps references (to
 * pipeline inputs, to other steps' outputs) rather than strings, so renaming a step or overriding an
 * output after the call (`step.outputs.x.type = 'mltable'`, as in Azure's SDK) changes the YAML it
 * writes. `toDocument()` is its `jobs.<name>` entry of the pipeline YAML.
 */
import {
  type DataType,
  type InputMode,
  type InputValue,
  isInput,
  type Output,
  type OutputMode,
  PipelineInput,
  type StepInputOverride,
  type StepOutputOverride,
  type StepOutputRef,
} from './io.js';

/** One output of a step: a reference other steps consume, and its node-level overrides. */
export class StepOutput<T extends DataType = DataType> implements StepOutputRef, StepOutputOverride {
  /** Overrides the declared type. */
  type?: T;
  /** Overrides the declared mode (Azure-only: parajob writes in place, and warns). */
  mode?: OutputMode;
  /** Where the output goes; default: under the step's run directory. */
  path?: string;
  /** @internal The pipeline output this output is returned as (set by pipeline()). */
  pipelineOutput: string | undefined;

  /** @internal */
  constructor(
    readonly step: Step,
    readonly name: string,
    readonly declared: Output | undefined,
  ) {}

  /** `${{parent.jobs.<step>.outputs.<name>}}`, under the step's current name. */
  toBinding(): string {
    return `\${{parent.jobs.${this.step.name}.outputs.${this.name}}}`;
  }
}

/** One input of a step: the value it was given and its node-level overrides. */
export class StepInput implements StepInputOverride {
  /** Overrides the data type the input is read as. */
  type?: DataType;
  /** Overrides how the input is read (`ro_mount`, `download`, `direct`, `eval_mount`, ...). */
  mode?: InputMode;

  /** @internal */
  constructor(
    readonly name: string,
    /** The value given at the call (or the declaration's own value); undefined: left unset. */
    public value: InputValue | undefined,
  ) {}
}

/** Node-level settings a step may override (Azure's `node.compute = …`, `node.resources = …`). */
export interface StepOverrides {
  /** Compute pool (`azureml:` prefix optional); default: the pipeline's `defaultCompute`. */
  compute?: string;
  /** Shown instead of the name. */
  displayName?: string;
  /** `resources.instanceCount`: nodes of a parallel step (a command step runs on one). */
  resources?: { instanceCount?: number };
  /** Added to (and winning over) the component's environment variables. */
  environmentVariables?: Record<string, string>;
}

/** What a component contributes to each step made from it (see component.ts). */
export interface StepTemplate {
  /** The step's YAML keys besides `inputs`, `outputs` and the node-level overrides. */
  readonly base: Readonly<Record<string, unknown>>;
  /** Declared inputs: Input declarations, or literal defaults (command inputs may be plain values). */
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly outputs: Readonly<Record<string, Output | undefined>>;
  /** True for a step with `component:`: inputs and outputs carry only values and overrides. */
  readonly usesComponentFile: boolean;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Drops undefined values, so the YAML holds only what was set. */
export function compact(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}

/**
 * A step: `name` is its key under `jobs`; `inputs` and `outputs` hold one entry per declared
 * input/output. Made by calling a component inside a `pipeline()` function.
 */
export class Step<O extends Record<string, StepOutput> = Record<string, StepOutput>> implements StepOverrides {
  /** Compute pool of this step (`azureml:` optional); default: the pipeline's `defaultCompute`. */
  compute?: string;
  /** Shown instead of the name. */
  displayName?: string;
  /** `instanceCount`: nodes of a parallel step. */
  resources?: { instanceCount?: number };
  /** Added to (and winning over) the component's environment variables. */
  environmentVariables?: Record<string, string>;
  /** The step's inputs by name: `step.inputs.x.mode = 'direct'` overrides how it is read. */
  readonly inputs: Record<string, StepInput>;
  /** The step's outputs by name: pass them to other steps, or override `type`, `mode`, `path`. */
  readonly outputs: O;

  /** @internal */
  constructor(
    public name: string,
    private readonly template: StepTemplate,
    values: Readonly<Record<string, InputValue | undefined>>,
  ) {
    this.inputs = {};
    const declared = Object.keys(template.inputs);
    for (const name of [...declared, ...Object.keys(values).filter((key) => !declared.includes(key))]) {
      this.inputs[name] = new StepInput(name, values[name]);
    }
    const outputs: Record<string, StepOutput> = {};
    for (const [name, output] of Object.entries(template.outputs)) outputs[name] = new StepOutput(this, name, output);
    this.outputs = outputs as O;
  }

  /** The output `name`; throws naming the step's outputs when it has none of that name. */
  output(name: string): StepOutput {
    const output = this.outputs[name];
    if (!output) {
      throw new TypeError(
        `step ${this.name} has no output "${name}"; its outputs are: ${Object.keys(this.outputs).join(', ') || 'none'}`,
      );
    }
    return output;
  }

  /** The step's `jobs.<name>` entry of the pipeline YAML. */
  toDocument(): Record<string, unknown> {
    const { base } = this.template;
    const inputs = compact(
      Object.fromEntries(Object.values(this.inputs).map((input) => [input.name, this.inputDocument(input)])),
    );
    const outputs = compact(
      Object.fromEntries(Object.values(this.outputs).map((output) => [output.name, this.outputDocument(output)])),
    );
    const baseResources = isMap(base.resources) ? base.resources : {};
    const resources =
      this.resources?.instanceCount === undefined
        ? base.resources
        : { ...baseResources, instance_count: this.resources.instanceCount };
    const baseEnv = isMap(base.environment_variables) ? base.environment_variables : {};
    return compact({
      ...base,
      display_name: this.displayName ?? base.display_name,
      compute: this.compute ?? base.compute,
      resources,
      environment_variables: this.environmentVariables
        ? { ...baseEnv, ...this.environmentVariables }
        : base.environment_variables,
      inputs: Object.keys(inputs).length > 0 ? inputs : undefined,
      outputs: Object.keys(outputs).length > 0 || !this.template.usesComponentFile ? outputs : undefined,
    });
  }

  private inputDocument(input: StepInput): unknown {
    const declared = this.template.inputs[input.name];
    const value = input.value;
    const override = compact({ type: input.type, mode: input.mode });
    const declaredData = isInput(declared) && (declared.path !== undefined || isDataDeclaration(declared));
    if (value === undefined) {
      if (this.template.usesComponentFile) return undefined;
      if (!isInput(declared)) return declared;
      if (declared.path !== undefined) return dataObject(declared, declared.path, override);
      return declared.default;
    }
    const binding = bindingOf(value);
    if (binding !== undefined) {
      if (declaredData) return dataObject(declared, binding, override);
      return Object.keys(override).length > 0 ? { ...override, path: binding } : binding;
    }
    if (isInput(value)) return dataObject(value, value.path, override);
    return value;
  }

  private outputDocument(output: StepOutput): unknown {
    const declared = this.template.usesComponentFile ? undefined : output.declared;
    const path = output.pipelineOutput === undefined ? output.path : `\${{parent.outputs.${output.pipelineOutput}}}`;
    const object = compact({
      type: output.type ?? declared?.type,
      path: path ?? declared?.path,
      mode: output.mode ?? declared?.mode,
      description: declared?.description,
    });
    if (Object.keys(object).length === 0) return this.template.usesComponentFile ? undefined : null;
    if (Object.keys(object).length === 1 && object.path !== undefined && output.pipelineOutput !== undefined) {
      return object.path;
    }
    return object;
  }
}

function isDataDeclaration(input: { type?: string }): boolean {
  return input.type === 'uri_folder' || input.type === 'uri_file' || input.type === 'mltable';
}

/** The `${{…}}` binding of a reference value; undefined for a literal or an Input value. */
function bindingOf(value: InputValue): string | undefined {
  if (value instanceof PipelineInput) return value.toBinding();
  if (value instanceof StepOutput) return value.toBinding();
  return undefined;
}

function dataObject(
  declared: {
    type?: string;
    mode?: InputMode | undefined;
    optional?: boolean | undefined;
    description?: string | undefined;
  },
  path: string | undefined,
  override: Record<string, unknown>,
): Record<string, unknown> {
  return compact({
    type: declared.type,
    path,
    mode: declared.mode,
    optional: declared.optional,
    description: declared.description,
    ...override,
  });
}
