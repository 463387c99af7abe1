/**
 * A job's step slots as it starts: every step waiting for its producers, except the steps the journal
 * says succeeded before a coordinator restart (not run again: their outputs are where they were
 * written) and, in a rerun, the steps reused whole from the job it reruns (rerun-plan.ts).
 */
import type { CompiledStep } from '../../jobspec/model.js';
import type { StepSlot } from '../pipeline/step-slot.js';
import { stepRunId } from './job-id.js';
import type { RerunPlan } from './rerun-plan.js';

/** Where a job starts from: a restart's succeeded step runs (wire ids) and a rerun's plan. */
export interface JobStart {
  readonly succeededBeforeRestart?: ReadonlySet<string>;
  /** When the job was accepted (a resumed job keeps its own). @default now */
  readonly acceptedAtMs?: number;
  readonly rerun?: RerunPlan;
}

/** The slots of `steps` for job `jobId` (see the module comment). */
export function createSlots(jobId: string, steps: readonly CompiledStep[], start: JobStart, nowMs: number): StepSlot[] {
  return steps.map((step) => {
    const slot: StepSlot = {
      step,
      wireJobId: stepRunId(jobId, step.name, steps.length),
      phase: 'waiting',
      reason: step.dependsOn.length > 0 ? `waiting for ${step.dependsOn.join(', ')}` : 'starting',
      bound: undefined,
      parallel: undefined,
      command: undefined,
      outcome: undefined,
      reusedFrom: '',
      produced: {},
      startedAtMs: 0,
      endedAtMs: 0,
      reuseKey: undefined,
      logDestinations: [],
    };
    const reused = start.rerun?.reusedSteps.get(step.name);
    if (start.succeededBeforeRestart?.has(slot.wireJobId)) {
      slot.phase = 'succeeded';
      slot.reason = 'succeeded before the coordinator restarted';
      slot.produced = Object.fromEntries(step.outputs.map((output) => [output.name, output.path]));
    } else if (reused !== undefined && start.rerun !== undefined) {
      slot.phase = 'reused';
      slot.reason = `succeeded in job ${start.rerun.rerunOf}: reused by its rerun`;
      slot.reusedFrom = reused.from;
      slot.produced = { ...reused.outputs };
      slot.startedAtMs = nowMs;
      slot.endedAtMs = nowMs;
    }
    return slot;
  });
}
