/**
 * The JSON the UI's API answers with, shaped from the coordinator's JobStatus and compiled spec: a
 * job list row, a job with its pipeline graph (steps as boxes, edges from input bindings), and one
 * step's detail (overview, the spec as YAML, its settings). Pure; the routes fetch, these shape.
 */
import { stringify } from 'yaml';

import { JobState, type JobStatus, type Progress, StepState, type StepStatus } from '../gen/parajob/v1/parajob.js';
import type { CompiledJob } from '../jobspec/model.js';
import type { EdgeView, JobRowView, JobView, ProgressView, StepBoxView, StepDetailView } from './api-types.js';
import { stepMapping, stepSettings } from './step-settings.js';

/** `JOB_STATE_RUNNING` → `running`. */
export function jobStateName(state: JobState): string {
  return (JobState[state] ?? 'UNRECOGNIZED').replace(/^JOB_STATE_/, '').toLowerCase();
}

/** `STEP_STATE_REUSED` → `reused`. */
export function stepStateName(state: StepState): string {
  return (StepState[state] ?? 'UNRECOGNIZED').replace(/^STEP_STATE_/, '').toLowerCase();
}

function progressView(progress: Progress | undefined): ProgressView {
  return {
    miniBatchesTotal: progress?.miniBatchesTotal ?? 0,
    miniBatchesSucceeded: progress?.miniBatchesSucceeded ?? 0,
    miniBatchesFailed: progress?.miniBatchesFailed ?? 0,
    miniBatchesRunning: progress?.miniBatchesRunning ?? 0,
    itemsSucceeded: progress?.itemsSucceeded ?? 0,
    itemsFailed: progress?.itemsFailed ?? 0,
    retries: progress?.retries ?? 0,
    ratePerS: progress?.ratePerS ?? 0,
    etaMs: progress?.etaMs ?? -1,
  };
}

export function jobRowView(status: JobStatus, compiled: CompiledJob | undefined): JobRowView {
  return {
    jobId: status.jobId,
    name: status.name,
    experiment: compiled?.experimentName ?? '',
    state: jobStateName(status.state),
    stateReason: status.stateReason,
    createdAtMs: status.createdAtMs,
    endedAtMs: status.endedAtMs,
    progress: progressView(status.progress),
    steps: status.steps.length,
  };
}

function stepBox(step: StepStatus): StepBoxView {
  return {
    name: step.name,
    type: step.type,
    state: stepStateName(step.stepState),
    detail: jobStateName(step.state),
    stateReason: step.stateReason,
    startedAtMs: step.startedAtMs,
    endedAtMs: step.endedAtMs,
    reusedFrom: step.reusedFrom,
    runDir: step.runDir,
    progress: progressView(step.progress),
    dependsOn: step.dependsOn,
  };
}

/** Edges from the compiled inputs' bindings (`output → input`), else from the steps' dependsOn. */
function edgesOf(status: JobStatus, compiled: CompiledJob | undefined): EdgeView[] {
  if (compiled === undefined)
    return status.steps.flatMap((step) => step.dependsOn.map((from) => ({ from, to: step.name, label: '' })));
  return compiled.steps.flatMap((step) =>
    step.inputs.flatMap((input) =>
      input.kind === 'data' && input.from !== undefined
        ? [{ from: input.from.step, to: step.name, label: `${input.from.output} → ${input.name}` }]
        : [],
    ),
  );
}

export function jobView(status: JobStatus, compiled: CompiledJob | undefined): JobView {
  const failed = status.state === JobState.JOB_STATE_FAILED;
  return {
    ...jobRowView(status, compiled),
    runDir: status.runDir,
    resultFile: status.resultFile,
    failed,
    graph: { steps: status.steps.map(stepBox), edges: edgesOf(status, compiled) },
  };
}

export function stepDetailView(
  status: JobStatus,
  step: StepStatus,
  compiled: CompiledJob | undefined,
  spec: unknown,
): StepDetailView {
  const compiledStep = compiled?.steps.find((candidate) => candidate.name === step.name);
  const mapping = stepMapping(spec, step.name);
  const relativeRunDir = step.runDir.startsWith(status.runDir)
    ? step.runDir.slice(status.runDir.length).replace(/^\/+/, '')
    : '';
  return {
    box: stepBox(step),
    specYaml: mapping === undefined ? '' : stringify(mapping),
    settings: compiledStep === undefined ? [] : stepSettings(compiledStep, spec),
    outputs: step.outputs.map((output) => ({ name: output.name, path: output.path })),
    relativeRunDir,
    exitCode: step.exitCode,
  };
}
