/**
 * What every kind of step compiles against, taken from its place in the graph: the scopes of its
 * inputs and outputs, its run folder, and adding a compiled parallel step to the job.
 */
import { interfaceOf, type NodeScope, type StepInterface } from './compile-graph.js';
import { compileParallelStep } from './compile-step.js';
import type { Diagnostics } from './diagnostics.js';
import type { InputScope } from './inputs.js';
import { stepRunDir } from './layout.js';
import type { OutputScope } from './outputs.js';
import type { ParallelStepSpec } from './schema.js';
import type { KeyPath } from './yaml-source.js';

/** Refuses `distribution` (multi-node MPI/PyTorch/TensorFlow launch): parajob runs a command on one node. */
export function refuseDistribution(
  raw: Record<string, unknown>,
  at: { readonly diagnostics: Diagnostics; readonly path: KeyPath },
): void {
  if (raw.distribution === undefined) return;
  at.diagnostics.error(
    [...at.path, 'distribution'],
    'distributed training (mpi, pytorch, tensorflow, ray) is not supported: parajob runs a command step as one process on one node',
    true,
  );
}

/** The scope a step's input values are evaluated in: the graph's inputs, the siblings, the assets. */
export function inputScopeOf(scope: NodeScope): InputScope {
  const { graph } = scope;
  return {
    diagnostics: graph.diagnostics,
    baseDir: graph.baseDir,
    parentInputs: graph.parentInputs,
    jobs: scope.jobs,
    assets: graph.job.assets,
    defaultDatastore: graph.job.defaultDatastore,
  };
}

/** The step's run folder (the job's own for a one-step job). */
export function runDirOf(scope: NodeScope): string {
  const { job } = scope.graph;
  return stepRunDir(job.runDir, scope.scopedName, job.singleStep ? 1 : 2);
}

/** The output scope of a step of `scope`'s graph. */
export function outputScopeOf(scope: NodeScope, runDir: string, commandStep: boolean): OutputScope {
  const { graph } = scope;
  return {
    diagnostics: graph.diagnostics,
    baseDir: graph.baseDir,
    stepName: scope.scopedName,
    stepRunDir: runDir,
    parentOutputs: graph.parentOutputs,
    bindings: graph.bindings,
    datastores: { assets: graph.job.assets, defaultDatastore: graph.job.defaultDatastore, jobName: graph.job.jobName },
    commandStep,
  };
}

/** Compiles a parallel step (inline, or merged with its component) and adds it to the job. */
export function addParallelStep(
  spec: ParallelStepSpec,
  scope: NodeScope,
  isDeterministic: boolean | undefined,
): StepInterface | undefined {
  const { graph } = scope;
  const step = compileParallelStep(spec, {
    diagnostics: graph.diagnostics,
    baseDir: graph.baseDir,
    stepName: scope.scopedName,
    stepPath: scope.stepPath,
    runDir: runDirOf(scope),
    defaultCompute: graph.defaultCompute,
    parentInputs: graph.parentInputs,
    parentOutputs: graph.parentOutputs,
    bindings: graph.bindings,
    isDeterministic,
    jobs: scope.jobs,
    assets: graph.job.assets,
    datastores: { assets: graph.job.assets, defaultDatastore: graph.job.defaultDatastore, jobName: graph.job.jobName },
  });
  if (!step) return undefined;
  graph.job.steps.push(step);
  return interfaceOf(step);
}
