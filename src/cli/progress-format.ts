/**
 * Pure formatting of a job's progress and state for the terminal: the live progress line (shared by
 * the TTY bar and the plain line), durations, rates. No I/O here, so all of it is unit-tested.
 */
import { JobState, type JobStatus, type Progress, StepState } from '../gen/parajob/v1/parajob.js';
import { isTerminal } from '../sdk/job-state.js';

/** Lower-case, human name of a job state (`waiting for first task`, `succeeded`, ...). */
export function stateLabel(state: JobState): string {
  switch (state) {
    case JobState.JOB_STATE_VALIDATING:
      return 'validating';
    case JobState.JOB_STATE_PARTITIONING:
      return 'partitioning';
    case JobState.JOB_STATE_WAITING_FOR_FIRST_TASK:
      return 'waiting';
    case JobState.JOB_STATE_RUNNING:
      return 'running';
    case JobState.JOB_STATE_FINISHING:
      return 'finishing';
    case JobState.JOB_STATE_SUCCEEDED:
      return 'succeeded';
    case JobState.JOB_STATE_FAILED:
      return 'failed';
    case JobState.JOB_STATE_CANCELLED:
      return 'cancelled';
    default:
      return 'unknown';
  }
}

export { isTerminal };

/**
 * A duration for humans: `850ms`, `12.3s`, `4m 05s`, `2h 03m`, `3d 04h`. Negative or non-finite
 * values (an unknown ETA) are `--`.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '--';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const totalSeconds = Math.round(seconds);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const minutes = Math.floor(totalSeconds / 60);
  if (minutes < 60) return `${minutes}m ${pad(totalSeconds % 60)}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${pad(minutes % 60)}m`;
  return `${Math.floor(hours / 24)}d ${pad(hours % 24)}h`;
}

/** Mini-batches per second with enough digits to be read: `0.25/s`, `3.2/s`, `140/s`; `--` when unknown. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return '--';
  const digits = perSecond >= 100 ? 0 : perSecond >= 10 ? 1 : perSecond >= 1 ? 1 : 2;
  return `${perSecond.toFixed(digits)}/s`;
}

const EMPTY_PROGRESS: Progress = {
  miniBatchesTotal: 0,
  miniBatchesSucceeded: 0,
  miniBatchesFailed: 0,
  miniBatchesRunning: 0,
  itemsTotal: 0,
  itemsSucceeded: 0,
  itemsFailed: 0,
  ratePerS: 0,
  etaMs: -1,
  nodesActive: 0,
  nodesWanted: 0,
  retries: 0,
};

/** The status's progress, or zeros when the coordinator sent none yet. */
export function progressOf(status: Pick<JobStatus, 'progress'>): Progress {
  return status.progress ?? EMPTY_PROGRESS;
}

/**
 * The items total as text: `?` while the coordinator does not know it yet (it sends 0 with
 * mini-batches: rows of a table cut by size are counted as they are read).
 */
export function itemsTotalText(p: Pick<Progress, 'itemsTotal' | 'miniBatchesTotal'>): string {
  return p.itemsTotal === 0 && p.miniBatchesTotal > 0 ? '?' : String(p.itemsTotal);
}

/** The pieces of the progress line, computed once for both the bar and the plain line. */
export interface ProgressFields {
  readonly state: string;
  /** Mini-batches finished (succeeded + failed). */
  readonly done: number;
  readonly failed: number;
  readonly running: number;
  readonly total: number;
  readonly items: string;
  readonly rate: string;
  readonly eta: string;
  readonly nodes: string;
  readonly retries: number;
  /** Why the job is in its state (e.g. what it waits for); '' when nothing to say or the job ended. */
  readonly note: string;
}

/** Computes the progress line's fields from a status. */
export function progressFields(status: Pick<JobStatus, 'state' | 'progress' | 'stateReason'>): ProgressFields {
  const p = progressOf(status);
  const itemsDone = p.itemsSucceeded + p.itemsFailed;
  // An ETA only means something while mini-batches are being processed.
  const running = status.state === JobState.JOB_STATE_RUNNING;
  return {
    state: stateLabel(status.state),
    done: p.miniBatchesSucceeded + p.miniBatchesFailed,
    failed: p.miniBatchesFailed,
    running: p.miniBatchesRunning,
    total: p.miniBatchesTotal,
    items:
      p.itemsFailed > 0
        ? `${itemsDone}/${itemsTotalText(p)} (${p.itemsFailed} failed)`
        : `${itemsDone}/${itemsTotalText(p)}`,
    rate: formatRate(p.ratePerS),
    eta: running ? formatDuration(p.etaMs) : '--',
    nodes: `${p.nodesActive}/${p.nodesWanted}`,
    retries: p.retries,
    note: isTerminal(status.state) ? '' : status.stateReason,
  };
}

/**
 * The one-line progress of a job, e.g.
 * `running | mini-batches 12/286 done, 1 failed, 4 running | items 84/2000 | 3.2/s | ETA 1m 28s | nodes 2/2`,
 * followed by `| <state reason>` while the job waits for something.
 */
export function formatProgressLine(status: Pick<JobStatus, 'state' | 'progress' | 'stateReason'>): string {
  const f = progressFields(status);
  const parts = [
    f.state,
    `mini-batches ${f.done}/${f.total} done, ${f.failed} failed, ${f.running} running`,
    `items ${f.items}`,
    f.rate,
    `ETA ${f.eta}`,
    `nodes ${f.nodes}`,
  ];
  if (f.retries > 0) parts.push(`${f.retries} retries`);
  if (f.note) parts.push(f.note);
  return parts.join(' | ');
}

/**
 * The progress lines of a job, each with a key telling which earlier line it replaces: the job's one
 * line; for a running pipeline, one line per running parallel step instead (its counts, as Azure's job
 * stream follows each child run; command steps show as their start and end messages), none while
 * no parallel step runs.
 */
export function formatProgressLines(status: JobStatus): { readonly key: string; readonly line: string }[] {
  if (status.steps.length < 2 || isTerminal(status.state)) return [{ key: '', line: formatProgressLine(status) }];
  return status.steps
    .filter(
      // A step still being checked for reuse has no counts yet: its start or reuse is a message.
      (step) => step.type === 'parallel' && step.stepState === StepState.STEP_STATE_RUNNING && step.progress,
    )
    .map((step) => ({ key: step.name, line: `step '${step.name}': ${formatProgressLine(step)}` }));
}
