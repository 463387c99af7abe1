/**
 * Faults of the coordinator process itself, for `parajob coordinator --chaos "<plan>"`: a user or a
 * test rehearses a coordinator crash at a known point of a job and restarts it on the same data dir.
 * The coordinator SIGKILLs itself right after handing the n-th journal record of a kind to its journal
 * (not yet synced: the crash may take the last records with it, as a real one would):
 *   kill-coordinator:after-commits=40   the 40th committed completion (mid-run)
 *   kill-coordinator:at-lease=1         the 1st lease granted (before any lease is durable)
 *   kill-coordinator:at-step-end=2      the 2nd step run's end (while finishing, in a pipeline the 2nd
 *                                       step to end)
 */
import { ChaosSyntaxError } from './model.js';

/** Where a coordinator kill is counted: which journal record. */
export type CoordinatorKillPoint = 'commit' | 'lease' | 'step-end';

export interface CoordinatorChaosPlan {
  /** The record kind and how many of it before the coordinator kills itself; undefined: never. */
  readonly kill: { readonly point: CoordinatorKillPoint; readonly count: number } | undefined;
}

const POINTS: Readonly<Record<string, CoordinatorKillPoint>> = {
  'after-commits': 'commit',
  'at-lease': 'lease',
  'at-step-end': 'step-end',
};

const PATTERN = /^kill-coordinator:(after-commits|at-lease|at-step-end)=(\d+)$/;

/** Parses the text form; the empty string is the empty plan. Throws ChaosSyntaxError naming what is wrong. */
export function parseCoordinatorChaosPlan(text: string): CoordinatorChaosPlan {
  const trimmed = text.trim();
  if (trimmed === '') return { kill: undefined };
  const match = PATTERN.exec(trimmed.replace(/\s+/g, ''));
  const count = Number(match?.[2]);
  const point = POINTS[match?.[1] ?? ''];
  if (match === null || point === undefined || !(count >= 1))
    throw new ChaosSyntaxError(
      `coordinator chaos: expected "kill-coordinator:<after-commits|at-lease|at-step-end>=<n>" (n ≥ 1), got "${trimmed}"`,
    );
  return { kill: { point, count } };
}
