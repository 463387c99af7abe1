/**
 * What a rerun reuses of the job it reruns (`parajob job rerun`), decided from that job's final
 * status and its journal: every step that succeeded (or was itself reused) is reused whole, with the
 * outputs it produced; a parallel step that failed or was cancelled runs again, carrying over the
 * mini-batches that succeeded (the journal keeps them for every step that ended without succeeding,
 * with its output's journaled length). A step that never started runs as usual.
 */
import { type JobStatus, StepState } from '../../gen/parajob/v1/parajob.js';
import type { CompiledJob } from '../../jobspec/model.js';
import type { DurableJob } from '../journal/durable-state.js';
import type { CarriedMiniBatches } from '../journal/step-run-journal.js';
import { miniBatchSetSize } from '../ledger/mini-batch-set.js';
import { stepRunId } from './job-id.js';

/** A step reused whole: the step run whose outputs it takes, and those outputs by name. */
export interface ReusedStep {
  readonly from: string;
  readonly outputs: Readonly<Record<string, string>>;
}

/** A parallel step that runs again, reusing the mini-batches that succeeded in the earlier run. */
export interface CarriedStep extends Omit<CarriedMiniBatches, 'outputEnd'> {
  /** Wire id of the earlier step run. */
  readonly from: string;
  /** How many mini-batches of it succeeded. */
  readonly succeededCount: number;
  /** Its append_row output's journaled length: the first bytes of that file are the reused rows. */
  readonly earlierOutputEnd: number;
  /** Its append_row file (undefined without one) and output paths by name. */
  readonly appendRowFile: string | undefined;
  readonly outputs: Readonly<Record<string, string>>;
}

/** What a rerun reuses, by step name (empty maps: from scratch). */
export interface RerunPlan {
  /** The job rerun. */
  readonly rerunOf: string;
  readonly reusedSteps: ReadonlyMap<string, ReusedStep>;
  readonly carried: ReadonlyMap<string, CarriedStep>;
}

/** The plan of a rerun from scratch: nothing reused. */
export function fromScratchPlan(rerunOf: string): RerunPlan {
  return { rerunOf, reusedSteps: new Map(), carried: new Map() };
}

/**
 * The plan for rerunning the job `earlier` (its final status, its job compiled as it ran, its journal
 * entry). A reused step's outputs are the ones its status names (a reused step's own source first).
 */
export function planRerun(earlier: {
  readonly status: JobStatus;
  readonly compiled: CompiledJob;
  readonly durable: DurableJob;
}): RerunPlan {
  const { status, compiled, durable } = earlier;
  const reusedSteps = new Map<string, ReusedStep>();
  const carried = new Map<string, CarriedStep>();
  for (const step of status.steps) {
    const wireId = stepRunId(status.jobId, step.name, compiled.steps.length);
    if (step.stepState === StepState.STEP_STATE_SUCCEEDED || step.stepState === StepState.STEP_STATE_REUSED) {
      const outputs = Object.fromEntries(step.outputs.map((output) => [output.name, output.path]));
      reusedSteps.set(step.name, { from: step.reusedFrom || wireId, outputs });
      continue;
    }
    const run = durable.steps.get(wireId);
    const definition = compiled.steps.find((candidate) => candidate.name === step.name);
    if (run?.reusable === undefined || definition?.kind !== 'parallel') continue;
    const succeededCount = miniBatchSetSize(run.reusable.succeeded);
    if (succeededCount === 0) continue;
    carried.set(step.name, {
      from: wireId,
      miniBatchCount: run.started.miniBatchCount,
      succeeded: run.reusable.succeeded,
      itemsSucceeded: run.reusable.itemsSucceeded,
      succeededCount,
      earlierOutputEnd: run.outputEnd,
      appendRowFile: definition.task.appendRowFile,
      outputs: Object.fromEntries(definition.outputs.map((output) => [output.name, output.path])),
    });
  }
  return { rerunOf: status.jobId, reusedSteps, carried };
}
