/**
 * One step of a `jobs:` map, whatever its kind: an inline command or parallel step, or a step that
 * uses a command, parallel or pipeline component (components.ts finds it; component-step.ts merges
 * it with the step's overrides). Step types parajob cannot run are refused here, naming the key.
 */
import { parseReference, wholeExpression } from './bindings.js';
import { compileCommandStep } from './compile-command.js';
import { type CompileNode, interfaceOf, type NodeScope, type StepInterface } from './compile-graph.js';
import { CommandStepSchema } from './component-schema.js';
import {
  compileCommandComponentStep,
  compileParallelComponentStep,
  compilePipelineComponentStep,
} from './component-step.js';
import { compileInput, compileInputs } from './inputs.js';
import { addParallelStep, inputScopeOf, outputScopeOf, refuseDistribution, runDirOf } from './node-scope.js';
import { AZURE_ONLY_KEYS, ParallelStepSchema } from './schema.js';
import { issuesToSpecErrors } from './zod-issues.js';

/** Step types Azure has and parajob refuses, with why. */
const REFUSED_TYPES: Readonly<Record<string, string>> = {
  sweep: 'a sweep needs a metric store and a search; run the trial as a command step instead',
  spark: 'Spark steps need a Spark cluster',
  automl: 'AutoML runs only on Azure',
  import: 'import steps copy from external databases, which parajob does not reach',
  data_transfer: 'data_transfer steps need Azure storage',
  if_else: 'control flow (if_else) is an Azure preview feature parajob does not run',
  do_while: 'control flow (do_while) is an Azure preview feature parajob does not run',
  parallel_for: 'control flow (parallel_for) is an Azure preview feature parajob does not run',
};

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The step's type: as written; a step with a `command` and no type is a command step. */
function stepType(raw: Record<string, unknown>): unknown {
  if (raw.type !== undefined) return raw.type;
  if (raw.command !== undefined || raw.component !== undefined) return 'command';
  return undefined;
}

function compileInlineCommand(raw: Record<string, unknown>, scope: NodeScope): StepInterface | undefined {
  const { graph, stepPath } = scope;
  const parsed = CommandStepSchema.safeParse(raw);
  if (!parsed.success) {
    graph.diagnostics.addErrors(issuesToSpecErrors(graph.diagnostics.source, parsed.error.issues, raw, stepPath));
    return undefined;
  }
  const spec = parsed.data;
  graph.diagnostics.warnAzureOnly(spec, AZURE_ONLY_KEYS.command, stepPath);
  graph.diagnostics.warnOnce(spec, 'environment', stepPath);
  const inputs = compileInputs(spec.inputs, [...stepPath, 'inputs'], inputScopeOf(scope));
  const runDir = runDirOf(scope);
  const step = compileCommandStep(
    {
      displayName: spec.display_name,
      command: spec.command,
      commandAt: { diagnostics: graph.diagnostics, path: [...stepPath, 'command'] },
      code:
        spec.code === undefined
          ? undefined
          : {
              raw: spec.code,
              baseDir: graph.baseDir,
              at: { diagnostics: graph.diagnostics, path: [...stepPath, 'code'] },
            },
      environmentVariables: spec.environment_variables,
      timeoutS: spec.limits?.timeout,
      queueTimeoutS: spec.limits?.queue_timeout,
      instanceCount: spec.resources?.instance_count,
      compute: spec.compute ?? graph.defaultCompute,
      isDeterministic: spec.is_deterministic ?? true,
    },
    {
      diagnostics: graph.diagnostics,
      stepName: scope.scopedName,
      stepPath,
      runDir,
      inputs,
      outputs: spec.outputs ?? {},
      outputScope: outputScopeOf(scope, runDir, true),
    },
  );
  if (!step) return undefined;
  graph.job.steps.push(step);
  return interfaceOf(step);
}

function compileInlineParallel(raw: Record<string, unknown>, scope: NodeScope): StepInterface | undefined {
  const { graph, stepPath } = scope;
  const parsed = ParallelStepSchema.safeParse(raw);
  if (!parsed.success) {
    graph.diagnostics.addErrors(issuesToSpecErrors(graph.diagnostics.source, parsed.error.issues, raw, stepPath));
    return undefined;
  }
  return addParallelStep(parsed.data, scope, parsed.data.is_deterministic);
}

/** Keys whose values are evaluated on their own terms, not as plain fields. */
const NOT_PLAIN = new Set(['type', 'component', 'inputs', 'outputs', 'command', 'task', 'input_data', 'trial']);

/** A literal input's text as the YAML scalar it stands for (`5` a number, `true` a boolean). */
function asScalar(text: string): string | number | boolean {
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (/^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
  return text;
}

/**
 * Plain fields bound whole to a pipeline input or a sibling's input (`compute:
 * ${{parent.inputs.pool}}`, Azure's "promote compute to a pipeline input") get the value itself.
 */
function bindPlainFields(raw: Record<string, unknown>, scope: NodeScope): Record<string, unknown> {
  const out: Record<string, unknown> = { ...raw };
  for (const [key, value] of Object.entries(raw)) {
    if (NOT_PLAIN.has(key) || typeof value !== 'string') continue;
    const expression = wholeExpression(value);
    const reference = expression === undefined ? undefined : parseReference(expression);
    if (reference?.scope !== 'parent' || reference.kind === 'outputs') continue;
    if (reference.kind === 'jobs' && reference.io === 'outputs') continue;
    const bound = compileInput(key, value, [...scope.stepPath, key], {
      diagnostics: scope.graph.diagnostics,
      baseDir: scope.graph.baseDir,
      parentInputs: scope.graph.parentInputs,
      jobs: scope.jobs,
    });
    if (bound.state !== 'value') continue;
    if (bound.input.kind !== 'literal') {
      scope.graph.diagnostics.error([...scope.stepPath, key], `${value} is a data input; ${key} needs a value`);
      continue;
    }
    out[key] = asScalar(bound.input.value);
  }
  return out;
}

/** Compiles one step of a graph (see the module comment). */
export const compileNode: CompileNode = (written, scope) => {
  const { graph, stepPath } = scope;
  if (!isMap(written)) {
    graph.diagnostics.error(stepPath, 'expected a map (a command, parallel or pipeline step)');
    return undefined;
  }
  const raw = bindPlainFields(written, scope);
  const type = stepType(raw);
  if (typeof type === 'string' && Object.hasOwn(REFUSED_TYPES, type)) {
    graph.diagnostics.error(
      [...stepPath, 'type'],
      `type "${type}" is not supported by parajob: ${REFUSED_TYPES[type]}`,
    );
    return undefined;
  }
  refuseDistribution(raw, { diagnostics: graph.diagnostics, path: stepPath });
  if (raw.component !== undefined) {
    if (type === 'command') return compileCommandComponentStep(raw, scope);
    if (type === 'parallel') return compileParallelComponentStep(raw, scope);
    if (type === 'pipeline') return compilePipelineComponentStep(raw, scope, compileNode);
  } else if (type === 'command') {
    return compileInlineCommand(raw, scope);
  } else if (type === 'parallel') {
    return compileInlineParallel(raw, scope);
  } else if (type === 'pipeline') {
    graph.diagnostics.error(
      [...stepPath, 'component'],
      'is required: a type: pipeline step runs a pipeline component file',
    );
    return undefined;
  }
  const detail =
    type === undefined
      ? 'is required: command, parallel or pipeline (a step with a command and no type is a command step)'
      : `type "${String(type)}" is not supported; expected command, parallel or pipeline`;
  graph.diagnostics.error([...stepPath, 'type'], detail);
  return undefined;
};
