/**
 * Compiles a `jobs:` map (of a pipeline file or of a pipeline component) into steps: edges come from
 * `${{parent.jobs.S.…}}` bindings, producers compile before their consumers (so a consumer sees the
 * producer's outputs), and a cycle is an error naming it. Steps of a pipeline component are scoped by
 * the component step's name (`outer/inner`) and flattened into the job's one list.
 */
import type { AssetResolver } from './assets/resolver.js';
import type { ComponentCache } from './components.js';
import type { Diagnostics } from './diagnostics.js';
import { orderSteps, referencedSteps } from './graph-order.js';
import type { BoundInput, JobsLookup } from './inputs.js';
import type { CompiledOutput, CompiledStep } from './model.js';
import { unknownKeyMessage } from './nearest-key.js';
import type { PipelineOutputDeclaration } from './outputs.js';
import type { KeyPath } from './yaml-source.js';

/** Step names become folder names under `<run dir>/steps/`, so they are kept to a safe alphabet. */
export const STEP_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

/** What the whole compilation shares. */
export interface JobContext {
  readonly runDir: string;
  /** True when the job is one step: it then runs in the job's run folder itself. */
  readonly singleStep: boolean;
  readonly assets: AssetResolver;
  readonly defaultDatastore: string;
  /** The run's name (the run folder's name): `${{name}}` of a step is `<job name>-<step>`. */
  readonly jobName: string;
  readonly components: ComponentCache;
  /** Every compiled step, producers first. */
  readonly steps: CompiledStep[];
  /** Pipeline component files being expanded, to refuse one that contains itself. */
  readonly expanding: readonly string[];
}

/** One `jobs:` map's surroundings. */
export interface GraphScope {
  /** Diagnostics located in the file that holds `jobs`. */
  readonly diagnostics: Diagnostics;
  readonly jobsPath: KeyPath;
  readonly baseDir: string;
  /** '' at the top, `outer/` inside pipeline component step `outer`. */
  readonly prefix: string;
  readonly parentInputs: ReadonlyMap<string, BoundInput>;
  readonly parentOutputs: ReadonlyMap<string, PipelineOutputDeclaration>;
  /** Filled with each `${{parent.outputs.y}}` binding: (y, scoped step, step output). */
  readonly bindings: { name: string; step: string; output: string }[];
  readonly defaultCompute: string | undefined;
  readonly job: JobContext;
}

/** A step output as siblings see it: which compiled step writes it, where, of what type. */
export interface StepOutputRef {
  readonly step: string;
  readonly output: string;
  readonly type: CompiledOutput['type'];
  readonly path: string;
}

/** What a step's siblings may bind to. */
export interface StepInterface {
  readonly inputs: ReadonlyMap<string, BoundInput>;
  readonly outputs: ReadonlyMap<string, StepOutputRef>;
}

/** Everything one step compiles against. */
export interface NodeScope {
  readonly graph: GraphScope;
  readonly localName: string;
  readonly scopedName: string;
  readonly stepPath: KeyPath;
  readonly jobs: JobsLookup;
}

/** Compiles one step; undefined when it has errors (recorded). */
export type CompileNode = (raw: unknown, scope: NodeScope) => StepInterface | undefined;

/** The interface of a compiled step whose inputs and outputs are known. */
export function interfaceOf(step: CompiledStep): StepInterface {
  const inputs = new Map<string, BoundInput>();
  for (const input of step.inputs) inputs.set(input.name, { state: 'value', input, origin: [] });
  const outputs = new Map<string, StepOutputRef>();
  for (const output of step.outputs) {
    outputs.set(output.name, { step: step.name, output: output.name, type: output.type, path: output.path });
  }
  return { inputs, outputs };
}

function jobsLookup(
  jobs: Readonly<Record<string, unknown>>,
  compiled: ReadonlyMap<string, StepInterface | undefined>,
  self: string,
): JobsLookup {
  const names = Object.keys(jobs);
  return ({ step, io, name }) => {
    if (step === self) return `a step cannot bind to its own ${io} through parent.jobs; use \${{${io}.${name}}}`;
    if (!Object.hasOwn(jobs, step)) return `unknown step "${step}": ${unknownKeyMessage(step, names)}`;
    const target = compiled.get(step);
    // Not compiled (it has errors, or is in a cycle): already reported there.
    if (!target) return { state: 'invalid' };
    if (io === 'inputs') {
      const input = target.inputs.get(name);
      if (input) return input;
      return `step "${step}" has no input "${name}"; its inputs are: ${[...target.inputs.keys()].join(', ') || '(none)'}`;
    }
    const output = target.outputs.get(name);
    if (!output) {
      return `step "${step}" has no output "${name}"; its outputs are: ${[...target.outputs.keys()].join(', ') || '(none)'}`;
    }
    const from = { step: output.step, output: output.output };
    return {
      state: 'value',
      input: { kind: 'data', name, type: output.type, path: output.path, mode: 'ro_mount', from },
      origin: [],
    };
  };
}

/**
 * Compiles every step of `jobs` with `compileNode`, producers first; returns each step's interface
 * (undefined for a step with errors).
 */
export function compileGraph(
  jobs: Readonly<Record<string, unknown>>,
  scope: GraphScope,
  compileNode: CompileNode,
): Map<string, StepInterface | undefined> {
  const names = Object.keys(jobs);
  const dependsOn = new Map(names.map((name) => [name, referencedSteps(jobs[name])]));
  const { order, cycles } = orderSteps(names, dependsOn);
  const compiled = new Map<string, StepInterface | undefined>();
  for (const [name, cycle] of cycles) {
    const detail =
      cycle.length > 1
        ? `is in a dependency cycle: ${cycle.join(' → ')}; a step cannot consume, even indirectly, its own outputs`
        : 'consumes from a step that is in a dependency cycle, so it can never run';
    scope.diagnostics.error([...scope.jobsPath, name], detail, true);
    compiled.set(name, undefined);
  }
  for (const name of order) {
    const stepPath = [...scope.jobsPath, name];
    if (!STEP_NAME.test(name)) {
      scope.diagnostics.error(stepPath, 'a step name may use letters, digits, "_" and "-" (it names a folder)', true);
    }
    const node: NodeScope = {
      graph: scope,
      localName: name,
      scopedName: `${scope.prefix}${name}`,
      stepPath,
      jobs: jobsLookup(jobs, compiled, name),
    };
    compiled.set(name, compileNode(jobs[name], node));
  }
  return compiled;
}
