/**
 * How a step run ended: decided once (the first decision wins; e.g. a cancel that arrives while a
 * threshold failure is being finished changes nothing) and then reported everywhere. The builders
 * here are pure: each takes the facts its reason quotes and the decision time, so the sentences users
 * read are table-tested (test/unit/coordinator/outcome.test.ts) apart from the machine that decides.
 */
import { FailureKind } from '../../gen/parajob/v1/parajob.js';
import type { ErrorExample } from '../reports/error-digest.js';

/** The final states of a step run. */
export type StepEndState = 'succeeded' | 'failed' | 'cancelled';

/** How a step run ended, with the reason users see. */
export interface StepOutcome {
  readonly state: StepEndState;
  /** FAILURE_KIND_UNSPECIFIED unless failed. */
  readonly failureKind: FailureKind;
  /** One or a few sentences: what happened (for failures: why, with the numbers). */
  readonly reason: string;
  /** Log file to read first, relative to the step's `logs/` folder (failures only). */
  readonly lookFirstAt?: string;
  /** Milliseconds since the epoch. */
  readonly decidedAtMs: number;
}

/** A failed outcome. */
export function failedOutcome(
  failureKind: FailureKind,
  reason: string,
  lookFirstAt: string,
  atMs: number,
): StepOutcome {
  return { state: 'failed', failureKind, reason, lookFirstAt, decidedAtMs: atMs };
}

/** Where to look first for each kind of failure (relative to `logs/`). */
export const LOOK_FIRST_AT: Readonly<
  Record<'threshold' | 'init' | 'timeout' | 'noNodes' | 'input' | 'internal', string>
> = {
  threshold: 'job_error.txt',
  init: 'user/error/ (init() stack traces), then job_error.txt',
  timeout: 'sys/master_role.txt and job_progress_overview.txt',
  noNodes: 'sys/master_role.txt',
  input: 'job_result.txt (this file: the input error above)',
  internal: 'sys/master_role.txt',
};

/** Seconds for messages: "600", "0.5". */
export function seconds(ms: number): string {
  return String(Number((ms / 1000).toFixed(3)));
}

/** An error thrown by an actor, as a message. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The line users see (on Watch) when the outcome is decided. */
export function outcomeMessage(outcome: StepOutcome): {
  readonly level: 'info' | 'error';
  readonly text: string;
} {
  return {
    level: outcome.state === 'failed' ? 'error' : 'info',
    text: outcome.state === 'succeeded' ? 'all mini-batches processed' : `${outcome.state}: ${outcome.reason}`,
  };
}

/** Every mini-batch finished. */
export function succeededOutcome(atMs: number): StepOutcome {
  return {
    state: 'succeeded',
    failureKind: FailureKind.FAILURE_KIND_UNSPECIFIED,
    reason: 'all mini-batches processed',
    decidedAtMs: atMs,
  };
}

/** job.cancel; an empty reason reads "cancelled by the user". */
export function cancelledOutcome(reason: string, atMs: number): StepOutcome {
  return {
    state: 'cancelled',
    failureKind: FailureKind.FAILURE_KIND_UNSPECIFIED,
    reason: reason || 'cancelled by the user',
    decidedAtMs: atMs,
  };
}

/** validating or partitioning threw: bad input (an InputError) or a fault of parajob's own. */
export function setupFailureOutcome(error: unknown, invalidInput: boolean, atMs: number): StepOutcome {
  return invalidInput
    ? failedOutcome(FailureKind.FAILURE_KIND_INVALID_INPUT, errorMessage(error), LOOK_FIRST_AT.input, atMs)
    : failedOutcome(FailureKind.FAILURE_KIND_INTERNAL, errorMessage(error), LOOK_FIRST_AT.internal, atMs);
}

/** Flushing the output or writing the result files failed: the run fails whatever was decided. */
export function finishFailureOutcome(error: unknown, atMs: number): StepOutcome {
  return failedOutcome(
    FailureKind.FAILURE_KIND_INTERNAL,
    `writing the outputs failed: ${errorMessage(error)}`,
    LOOK_FIRST_AT.internal,
    atMs,
  );
}

/** What the run's nodes are doing, as timeout reasons quote it. */
export interface NodesFacts {
  /** nodeWaitText: "waiting for 1 more node …", undefined when every wanted node is attached. */
  readonly waitingText: string | undefined;
  readonly attached: number;
  readonly firstInitFailure: ErrorExample | undefined;
}

/** A sentence on what the run's nodes are doing, for timeout reasons. */
export function nodesDetail(nodes: NodesFacts): string {
  const parts = [nodes.waitingText === undefined ? `${nodes.attached} node(s) attached` : `still ${nodes.waitingText}`];
  const initError = nodes.firstInitFailure;
  if (initError !== undefined)
    parts.push(
      `the first init() error (node ${initError.nodeId} ${initError.processName}): ${initError.message.split('\n')[0]}`,
    );
  return parts.join('; ');
}

/** first_task_creation_timeout passed with no lease granted. */
export function firstTaskTimeoutOutcome(limitMs: number, nodes: NodesFacts, atMs: number): StepOutcome {
  const reason = `First task creation is taking longer than ${seconds(limitMs)} seconds: no mini-batch was handed to a node (${nodesDetail(nodes)}).`;
  return failedOutcome(FailureKind.FAILURE_KIND_TIMEOUT, reason, LOOK_FIRST_AT.timeout, atMs);
}

/** Where the run stood when progress_update_timeout passed. */
export interface ProgressFacts {
  readonly limitMs: number;
  readonly running: number;
  readonly finished: number;
  readonly miniBatchCount: number;
}

/** progress_update_timeout passed with no accepted result. */
export function progressTimeoutOutcome(progress: ProgressFacts, nodes: NodesFacts, atMs: number): StepOutcome {
  const reason =
    `No progress update in ${seconds(progress.limitMs)} seconds. ` +
    `${progress.running} mini-batch(es) were running; ${progress.finished} of ${progress.miniBatchCount} finished; ${nodesDetail(nodes)}.`;
  return failedOutcome(FailureKind.FAILURE_KIND_TIMEOUT, reason, LOOK_FIRST_AT.timeout, atMs);
}

/** A threshold was exceeded; `reason` is describeBreach's sentence. */
export function thresholdOutcome(reason: string, atMs: number): StepOutcome {
  return failedOutcome(FailureKind.FAILURE_KIND_THRESHOLD, reason, LOOK_FIRST_AT.threshold, atMs);
}

/** Writing the append_row output failed. */
export function outputFailureOutcome(appendRowFile: string | undefined, error: unknown, atMs: number): StepOutcome {
  const reason = `writing the append_row output ${appendRowFile ?? ''} failed: ${errorMessage(error)}`;
  return failedOutcome(FailureKind.FAILURE_KIND_INTERNAL, reason, LOOK_FIRST_AT.internal, atMs);
}

/** Where an entry script was found unusable. */
export interface InvalidEntryScriptFacts {
  readonly entryScript: string;
  readonly nodeId: string;
  readonly processName: string;
  readonly message: string;
}

/** A processor found the entry script unusable: not retryable, the input is wrong. */
export function invalidEntryScriptOutcome(facts: InvalidEntryScriptFacts, atMs: number): StepOutcome {
  const reason = `the entry script ${facts.entryScript} cannot be used (node ${facts.nodeId} ${facts.processName}): ${facts.message}`;
  return failedOutcome(FailureKind.FAILURE_KIND_INVALID_INPUT, reason, LOOK_FIRST_AT.input, atMs);
}

/** How the last node serving the run left it. */
export interface LastNodeLeftFacts {
  readonly nodeId: string;
  readonly reason: string;
  readonly firstInitFailure: ErrorExample | undefined;
}

/** The last node left: INIT quoting the first init() error when there was one, NO_NODES otherwise. */
export function lastNodeLeftOutcome(facts: LastNodeLeftFacts, atMs: number): StepOutcome {
  const initError = facts.firstInitFailure;
  if (initError === undefined)
    return failedOutcome(
      FailureKind.FAILURE_KIND_NO_NODES,
      `no node serves the job any more: the last one, ${facts.nodeId}, left it (${facts.reason})`,
      LOOK_FIRST_AT.noNodes,
      atMs,
    );
  return failedOutcome(
    FailureKind.FAILURE_KIND_INIT,
    `init() kept failing, so every node left the job (last: ${facts.nodeId}, ${facts.reason}). The first init() error ` +
      `(node ${initError.nodeId} ${initError.processName}): ${initError.message}`,
    LOOK_FIRST_AT.init,
    atMs,
  );
}
