/**
 * A pipeline's steps for people and scripts: the graph `job show` draws (each step indented under the
 * deepest step it consumes from, with type, status, duration and reuse), the `job show --json`
 * document, and the step counts of `job list`. Pure functions of a JobStatus.
 */
import { join } from 'node:path';

import { JobState, type JobStatus, StepState, type StepStatus } from '../gen/parajob/v1/parajob.js';
import { formatDuration, formatProgressLine, stateLabel } from './progress-format.js';

/** `succeeded`, `skipped`, `reused`, ... */
export function stepStateLabel(step: Pick<StepStatus, 'stepState' | 'state'>): string {
  if (step.stepState === StepState.STEP_STATE_UNSPECIFIED) return stateLabel(step.state);
  return StepState[step.stepState].replace('STEP_STATE_', '').toLowerCase();
}

/** Where a step's logs are: `user_logs/` of a command step, `logs/` of a parallel step. */
export function stepLogsFolder(step: Pick<StepStatus, 'type' | 'runDir'>): string {
  return step.runDir ? join(step.runDir, step.type === 'command' ? 'user_logs' : 'logs') : '';
}

function durationOf(step: StepStatus, nowMs: number): string {
  if (!step.startedAtMs) return '';
  return formatDuration((step.endedAtMs || nowMs) - step.startedAtMs);
}

/** Depth of each step: 0 for a step consuming from none, else 1 + the deepest of its producers. */
function depths(steps: readonly StepStatus[]): Map<string, number> {
  const depth = new Map<string, number>();
  // Steps come producers first.
  for (const step of steps) {
    depth.set(step.name, Math.max(-1, ...step.dependsOn.map((name) => depth.get(name) ?? 0)) + 1);
  }
  return depth;
}

/** The steps as an indented graph, one line each (see the module comment). */
export function formatStepGraph(status: JobStatus, nowMs: number = Date.now()): string[] {
  const depth = depths(status.steps);
  return status.steps.map((step) => {
    const level = depth.get(step.name) ?? 0;
    const prefix = level === 0 ? '' : `${'   '.repeat(level - 1)}└─ `;
    const facts = [stepStateLabel(step), durationOf(step, nowMs)];
    if (step.reusedFrom) facts.push(`reused from ${step.reusedFrom}`);
    if (step.type === 'parallel' && step.stepState === StepState.STEP_STATE_RUNNING)
      facts.push(formatProgressLine(step));
    const from = step.dependsOn.length > 0 ? `  ◀ ${step.dependsOn.join(', ')}` : '';
    return `  ${prefix}${step.name} (${step.type || 'parallel'}): ${facts.filter(Boolean).join(', ')}${from}`;
  });
}

function isoOrNull(ms: number): string | null {
  return ms ? new Date(ms).toISOString() : null;
}

/** `job show --json`: `{id, status, steps: [{name, type, status, reusedFrom, startedAt, endedAt, outputs}]}` and more. */
export function jobJson(status: JobStatus): Record<string, unknown> {
  return {
    id: status.jobId,
    name: status.name,
    status: stateLabel(status.state),
    state: JobState[status.state],
    stateReason: status.stateReason,
    rerunOf: status.rerunOf || null,
    runDir: status.runDir,
    resultFile: status.resultFile,
    createdAt: isoOrNull(status.createdAtMs),
    endedAt: isoOrNull(status.endedAtMs),
    progress: status.progress ?? null,
    outputs: Object.fromEntries(status.outputs.map((output) => [output.name, output.path])),
    steps: status.steps.map((step) => ({
      name: step.name,
      type: step.type,
      status: stepStateLabel(step),
      reusedFrom: step.reusedFrom || null,
      startedAt: isoOrNull(step.startedAtMs),
      endedAt: isoOrNull(step.endedAtMs),
      outputs: Object.fromEntries(step.outputs.map((output) => [output.name, output.path])),
      dependsOn: step.dependsOn,
      reason: step.stateReason,
      runDir: step.runDir,
      ...(step.type === 'command' && step.endedAtMs ? { exitCode: step.exitCode } : {}),
    })),
  };
}

/** `job list`'s STEPS cell: steps ended well (succeeded or reused) out of all, e.g. `2/3`. */
export function stepCountText(status: JobStatus): string {
  if (status.steps.length === 0) return '';
  const well = status.steps.filter(
    (step) => step.stepState === StepState.STEP_STATE_SUCCEEDED || step.stepState === StepState.STEP_STATE_REUSED,
  ).length;
  return `${well}/${status.steps.length}`;
}
