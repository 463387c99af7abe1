/**
 * The step-run machine's actors (step-run.machine.ts invokes them by name; tests swap them with
 * `.provide({ actors })`): preparing the step, partitioning its input, finishing it, and the two
 * callbacks that turn time and the output's write backlog into events.
 */
import { type ActorRef, type EventObject, fromCallback, fromPromise, type Snapshot } from 'xstate';

import { InputError } from '../../errors.js';
import { checkRemoteOutputs } from '../output/publish-outputs.js';
import type { AssignmentInput } from '../partition/assignment-input.js';
import { checkStepInput, type Partition, partitionStepInput } from '../partition/partition-input.js';
import type { AttemptsLedger } from '../reports/rebuild-attempts-csv.js';
import type { StepRunInput } from './context.js';
import { finishFailureOutcome } from './outcome.js';
import { type StepReport, writeStepReports } from './report.js';
import { openStepSinks, type StepSinks } from './sinks.js';

/** Input of the prepareStep actor. */
export interface PrepareStepInput {
  readonly step: StepRunInput['step'];
  readonly jobId: string;
  /** Where the append_row output resumes (a resumed step run, or a rerun carrying mini-batches). */
  readonly resumeOutputAt: number | undefined;
  /** A resumed step run's journaled ledger: its reports are reconciled with it before they are opened. */
  readonly resumeLedger: AttemptsLedger | undefined;
}

/** Input of the finishStep actor: the sinks to close (undefined when validating failed) and the report. */
export interface FinishStepInput {
  readonly sinks: StepSinks | undefined;
  readonly report: StepReport;
}

/** Input of the partitionInput actor. */
export interface PartitionInputInput {
  readonly step: StepRunInput['step'];
  readonly resumeMiniBatchCount: number | undefined;
  /** Told `partition.probed` once the input is probed; undefined: not told (a resumed run). */
  readonly parent: ActorRef<Snapshot<unknown>, { type: 'partition.probed'; input: AssignmentInput }> | undefined;
}

export const stepRunActors = {
  /** validating: checks the input settings, creates the log folder and readme, opens the outputs. */
  prepareStep: fromPromise<StepSinks, PrepareStepInput>(async ({ input }) => {
    checkStepInput(input.step);
    checkRemoteOutputs(input.step.outputs);
    return openStepSinks(input.step, input.jobId, input.resumeOutputAt, input.resumeLedger);
  }),
  /**
   * partitioning: lists input_data and cuts it into mini-batches. A step run resumed after a restart
   * must cut into as many as were journaled (else the journaled ledger would describe other work).
   */
  partitionInput: fromPromise<Partition, PartitionInputInput>(async ({ input }) => {
    const { parent } = input;
    const partition = await partitionStepInput(
      input.step,
      parent === undefined ? undefined : (probed) => parent.send({ type: 'partition.probed', input: probed }),
    );
    const journaled = input.resumeMiniBatchCount;
    if (journaled !== undefined && partition.miniBatchCount !== journaled) {
      throw new InputError(
        `the input now cuts into ${partition.miniBatchCount} mini-batches, but ${journaled} were journaled before the coordinator restarted: the input changed while the coordinator was down, so the job cannot resume`,
      );
    }
    return partition;
  }),
  /** finalizing: flush + fsync the output, write the result files (rewritten as failed if that fails). */
  finishStep: fromPromise<void, FinishStepInput>(async ({ input }) => {
    try {
      if (input.sinks === undefined) await writeStepReports(input.report);
      else await input.sinks.finish(input.report);
    } catch (error) {
      const outcome = finishFailureOutcome(error, Date.now());
      await writeStepReports({ ...input.report, outcome }).catch(() => undefined);
      throw error;
    }
  }),
  /** running: a `progress.tick` every overviewIntervalMs. */
  overviewTicker: fromCallback<EventObject, { readonly intervalMs: number }>(({ sendBack, input }) => {
    const timer = setInterval(() => sendBack({ type: 'progress.tick' }), input.intervalMs);
    return () => clearInterval(timer);
  }),
  /** running: an `output.drained` each time the output files' write backlog ends (sinks.ts). */
  outputDrainWatcher: fromCallback<EventObject, { readonly sinks: StepSinks | undefined }>(({ sendBack, input }) => {
    return input.sinks?.onDrained(() => sendBack({ type: 'output.drained' }));
  }),
};
