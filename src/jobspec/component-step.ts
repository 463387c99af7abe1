/**
 * Steps that use a component: the component (components.ts) is checked against its own schema in its
 * own file, its typed inputs meet the step's values (declarations.ts), and the step's node-level keys
 * override the component's. A pipeline component's `jobs` become steps scoped by this step's name.
 */
import type { ZodType } from 'zod';

import { compileCommandStep } from './compile-command.js';
import {
  compileGraph,
  type CompileNode,
  interfaceOf,
  type NodeScope,
  type StepInterface,
  type StepOutputRef,
} from './compile-graph.js';
import {
  CommandComponentSchema,
  CommandComponentStepSchema,
  COMPONENT_AZURE_ONLY_KEYS,
  ParallelComponentSchema,
  ParallelComponentStepSchema,
  PipelineComponentSchema,
  PipelineComponentStepSchema,
} from './component-schema.js';
import { type ComponentDoc, loadComponent } from './components.js';
import {
  checkDeclaredInputs,
  checkOptionalSegments,
  type DeclarationScope,
  mergeInputValues,
  mergeOutputValues,
} from './declarations.js';
import { type BoundInput, compileInputs } from './inputs.js';
import { resolveLocalPath } from './local-path.js';
import { addParallelStep, inputScopeOf, outputScopeOf, refuseDistribution, runDirOf } from './node-scope.js';
import { compileStepOutput, type PipelineOutputDeclaration } from './outputs.js';
import { AZURE_ONLY_KEYS, type ParallelStepSpec } from './schema.js';
import { issuesToSpecErrors } from './zod-issues.js';

/** Parses `value` with `schema`, recording located errors; undefined when it does not fit. */
function parseAt<T>(
  schema: ZodType<T>,
  value: unknown,
  at: { diagnostics: ComponentDoc['diagnostics']; path: readonly (string | number)[] },
): T | undefined {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  at.diagnostics.addErrors(issuesToSpecErrors(at.diagnostics.source, parsed.error.issues, value, at.path));
  return undefined;
}

/** Loads the step's component and checks that it is of `kind`. */
function componentOf(raw: Record<string, unknown>, scope: NodeScope, kind: string): ComponentDoc | undefined {
  const { graph, stepPath } = scope;
  const doc = loadComponent(raw.component, {
    diagnostics: graph.diagnostics,
    at: [...stepPath, 'component'],
    baseDir: graph.baseDir,
    assets: graph.job.assets,
    cache: graph.job.components,
  });
  if (!doc) return undefined;
  const type = doc.raw.type ?? 'command';
  if (type !== kind) {
    graph.diagnostics.error(
      [...stepPath, 'type'],
      `is ${kind}, but component ${doc.identity} is type ${String(type)}; make them agree`,
    );
    return undefined;
  }
  doc.diagnostics.warnAzureOnly(
    doc.raw,
    COMPONENT_AZURE_ONLY_KEYS.filter((key) => key !== '$schema'),
    doc.path,
  );
  doc.diagnostics.warnOnce(doc.raw, 'environment', doc.path);
  return doc;
}

function declarationScope(scope: NodeScope, doc: ComponentDoc): DeclarationScope {
  return {
    diagnostics: scope.graph.diagnostics,
    stepPath: scope.stepPath,
    componentDiagnostics: doc.diagnostics,
    componentPath: doc.path,
  };
}

/** A declared input left unset (already an error) is `invalid`, so the command does not report it again. */
function markUnset(declared: Readonly<Record<string, unknown>> | undefined, inputs: Map<string, BoundInput>): void {
  for (const name of Object.keys(declared ?? {})) if (!inputs.has(name)) inputs.set(name, { state: 'invalid' });
}

/** A command step with `component:`. */
export function compileCommandComponentStep(raw: Record<string, unknown>, scope: NodeScope): StepInterface | undefined {
  const { graph, stepPath } = scope;
  const step = parseAt(CommandComponentStepSchema, raw, { diagnostics: graph.diagnostics, path: stepPath });
  const doc = componentOf(raw, scope, 'command');
  if (!doc) {
    // Without the component the inputs cannot be typed, but their own problems can still be told.
    if (step) compileInputs(step.inputs, [...stepPath, 'inputs'], inputScopeOf(scope));
    return undefined;
  }
  const component = parseAt(CommandComponentSchema, doc.raw, { diagnostics: doc.diagnostics, path: doc.path });
  refuseDistribution(doc.raw, { diagnostics: doc.diagnostics, path: doc.path });
  if (!step || !component) return undefined;
  graph.diagnostics.warnAzureOnly(step, AZURE_ONLY_KEYS.command, stepPath);
  graph.diagnostics.warnOnce(step, 'environment', stepPath);

  const declarations = declarationScope(scope, doc);
  const values = mergeInputValues(component.inputs, step.inputs, declarations);
  const inputs = compileInputs(values, [...stepPath, 'inputs'], inputScopeOf(scope));
  markUnset(component.inputs, inputs);
  checkDeclaredInputs(component.inputs, inputs, declarations);
  const commandAt = { diagnostics: doc.diagnostics, path: [...doc.path, 'command'] };
  checkOptionalSegments(component.command, component.inputs, commandAt);
  const runDir = runDirOf(scope);
  const compiled = compileCommandStep(
    {
      displayName: step.display_name ?? component.display_name,
      command: component.command,
      commandAt,
      code:
        component.code === undefined
          ? undefined
          : {
              raw: component.code,
              baseDir: doc.baseDir,
              at: { diagnostics: doc.diagnostics, path: [...doc.path, 'code'] },
            },
      environmentVariables: { ...component.environment_variables, ...step.environment_variables },
      timeoutS: step.limits?.timeout ?? component.limits?.timeout,
      queueTimeoutS: step.limits?.queue_timeout ?? component.limits?.queue_timeout,
      instanceCount: step.resources?.instance_count ?? component.resources?.instance_count,
      compute: step.compute ?? graph.defaultCompute,
      isDeterministic: step.is_deterministic ?? component.is_deterministic ?? true,
    },
    {
      diagnostics: graph.diagnostics,
      stepName: scope.scopedName,
      stepPath,
      runDir,
      inputs,
      outputs: mergeOutputValues(component.outputs, step.outputs, declarations),
      outputScope: outputScopeOf(scope, runDir, true),
    },
  );
  if (!compiled) return undefined;
  graph.job.steps.push(compiled);
  return interfaceOf(compiled);
}

/** Keys of a parallel component that describe the component, not the step it becomes. */
const COMPONENT_ONLY = ['$schema', 'name', 'version', 'tags', 'properties', 'is_deterministic', 'inputs', 'outputs'];

/** A parallel step with `component:`: the component's keys, the step's on top. */
export function compileParallelComponentStep(
  raw: Record<string, unknown>,
  scope: NodeScope,
): StepInterface | undefined {
  const { graph, stepPath } = scope;
  const step = parseAt(ParallelComponentStepSchema, raw, { diagnostics: graph.diagnostics, path: stepPath });
  const doc = componentOf(raw, scope, 'parallel');
  if (!doc) return undefined;
  const component = parseAt(ParallelComponentSchema, doc.raw, { diagnostics: doc.diagnostics, path: doc.path });
  if (!step || !component) return undefined;
  const declarations = declarationScope(scope, doc);
  const inputs = mergeInputValues(component.inputs, step.inputs, declarations);
  const outputs = mergeOutputValues(component.outputs, step.outputs, declarations);
  // The component's code is relative to the component file: made absolute before the merge.
  const code = resolveLocalPath(component.task.code ?? '.', doc.baseDir);
  if (!code.ok) {
    doc.diagnostics.error([...doc.path, 'task', 'code'], code.message);
    return undefined;
  }
  const own = Object.fromEntries(Object.entries(component).filter(([key]) => !COMPONENT_ONLY.includes(key)));
  const { component: _ref, ...overrides } = step;
  const merged = {
    ...own,
    ...overrides,
    type: 'parallel' as const,
    input_data: step.input_data ?? component.input_data,
    inputs,
    outputs,
    task: { ...component.task, code: code.path, ...step.task },
  } as ParallelStepSpec;
  return addParallelStep(merged, scope, step.is_deterministic ?? component.is_deterministic ?? true);
}

/**
 * A `type: pipeline` step: the component's inputs are bound in this graph, then its `jobs` compile
 * as steps named `<this step>/<inner step>`, with `${{parent.inputs.x}}` meaning the component's
 * inputs and `${{parent.outputs.y}}` its outputs (which this step's siblings then see).
 */
export function compilePipelineComponentStep(
  raw: Record<string, unknown>,
  scope: NodeScope,
  compileNode: CompileNode,
): StepInterface | undefined {
  const { graph, stepPath } = scope;
  const step = parseAt(PipelineComponentStepSchema, raw, { diagnostics: graph.diagnostics, path: stepPath });
  const doc = componentOf(raw, scope, 'pipeline');
  if (!doc) return undefined;
  const component = parseAt(PipelineComponentSchema, doc.raw, { diagnostics: doc.diagnostics, path: doc.path });
  if (!step || !component) return undefined;
  if (graph.job.expanding.includes(doc.identity)) {
    graph.diagnostics.error([...stepPath, 'component'], `pipeline component ${doc.identity} contains itself`);
    return undefined;
  }
  if (component.settings !== undefined) {
    doc.diagnostics.warn(
      [...doc.path, 'settings'],
      'of a pipeline component are ignored (the outer pipeline settings apply)',
    );
  }
  const declarations = declarationScope(scope, doc);
  const values = mergeInputValues(component.inputs, step.inputs, declarations);
  const inputs = compileInputs(values, [...stepPath, 'inputs'], inputScopeOf(scope));
  markUnset(component.inputs, inputs);
  checkDeclaredInputs(component.inputs, inputs, declarations);

  // The component's outputs as the inner steps see them: typed by the component, placed by this step.
  const outputValues = mergeOutputValues(component.outputs, step.outputs, declarations);
  const outerBindings: { name: string; step: string; output: string }[] = [];
  const parentOutputs = new Map<string, PipelineOutputDeclaration>();
  const runDir = runDirOf(scope);
  for (const [name, value] of Object.entries(outputValues)) {
    const placed = compileStepOutput(name, value, [...stepPath, 'outputs', name], {
      ...outputScopeOf(scope, runDir, true),
      bindings: outerBindings,
    });
    if (placed) parentOutputs.set(name, { type: placed.type, path: placed.explicitPath ? placed.path : undefined });
  }
  const innerBindings: { name: string; step: string; output: string }[] = [];
  const before = graph.job.steps.length;
  compileGraph(
    component.jobs,
    {
      diagnostics: doc.diagnostics,
      jobsPath: [...doc.path, 'jobs'],
      baseDir: doc.baseDir,
      prefix: `${scope.scopedName}/`,
      parentInputs: inputs,
      parentOutputs,
      bindings: innerBindings,
      defaultCompute: step.compute ?? graph.defaultCompute,
      job: { ...graph.job, expanding: [...graph.job.expanding, doc.identity] },
    },
    compileNode,
  );
  const innerSteps = graph.job.steps.slice(before);
  const outputs = new Map<string, StepOutputRef>();
  for (const binding of innerBindings) {
    const inner = innerSteps.find((candidate) => candidate.name === binding.step);
    const output = inner?.outputs.find((candidate) => candidate.name === binding.output);
    if (output)
      outputs.set(binding.name, { step: binding.step, output: output.name, type: output.type, path: output.path });
  }
  for (const name of Object.keys(component.outputs ?? {})) {
    if (!outputs.has(name) && !innerBindings.some((binding) => binding.name === name)) {
      doc.diagnostics.error(
        [...doc.path, 'outputs', name],
        'is not bound by any step of the component (no ${{parent.outputs.' + name + '}})',
        true,
      );
    }
  }
  // This step's `${{parent.outputs.top}}` bindings point at the inner step that writes the output.
  for (const binding of outerBindings) {
    const inner = outputs.get(binding.output);
    if (inner) graph.bindings.push({ name: binding.name, step: inner.step, output: inner.output });
  }
  return { inputs, outputs };
}
