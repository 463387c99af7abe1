/**
 * Faults of the coordinator process itself, for `parajob coordinator --chaos "<plan>"`: a user or a
 * test rehearses a coordinator crash at a known point of a job and restarts it on the same data dir.
 *   kill-coordinator:after-commits=40   the coordinator SIGKILLs itself right after handing its 40th
 *                                       committed completion to the journal (not yet synced: the
 *                                       crash may take the last completions with it, as a real one would)
 */
import { ChaosSyntaxError } from './model.js';

export interface CoordinatorChaosPlan {
  /** Committed completions after which the coordinator kills itself; undefined: never. */
  readonly killAfterCommits: number | undefined;
}

const PATTERN = /^kill-coordinator:after-commits=(\d+)$/;

/** Parses the text form; the empty string is the empty plan. Throws ChaosSyntaxError naming what is wrong. */
export function parseCoordinatorChaosPlan(text: string): CoordinatorChaosPlan {
  const trimmed = text.trim();
  if (trimmed === '') return { killAfterCommits: undefined };
  const match = PATTERN.exec(trimmed.replace(/\s+/g, ''));
  const count = Number(match?.[1]);
  if (match === null || !(count >= 1))
    throw new ChaosSyntaxError(
      `coordinator chaos: expected "kill-coordinator:after-commits=<n>" (n ≥ 1), got "${trimmed}"`,
    );
  return { killAfterCommits: count };
}
