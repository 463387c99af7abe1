/**
 * The pipeline's scheduling decisions, pure: given every step's phase, which waiting steps may start
 * now and which will never run. The job run (jobs/job-run.ts) applies them; nothing here does I/O.
 *
 * - A waiting step starts once every step it consumes from has succeeded or was reused.
 * - A waiting step downstream of a step that failed, was cancelled or skipped is skipped, naming it
 *   (skips cascade: a skipped step's consumers are skipped too).
 * - With continue_on_step_failure false, once a step has failed nothing new starts: every waiting
 *   step is skipped, naming the failure (the job run cancels what still runs).
 */
import type { CompiledStep } from '../../jobspec/model.js';

export type StepPhase = 'waiting' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'skipped' | 'reused';

export interface StepMoves {
  /** Steps to start now, in the job's step order. */
  readonly start: readonly string[];
  /** Steps that will never run, with the reason. */
  readonly skip: readonly { readonly name: string; readonly reason: string }[];
}

const DONE_WELL: ReadonlySet<StepPhase> = new Set(['succeeded', 'reused']);
const DONE_BADLY: ReadonlySet<StepPhase> = new Set(['failed', 'cancelled', 'skipped']);

/** True when the phase is one a step ends in. */
export function isEndPhase(phase: StepPhase): boolean {
  return DONE_WELL.has(phase) || DONE_BADLY.has(phase);
}

/** What to do next (see the module comment). */
export function nextMoves(
  steps: readonly CompiledStep[],
  phases: ReadonlyMap<string, StepPhase>,
  continueOnStepFailure: boolean,
): StepMoves {
  const current = new Map(phases);
  const skip: { name: string; reason: string }[] = [];
  const failed = steps.find((step) => current.get(step.name) === 'failed');
  if (!continueOnStepFailure && failed !== undefined) {
    for (const step of steps) {
      if (current.get(step.name) !== 'waiting') continue;
      skip.push({
        name: step.name,
        reason: `not run: step ${failed.name} failed and continue_on_step_failure is false`,
      });
    }
    return { start: [], skip };
  }
  // Steps come producers first, so one pass settles every cascade.
  const start: string[] = [];
  for (const step of steps) {
    if (current.get(step.name) !== 'waiting') continue;
    const blocker = step.dependsOn.find((name) => DONE_BADLY.has(current.get(name) ?? 'waiting'));
    if (blocker !== undefined) {
      const reason = `not run: step ${blocker} it consumes from was ${current.get(blocker)}`;
      skip.push({ name: step.name, reason });
      current.set(step.name, 'skipped');
      continue;
    }
    if (step.dependsOn.every((name) => DONE_WELL.has(current.get(name) ?? 'waiting'))) start.push(step.name);
  }
  return { start, skip };
}
