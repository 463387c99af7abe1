/**
 * A step run's status for clients (the proto's StepStatus and Progress), derived from its actor's
 * snapshot: the state, one sentence on what it is doing or waiting for, and the progress counters.
 */
import type { SnapshotFrom } from 'xstate';

import { FailureKind, JobState, type Progress, type StepStatus } from '../../gen/parajob/v1/parajob.js';
import { finishedCount } from '../ledger/ledger.js';
import type { StepRunContext } from './context.js';
import { itemsTotalOf } from './report.js';
import { nodeWaitText } from './serving-nodes.js';
import type { StepRunMachine } from './step-run.machine.js';

/** The machine's top-level state as a JobState. */
export function jobStateOf(snapshot: SnapshotFrom<StepRunMachine>): JobState {
  if (snapshot.matches('validating')) return JobState.JOB_STATE_VALIDATING;
  if (snapshot.matches('partitioning')) return JobState.JOB_STATE_PARTITIONING;
  if (snapshot.matches('waitingForFirstTask')) return JobState.JOB_STATE_WAITING_FOR_FIRST_TASK;
  if (snapshot.matches('running')) return JobState.JOB_STATE_RUNNING;
  if (snapshot.matches('finishing')) return JobState.JOB_STATE_FINISHING;
  if (snapshot.matches('succeeded')) return JobState.JOB_STATE_SUCCEEDED;
  if (snapshot.matches('cancelled')) return JobState.JOB_STATE_CANCELLED;
  if (snapshot.matches('failed')) return JobState.JOB_STATE_FAILED;
  return JobState.JOB_STATE_UNSPECIFIED;
}

/** One sentence: what the step run is doing or waiting for, or how it ended. */
export function stateReasonOf(snapshot: SnapshotFrom<StepRunMachine>): string {
  const context = snapshot.context;
  const { run, step } = context;
  if (snapshot.status === 'done' || snapshot.status === 'error') return run.outcome?.reason ?? 'ended';
  const waiting = nodeWaitText(context);
  if (snapshot.matches('validating')) return 'checking the step and preparing its run directory';
  if (snapshot.matches('partitioning'))
    return `listing input_data '${step.inputData}' and cutting it into mini-batches`;
  if (snapshot.matches('waitingForFirstTask')) {
    return waiting ?? `waiting for the first lease request from ${run.nodes.size} node(s) (workers starting)`;
  }
  if (snapshot.matches('running')) {
    const ledger = run.ledger;
    const done =
      ledger === undefined ? '' : `${finishedCount(ledger)} of ${ledger.miniBatchCount} mini-batches finished`;
    return waiting === undefined ? `processing: ${done}` : `processing: ${done}; ${waiting}`;
  }
  if (snapshot.matches({ finishing: 'releasing' })) {
    return `${run.outcome?.state ?? 'ending'}: waiting for ${run.releasing.size} node(s) to shut down their workers`;
  }
  return `${run.outcome?.state ?? 'ending'}: flushing the output and writing the result files`;
}

/** The progress counters of a step run. */
export function progressOf(context: StepRunContext, nowMs: number): Progress {
  const { run, step } = context;
  const ledger = run.ledger;
  const finished = ledger === undefined ? 0 : finishedCount(ledger);
  const remaining = ledger === undefined ? 0 : ledger.miniBatchCount - finished;
  return {
    miniBatchesTotal: ledger?.miniBatchCount ?? 0,
    miniBatchesSucceeded: ledger?.counts.succeeded ?? 0,
    miniBatchesFailed: ledger?.counts.failed ?? 0,
    miniBatchesRunning: ledger?.leases.size ?? 0,
    // 0 = not known yet (rows of a table cut by size are counted as they are read; a file list or a
    // table cut by rows always has items, so 0 is never a real total of a partitioned input).
    itemsTotal: itemsTotalOf(context) ?? 0,
    itemsSucceeded: ledger?.counts.itemsSucceeded ?? 0,
    itemsFailed: ledger?.counts.itemsFailed ?? 0,
    ratePerS: run.rate.perSecond(nowMs, finished),
    etaMs: (remaining > 0 ? run.rate.etaMs(nowMs, finished, remaining) : 0) ?? -1,
    nodesActive: run.nodes.size,
    nodesWanted: step.instanceCount,
    retries: ledger?.counts.retries ?? 0,
  };
}

/** The parallel step run's part of its StepStatus (the job run adds the pipeline's fields). */
export function stepStatusOf(
  snapshot: SnapshotFrom<StepRunMachine>,
  nowMs: number,
): Pick<StepStatus, 'name' | 'state' | 'runDir' | 'progress' | 'stateReason'> {
  return {
    name: snapshot.context.step.name,
    state: jobStateOf(snapshot),
    runDir: snapshot.context.step.runDir,
    progress: progressOf(snapshot.context, nowMs),
    stateReason: stateReasonOf(snapshot),
  };
}

/** The failure kind of a finished step run (UNSPECIFIED while running or when it did not fail). */
export function failureKindOf(snapshot: SnapshotFrom<StepRunMachine>): FailureKind {
  return snapshot.context.run.outcome?.state === 'failed'
    ? snapshot.context.run.outcome.failureKind
    : FailureKind.FAILURE_KIND_UNSPECIFIED;
}
