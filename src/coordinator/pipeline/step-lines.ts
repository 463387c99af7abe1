/**
 * The lines a pipeline's job stream shows for each step, as Azure's `az ml job stream` shows its child
 * runs: when a step starts, and how it ended (succeeded with its duration, reused naming the run
 * reused, failed/cancelled/skipped with the reason). Pure: the job run sends them as job messages.
 */
import type { JobMessage } from '../../gen/parajob/v1/parajob.js';
import type { StepPhase } from './step-graph.js';

/** `0.4s`, `12.3s`, `4m 05s` (the CLI's duration style; the coordinator cannot import the CLI). */
export function stepDurationText(ms: number): string {
  if (ms < 60_000) return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
  const totalSeconds = Math.round(ms / 1000);
  return `${Math.floor(totalSeconds / 60)}m ${String(totalSeconds % 60).padStart(2, '0')}s`;
}

/** `step 'score' started (parallel)`. */
export function stepStartedLine(name: string, kind: string, atMs: number): JobMessage {
  return { level: 'info', text: `step '${name}' started (${kind})`, atMs };
}

/** What a step ended as, with its reason and how long it ran (a skipped step never ran). */
export function stepEndedLine(
  name: string,
  phase: Exclude<StepPhase, 'waiting' | 'running'>,
  reason: string,
  timing: { readonly startedAtMs: number; readonly endedAtMs: number },
): JobMessage {
  const ran = timing.startedAtMs > 0 && phase !== 'skipped' && phase !== 'reused';
  const took = ran ? stepDurationText(timing.endedAtMs - timing.startedAtMs) : '';
  const level = phase === 'failed' ? 'error' : phase === 'succeeded' || phase === 'reused' ? 'info' : 'warn';
  const text =
    phase === 'succeeded'
      ? `step '${name}' succeeded in ${took}`
      : `step '${name}' ${phase}${ran ? ` after ${took}` : ''}: ${reason}`;
  return { level, text, atMs: timing.endedAtMs };
}
