/**
 * A pipeline's status for clients, from its step slots: each step's StepStatus (phase, type, timing,
 * outputs, reuse, and a running parallel step's detailed state and progress), the job's state and
 * reason aggregated over them, and the top-level result file naming the failed and skipped steps.
 *
 * A job of one parallel step keeps the status it always had: the step's own state and reason.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Logger } from 'pino';

import {
  FailureKind,
  JobState,
  type JobStatus,
  type OutputLocation,
  type Progress,
  StepState,
  type StepStatus,
} from '../../gen/parajob/v1/parajob.js';
import type { CompiledJob } from '../../jobspec/model.js';
import { runDirLayout } from '../../log/layout.js';
import { failureKindOf, stepStatusOf } from '../step-run/step-status.js';
import type { StepPhase } from './step-graph.js';
import type { StepSlot } from './step-slot.js';

/** The top-level summary of a pipeline's run directory. */
export const PIPELINE_RESULT_FILE = 'pipeline_result.txt';

const STEP_STATE: Readonly<Record<StepPhase, StepState>> = {
  waiting: StepState.STEP_STATE_WAITING,
  running: StepState.STEP_STATE_RUNNING,
  succeeded: StepState.STEP_STATE_SUCCEEDED,
  failed: StepState.STEP_STATE_FAILED,
  cancelled: StepState.STEP_STATE_CANCELLED,
  skipped: StepState.STEP_STATE_SKIPPED,
  reused: StepState.STEP_STATE_REUSED,
};

const JOB_STATE_OF_PHASE: Readonly<Record<StepPhase, JobState>> = {
  waiting: JobState.JOB_STATE_UNSPECIFIED,
  running: JobState.JOB_STATE_RUNNING,
  succeeded: JobState.JOB_STATE_SUCCEEDED,
  failed: JobState.JOB_STATE_FAILED,
  cancelled: JobState.JOB_STATE_CANCELLED,
  skipped: JobState.JOB_STATE_UNSPECIFIED,
  reused: JobState.JOB_STATE_SUCCEEDED,
};

export interface PipelineView {
  readonly jobId: string;
  readonly name: string;
  readonly runDir: string;
  readonly job: CompiledJob;
  readonly slots: readonly StepSlot[];
  readonly createdAtMs: number;
  readonly endedAtMs: number;
  readonly cancelReason: string | undefined;
  readonly nowMs: number;
  /** The job this one reruns, if it is a rerun. */
  readonly rerunOf?: string;
}

/** The outputs a step has (produced once ended well; the compiled paths before). */
function outputsOf(slot: StepSlot): OutputLocation[] {
  const step = slot.bound ?? slot.step;
  return step.outputs.map((output) => {
    const produced = slot.produced[output.name];
    if (produced !== undefined) return { name: output.name, path: produced };
    const appendRow = step.kind === 'parallel' && step.task.appendRowTo === output.name ? step.task.appendRowFile : '';
    return { name: output.name, path: appendRow || output.path };
  });
}

function stepStatus(slot: StepSlot, nowMs: number): StepStatus {
  const detail = slot.parallel === undefined ? undefined : stepStatusOf(slot.parallel.getSnapshot(), nowMs);
  const crashed = slot.phase === 'failed' && slot.outcome?.failureKind === FailureKind.FAILURE_KIND_INTERNAL;
  const exit = slot.command?.getSnapshot().context.exitCode;
  return {
    name: slot.step.name,
    state: detail !== undefined && !crashed ? detail.state : JOB_STATE_OF_PHASE[slot.phase],
    runDir: slot.step.runDir,
    progress: detail?.progress,
    stateReason: detail !== undefined && slot.phase === 'running' ? detail.stateReason : slot.reason,
    type: slot.step.kind,
    stepState: STEP_STATE[slot.phase],
    reusedFrom: slot.reusedFrom,
    startedAtMs: slot.startedAtMs,
    endedAtMs: slot.endedAtMs,
    outputs: outputsOf(slot),
    exitCode: exit ?? -1,
    dependsOn: [...slot.step.dependsOn],
  };
}

/** The step to look at first: the first failed one, else a running one, else the last one. */
function focusOf(slots: readonly StepSlot[]): StepSlot {
  return (slots.find((slot) => slot.phase === 'failed') ??
    [...slots].reverse().find((slot) => slot.phase === 'running') ??
    slots[slots.length - 1]) as StepSlot;
}

function resultFileOf(view: PipelineView, focus: StepSlot): string {
  // A command job's reason (exit code, last lines of output) is in the pipeline result file too.
  if (view.slots.length > 1 || focus.step.kind === 'command') return join(view.runDir, PIPELINE_RESULT_FILE);
  return runDirLayout(focus.step.runDir).jobResult;
}

const TERMINAL_STATES: ReadonlySet<JobState> = new Set([
  JobState.JOB_STATE_SUCCEEDED,
  JobState.JOB_STATE_FAILED,
  JobState.JOB_STATE_CANCELLED,
]);

function jobState(view: PipelineView, focus: StepSlot, steps: readonly StepStatus[]): JobState {
  const { slots } = view;
  if (view.endedAtMs === 0) {
    // A single parallel step shows its detailed state (validating, partitioning, ...).
    if (slots.length === 1 && focus.parallel !== undefined) {
      const state = steps[0]?.state ?? JobState.JOB_STATE_RUNNING;
      // The step ended, the job's end is not journaled yet: not over for a client.
      return TERMINAL_STATES.has(state) ? JobState.JOB_STATE_FINISHING : state;
    }
    return slots.some((slot) => slot.phase !== 'waiting') ? JobState.JOB_STATE_RUNNING : JobState.JOB_STATE_VALIDATING;
  }
  if (slots.some((slot) => slot.phase === 'failed')) return JobState.JOB_STATE_FAILED;
  if (view.cancelReason !== undefined || slots.some((slot) => slot.phase === 'cancelled'))
    return JobState.JOB_STATE_CANCELLED;
  return JobState.JOB_STATE_SUCCEEDED;
}

function jobReason(view: PipelineView, focus: StepSlot, state: JobState, focusReason: string): string {
  const { slots } = view;
  if (slots.length === 1) return focusReason;
  const named = (phase: StepPhase) => slots.filter((slot) => slot.phase === phase).map((slot) => slot.step.name);
  const skipped = named('skipped');
  const skippedText = skipped.length > 0 ? `; skipped: ${skipped.join(', ')}` : '';
  if (state === JobState.JOB_STATE_FAILED) return `step '${focus.step.name}': ${focusReason}${skippedText}`;
  if (state === JobState.JOB_STATE_CANCELLED) return `${view.cancelReason ?? 'cancelled'}${skippedText}`;
  if (state === JobState.JOB_STATE_SUCCEEDED) {
    const reused = named('reused').length;
    return `${slots.length} steps succeeded${reused > 0 ? ` (${reused} reused)` : ''}`;
  }
  const running = named('running');
  return running.length > 0 ? `running: ${running.join(', ')}` : 'starting';
}

/** Pipeline-level outputs bound from steps, else every step's outputs (`step.output` when several). */
function jobOutputs(view: PipelineView, steps: readonly StepStatus[]): OutputLocation[] {
  const { job } = view;
  const pathOf = (stepName: string, output: string) =>
    steps.find((step) => step.name === stepName)?.outputs.find((candidate) => candidate.name === output)?.path;
  if (job.pipelineOutputs.length > 0) {
    return job.pipelineOutputs.flatMap((binding) => {
      const path = pathOf(binding.step, binding.output);
      return path === undefined ? [] : [{ name: binding.name, path }];
    });
  }
  if (steps.length === 1) return [...(steps[0]?.outputs ?? [])];
  // A reused step's outputs are an earlier run's: name every step's, `step.output`.
  return steps.flatMap((step) =>
    step.outputs.map((output) => ({ name: `${step.name}.${output.name}`, path: output.path })),
  );
}

/** The job's status (see the module comment). */
export function jobStatusOf(view: PipelineView): JobStatus {
  const steps = view.slots.map((slot) => stepStatus(slot, view.nowMs));
  const focus = focusOf(view.slots);
  const focusStatus = steps[view.slots.indexOf(focus)];
  const state = jobState(view, focus, steps);
  const failureKind =
    state !== JobState.JOB_STATE_FAILED
      ? FailureKind.FAILURE_KIND_UNSPECIFIED
      : focus.parallel !== undefined && focus.outcome?.failureKind !== FailureKind.FAILURE_KIND_INTERNAL
        ? failureKindOf(focus.parallel.getSnapshot())
        : (focus.outcome?.failureKind ?? FailureKind.FAILURE_KIND_INTERNAL);
  return {
    jobId: view.jobId,
    name: view.name,
    state,
    stateReason: jobReason(view, focus, state, focusStatus?.stateReason ?? ''),
    failureKind,
    runDir: view.runDir,
    progress: sumProgress(steps.map((step) => step.progress)),
    steps,
    outputs: jobOutputs(view, steps),
    createdAtMs: view.createdAtMs,
    endedAtMs: view.endedAtMs,
    resultFile: resultFileOf(view, focus),
    rerunOf: view.rerunOf ?? '',
  };
}

function durationText(step: StepStatus): string {
  if (step.startedAtMs === 0 || step.endedAtMs === 0) return '-';
  return `${((step.endedAtMs - step.startedAtMs) / 1000).toFixed(1)} s`;
}

/**
 * Writes `<run dir>/pipeline_result.txt` for a pipeline of several steps or a command job: the job's state and one line
 * per step (type, status, duration, reason), the failed and skipped steps named first.
 */
export function writePipelineResult(runDir: string, job: CompiledJob, status: JobStatus, logger: Logger): void {
  // A lone parallel step has its own logs/job_result.txt; a lone command step has only this.
  if (job.steps.length < 2 && job.steps[0]?.kind !== 'command') return;
  const name = (stepState: StepState) =>
    status.steps.filter((step) => step.stepState === stepState).map((step) => step.name);
  const lines = [
    `Pipeline ${status.jobId}: ${JobState[status.state].replace('JOB_STATE_', '').toLowerCase()}`,
    status.stateReason,
    `Failed steps: ${name(StepState.STEP_STATE_FAILED).join(', ') || 'none'}`,
    `Skipped steps: ${name(StepState.STEP_STATE_SKIPPED).join(', ') || 'none'}`,
    '',
    ...status.steps.map((step) => {
      const phase = StepState[step.stepState].replace('STEP_STATE_', '').toLowerCase();
      return `${step.name} (${step.type}): ${phase}, ${durationText(step)}: ${step.stateReason}`;
    }),
    '',
  ];
  try {
    writeFileSync(join(runDir, PIPELINE_RESULT_FILE), lines.join('\n'));
  } catch (error) {
    logger.error({ err: error, runDir }, 'cannot write the pipeline result file');
  }
}

/** Progress summed over steps (rate, ETA and nodes: those of the last step that has progress). */
function sumProgress(progresses: readonly (Progress | undefined)[]): Progress | undefined {
  const present = progresses.filter((progress): progress is Progress => progress !== undefined);
  const last = present[present.length - 1];
  if (last === undefined) return undefined;
  const sum = (pick: (progress: Progress) => number) => present.reduce((total, progress) => total + pick(progress), 0);
  return {
    miniBatchesTotal: sum((progress) => progress.miniBatchesTotal),
    miniBatchesSucceeded: sum((progress) => progress.miniBatchesSucceeded),
    miniBatchesFailed: sum((progress) => progress.miniBatchesFailed),
    miniBatchesRunning: sum((progress) => progress.miniBatchesRunning),
    // A step whose total is not known yet (0 with mini-batches) makes the job's total unknown (0) too.
    itemsTotal: present.some((progress) => progress.itemsTotal === 0 && progress.miniBatchesTotal > 0)
      ? 0
      : sum((progress) => progress.itemsTotal),
    itemsSucceeded: sum((progress) => progress.itemsSucceeded),
    itemsFailed: sum((progress) => progress.itemsFailed),
    ratePerS: last.ratePerS,
    etaMs: last.etaMs,
    nodesActive: last.nodesActive,
    nodesWanted: last.nodesWanted,
    retries: sum((progress) => progress.retries),
  };
}
