/**
 * Job statuses as readable text: the end-of-job summary (state, counts, outputs, where the logs are),
 * `job show`, and the `job list` table. Pure functions of a JobStatus.
 */
import { join } from 'node:path';

import { FailureKind, JobState, type JobStatus, StepState } from '../gen/parajob/v1/parajob.js';
import { formatDuration, formatProgressLine, itemsTotalText, progressOf, stateLabel } from './progress-format.js';
import { formatStepGraph, stepCountText, stepLogsFolder, stepStateLabel } from './step-views.js';

/** The logs folder of a run directory (`<run dir>/logs`), or '' when the status has no run dir. */
export function logsFolder(runDir: string): string {
  return runDir ? join(runDir, 'logs') : '';
}

/** The file to read first about a job: the coordinator's `resultFile`, else `<run dir>/logs/job_result.txt`. */
export function resultFileOf(status: Pick<JobStatus, 'resultFile' | 'runDir'>): string {
  if (status.resultFile) return status.resultFile;
  return status.runDir ? join(status.runDir, 'logs', 'job_result.txt') : '';
}

/** Human name of a failure kind, for `failed (<kind>)`. */
export function failureKindLabel(kind: FailureKind): string {
  switch (kind) {
    case FailureKind.FAILURE_KIND_INVALID_INPUT:
      return 'invalid input';
    case FailureKind.FAILURE_KIND_THRESHOLD:
      return 'error threshold exceeded';
    case FailureKind.FAILURE_KIND_INIT:
      return 'init() failed';
    case FailureKind.FAILURE_KIND_TIMEOUT:
      return 'timeout';
    case FailureKind.FAILURE_KIND_NO_NODES:
      return 'no nodes left';
    case FailureKind.FAILURE_KIND_INTERNAL:
      return 'internal error';
    case FailureKind.FAILURE_KIND_USER:
      return 'user error';
    default:
      return '';
  }
}

/** The job's name when it says more than its id ('' otherwise). */
function nameOf(status: Pick<JobStatus, 'name' | 'jobId'>): string {
  return status.name && status.name !== status.jobId ? status.name : '';
}

function stateWithKind(status: Pick<JobStatus, 'state' | 'failureKind'>): string {
  const kind = status.state === JobState.JOB_STATE_FAILED ? failureKindLabel(status.failureKind) : '';
  return kind ? `${stateLabel(status.state)} (${kind})` : stateLabel(status.state);
}

function elapsedMs(status: Pick<JobStatus, 'createdAtMs' | 'endedAtMs'>, nowMs: number): number {
  if (!status.createdAtMs) return -1;
  return (status.endedAtMs || nowMs) - status.createdAtMs;
}

/**
 * What a user reads when a followed job ends: one sentence with the state, counts and wall time, the
 * reason when it did not succeed, the outputs (name: path), and the logs folder with job_result.txt.
 */
export function formatJobSummary(status: JobStatus, nowMs: number = Date.now()): string {
  const p = progressOf(status);
  // A job of command steps only has no mini-batches to count: its steps are what it did.
  const commandsOnly = status.steps.length > 0 && status.steps.every((step) => step.type === 'command');
  const succeeded = status.steps.filter((step) => step.stepState === StepState.STEP_STATE_SUCCEEDED).length;
  const reused = status.steps.filter((step) => step.stepState === StepState.STEP_STATE_REUSED).length;
  const counts = commandsOnly
    ? `${succeeded + reused}/${status.steps.length} command steps succeeded${reused > 0 ? ` (${reused} reused)` : ''}.`
    : `${p.miniBatchesSucceeded}/${p.miniBatchesTotal} mini-batches succeeded (${p.miniBatchesFailed} failed), ` +
      `${p.itemsSucceeded}/${itemsTotalText(p)} items succeeded (${p.itemsFailed} failed).`;
  const lines = [
    `Job ${status.jobId} ${stateWithKind(status)} in ${formatDuration(elapsedMs(status, nowMs))}: ${counts}`,
  ];
  if (status.state !== JobState.JOB_STATE_SUCCEEDED && status.stateReason) lines.push(`Reason: ${status.stateReason}`);
  if (status.outputs.length > 0) {
    lines.push('Outputs:');
    for (const output of status.outputs) lines.push(`  ${output.name}: ${output.path}`);
  }
  lines.push(...logLines(status));
  return lines.join('\n');
}

function logLines(status: JobStatus): string[] {
  const lines: string[] = [];
  if (status.runDir && status.steps.length <= 1) {
    const only = status.steps[0];
    lines.push(`Logs: ${only === undefined ? logsFolder(status.runDir) : stepLogsFolder(only)}`);
  }
  const result = resultFileOf(status);
  if (result) lines.push(`Result: ${result}`);
  // A pipeline of several steps has a run directory per step: list their logs too.
  if (status.steps.length > 1) {
    for (const step of status.steps) {
      if (step.runDir) lines.push(`  step ${step.name} (${stepStateLabel(step)}): ${stepLogsFolder(step)}`);
    }
  }
  return lines;
}

/** `parajob job show`: the status as labelled lines. */
export function formatJobStatus(status: JobStatus, nowMs: number = Date.now()): string {
  const lines = [
    `Job:      ${status.jobId}${nameOf(status) ? ` (${nameOf(status)})` : ''}`,
    `State:    ${stateWithKind(status)}`,
  ];
  if (status.stateReason) lines.push(`Reason:   ${status.stateReason}`);
  if (status.rerunOf) lines.push(`Rerun of: ${status.rerunOf}`);
  if (status.createdAtMs) lines.push(`Created:  ${new Date(status.createdAtMs).toISOString()}`);
  if (status.endedAtMs) lines.push(`Ended:    ${new Date(status.endedAtMs).toISOString()}`);
  const elapsed = elapsedMs(status, nowMs);
  if (elapsed >= 0) lines.push(`Elapsed:  ${formatDuration(elapsed)}`);
  lines.push(`Progress: ${formatProgressLine(status)}`);
  if (status.steps.length > 1) {
    lines.push('Steps:', ...formatStepGraph(status, nowMs));
  }
  if (status.outputs.length > 0) {
    lines.push('Outputs:');
    for (const output of status.outputs) lines.push(`  ${output.name}: ${output.path}`);
  }
  if (status.runDir) lines.push(`Run dir:  ${status.runDir}`);
  const result = resultFileOf(status);
  if (result) lines.push(`Result:   ${result}`);
  return lines.join('\n');
}

/** `parajob job list`: one row per job (id, state, mini-batches done/total, created, name and lineage). */
export function formatJobList(jobs: readonly JobStatus[]): string {
  if (jobs.length === 0) return 'No jobs.';
  const rows = jobs.map((job) => {
    const p = progressOf(job);
    return [
      job.jobId,
      stateWithKind(job),
      stepCountText(job),
      `${p.miniBatchesSucceeded + p.miniBatchesFailed}/${p.miniBatchesTotal}`,
      job.createdAtMs ? new Date(job.createdAtMs).toISOString() : '',
      [nameOf(job), job.rerunOf ? `(rerun of ${job.rerunOf})` : ''].filter(Boolean).join(' '),
    ];
  });
  const header = ['JOB', 'STATE', 'STEPS', 'MINI-BATCHES', 'CREATED', 'NAME'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const render = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [render(header), ...rows.map(render)].join('\n');
}
