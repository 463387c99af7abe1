/**
 * The typed events `client.jobs.stream(id)` yields, derived from the coordinator's `Jobs.Watch`
 * stream (a JobStatus on every change, and messages) by one pure function, so the rules are
 * testable without a coordinator: a step has started when it is first seen past "unspecified", and
 * ended when first seen in a terminal state (a step seen ended at once yields both, in order).
 */
import type { JobMessage, JobStatus, Progress, StepStatus } from '../gen/parajob/v1/parajob.js';
import { JobState } from '../gen/parajob/v1/parajob.js';
import { isTerminal } from './job-state.js';

/** One event of a job's stream. Switch on `type`. */
export type JobStreamEvent =
  /** The job's whole status, on every change (the last one is terminal). */
  | { readonly type: 'status'; readonly status: JobStatus }
  /** The job's counts changed (mini-batches, items, rate, ETA, nodes). */
  | { readonly type: 'progress'; readonly progress: Progress }
  /** A step began (its first state past unspecified). */
  | { readonly type: 'stepStarted'; readonly step: StepStatus }
  /** A step reached succeeded, failed or cancelled. */
  | { readonly type: 'stepEnded'; readonly step: StepStatus }
  /** A line from the coordinator about the job (level `info`, `warn` or `error`). */
  | { readonly type: 'log'; readonly level: string; readonly text: string; readonly atMs: number };

/** What statusEvents remembers between statuses. */
export interface StreamMemory {
  readonly progress: Progress | undefined;
  /** Steps seen started, and seen ended. */
  readonly started: ReadonlySet<string>;
  readonly ended: ReadonlySet<string>;
}

/** The memory before the first status. */
export const EMPTY_MEMORY: StreamMemory = { progress: undefined, started: new Set(), ended: new Set() };

function sameProgress(a: Progress | undefined, b: Progress | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The events one new status gives after `memory`, and the memory after it. */
export function statusEvents(
  memory: StreamMemory,
  status: JobStatus,
): { events: JobStreamEvent[]; memory: StreamMemory } {
  const events: JobStreamEvent[] = [];
  const started = new Set(memory.started);
  const ended = new Set(memory.ended);
  for (const step of status.steps) {
    if (step.state === JobState.JOB_STATE_UNSPECIFIED) continue;
    if (!started.has(step.name)) {
      started.add(step.name);
      events.push({ type: 'stepStarted', step });
    }
    if (isTerminal(step.state) && !ended.has(step.name)) {
      ended.add(step.name);
      events.push({ type: 'stepEnded', step });
    }
  }
  if (status.progress && !sameProgress(memory.progress, status.progress)) {
    events.push({ type: 'progress', progress: status.progress });
  }
  events.push({ type: 'status', status });
  return { events, memory: { progress: status.progress ?? memory.progress, started, ended } };
}

/** A coordinator message as a log event. */
export function messageEvent(message: JobMessage): JobStreamEvent {
  return { type: 'log', level: message.level, text: message.text, atMs: Number(message.atMs) };
}
