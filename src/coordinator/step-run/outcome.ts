/**
 * How a step run ended: decided once (the first decision wins; e.g. a cancel that arrives while a
 * threshold failure is being finished changes nothing) and then reported everywhere.
 */
import type { FailureKind } from '../../gen/parajob/v1/parajob.js';

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
