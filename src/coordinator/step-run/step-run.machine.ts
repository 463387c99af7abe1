/**
 * The step-run machine: one parallel step of a job, from its input to its result files.
 *
 *   validating ──prepareStep done──▶ partitioning ──partitionInput done──▶ waitingForFirstTask
 *       │ error (InputError → INVALID_INPUT)          │ error (no files, mltable, bad path)    │
 *       ▼                                             ▼                                        │ first lease granted
 *   finishing ◀──────────────────────────────────────────────────────────────────────────── running
 *     releasing ──every node left, or releaseWait──▶ finalizing ──finishStep──▶ succeeded | failed | cancelled
 *
 * What moves it:
 * - `job.cancel` (any state before finishing) → finishing, outcome cancelled.
 * - waitingForFirstTask: nodes are taken as they are offered (`node.offered`, compute must match, up to
 *   instance_count; a "waiting for N more nodes" message whenever that count changes); the first lease
 *   granted on a `lease.requested` → running; `firstTaskCreationTimeout` (from job start) → failed
 *   TIMEOUT.
 * - running: `results.received` feeds the ledger; `always`: a threshold exceeded → failed THRESHOLD;
 *   every mini-batch finished → succeeded; an append_row write error → failed INTERNAL.
 *   `progressUpdateTimeout` (since the last accepted result) → failed TIMEOUT. The timer is not re-armed
 *   per result (that would be a timer per results message): when it fires it checks the time of the
 *   last progress and re-enters with the remaining delay if there was some. While the output files'
 *   write queues are backlogged (the disk lags), no lease is granted and the timeout does not count;
 *   `output.drained` grants the credit the nodes kept asking for.
 * - both: `node.lost` re-queues the node's leases at once (the job keeps going with the rest and takes
 *   a replacement when one is offered); `node.left` (job_left) does the same and, when no node can
 *   serve the job any more, fails it (INIT quoting the first init() error when init failures are
 *   known, NO_NODES otherwise); a processor event INVALID_ENTRY_SCRIPT fails it (INVALID_INPUT).
 * - finishing: outstanding leases are revoked, nodes get `release` and the machine waits (bounded by
 *   `releaseWait`) for their job_left, so that shutdown() ran; then the output is fsync'd and the
 *   result files written (finishStep), and the outcome decided earlier picks the final state.
 *
 * The machine decides WHEN; the ledger (../ledger) decides WHAT; work.ts does the I/O-free bookkeeping.
 */
import { assign, enqueueActions, type EventObject, fromCallback, fromPromise, setup } from 'xstate';

import { InputError } from '../../errors.js';
import { FailureKind, ProcessorEventKind } from '../../gen/parajob/v1/parajob.js';
import { createLedger, finishedCount, isLedgerComplete } from '../ledger/ledger.js';
import { describeBreach, findThresholdBreach, thresholdsOf } from '../ledger/thresholds.js';
import {
  checkStepInput,
  itemCountOf,
  knownItemsTotal,
  type Partition,
  partitionStepInput,
} from '../partition/partition-input.js';
import { NO_TASK_PROCESSED_TEXT, processedText, schedulingFinishedText } from '../reports/progress-overview.js';
import {
  createStepRunState,
  type StepRunContext,
  type StepRunEvent,
  type StepRunInput,
  type StepRunMessage,
  type StepRunOutput,
} from './context.js';
import { failedOutcome, LOOK_FIRST_AT, type StepOutcome } from './outcome.js';
import { type StepReport, writeStepReports } from './report.js';
import { openStepSinks, type StepSinks } from './sinks.js';
import {
  acceptResults,
  addCredit,
  announceNodeWait,
  buildReport,
  canUseNode,
  dropNode,
  grantToWaitingNodes,
  hasReplacementNode,
  type Messages,
  nodeWaitText,
  releaseNodes,
  revokeOutstandingLeases,
  takeAvailableNodes,
  takeNode,
} from './work.js';

/** Seconds for messages: "600", "0.5". */
function seconds(ms: number): string {
  return String(Number((ms / 1000).toFixed(3)));
}

/**
 * Records the outcome (the first decision wins), logs it and returns the message for Watch. The
 * outcome is kept in the mutable run state so guards and later actions see it in the same step.
 */
function decide(context: StepRunContext, outcome: StepOutcome, messages: Messages): void {
  const { run, deps } = context;
  if (run.outcome !== undefined) return;
  run.outcome = outcome;
  const fields = { state: outcome.state, failureKind: FailureKind[outcome.failureKind], reason: outcome.reason };
  if (outcome.state === 'failed') deps.logger.error(fields, 'step run failed');
  else deps.logger.info(fields, outcome.state === 'succeeded' ? 'step run succeeded' : 'step run cancelled');
  messages.push({
    type: 'step.message',
    level: outcome.state === 'failed' ? 'error' : 'info',
    text: outcome.state === 'succeeded' ? 'all mini-batches processed' : `${outcome.state}: ${outcome.reason}`,
    atMs: outcome.decidedAtMs,
  });
}

/** An error thrown by an actor, as a message. */
function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A sentence on what the run's nodes are doing, for timeout reasons. */
function nodesDetail(context: StepRunContext): string {
  const waiting = nodeWaitText(context);
  const initError = context.run.errors.firstInitFailure;
  const parts = [waiting === undefined ? `${context.run.nodes.size} node(s) attached` : `still ${waiting}`];
  if (initError !== undefined)
    parts.push(
      `the first init() error (node ${initError.nodeId} ${initError.processName}): ${initError.message.split('\n')[0]}`,
    );
  return parts.join('; ');
}

/** Input of the finishStep actor: the sinks to close (undefined when validating failed) and the report. */
export interface FinishStepInput {
  readonly sinks: StepSinks | undefined;
  readonly report: StepReport;
}

/**
 * What waitingForFirstTask and running both answer: nodes come and go, leases are asked for,
 * results arrive. (Kept in one place so the two states cannot drift apart.)
 */
const SERVING_EVENTS = {
  'node.offered': { guard: 'canUseOfferedNode', actions: 'takeOfferedNode' },
  'node.lost': { guard: 'servesJob', actions: 'dropNode' },
  'node.left': [
    { guard: 'isLastNodeLeaving', target: '#stepRun.finishing', actions: ['dropNode', 'decideNoNodesLeft'] },
    { guard: 'servesJob', actions: 'dropNode' },
  ],
  'processor.event': [
    { guard: 'isInvalidEntryScript', target: '#stepRun.finishing', actions: 'decideInvalidEntryScript' },
    { actions: 'recordProcessorEvent' },
  ],
  'lease.requested': { actions: 'grantRequestedLeases' },
  'results.received': { actions: 'acceptResults' },
} as const;

/** The step-run machine (see the module comment); provide fake actors with `.provide()` in tests. */
export const stepRunMachine = setup({
  types: {} as {
    context: StepRunContext;
    events: StepRunEvent;
    input: StepRunInput;
    output: StepRunOutput;
    emitted: StepRunMessage;
  },
  actors: {
    /** validating: checks the input settings, creates the log folder and readme, opens the outputs. */
    prepareStep: fromPromise<StepSinks, { readonly step: StepRunInput['step']; readonly jobId: string }>(
      async ({ input }) => {
        checkStepInput(input.step);
        return openStepSinks(input.step, input.jobId);
      },
    ),
    /** partitioning: lists input_data and cuts it into mini-batches. */
    partitionInput: fromPromise<Partition, { readonly step: StepRunInput['step'] }>(({ input }) =>
      partitionStepInput(input.step),
    ),
    /** finalizing: flush + fsync the output, write the result files (rewritten as failed if that fails). */
    finishStep: fromPromise<void, FinishStepInput>(async ({ input }) => {
      try {
        if (input.sinks === undefined) await writeStepReports(input.report);
        else await input.sinks.finish(input.report);
      } catch (error) {
        const outcome = failedOutcome(
          FailureKind.FAILURE_KIND_INTERNAL,
          `writing the outputs failed: ${errorMessage(error)}`,
          LOOK_FIRST_AT.internal,
          Date.now(),
        );
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
  },
  guards: {
    hasGrantedLeases: ({ context }) => context.run.grantedAny,
    canUseOfferedNode: ({ context, event }) => event.type === 'node.offered' && canUseNode(context, event.node),
    servesJob: ({ context, event }) => 'nodeId' in event && context.run.nodes.has(event.nodeId),
    /** job_left of the last node that serves the run, with no live node to replace it. */
    isLastNodeLeaving: ({ context, event }) =>
      event.type === 'node.left' &&
      context.run.nodes.has(event.nodeId) &&
      context.run.nodes.size === 1 &&
      !hasReplacementNode(context, event.nodeId),
    isInvalidEntryScript: ({ event }) =>
      event.type === 'processor.event' &&
      event.event.kind === ProcessorEventKind.PROCESSOR_EVENT_KIND_INVALID_ENTRY_SCRIPT,
    thresholdExceeded: ({ context }) =>
      context.run.ledger !== undefined &&
      findThresholdBreach(context.run.ledger.counts, context.run.ledger.miniBatchCount, thresholdsOf(context.step)) !==
        undefined,
    allMiniBatchesFinished: ({ context }) => context.run.ledger !== undefined && isLedgerComplete(context.run.ledger),
    outputFailed: ({ context }) => context.sinks?.outputError !== undefined,
    /** The progress timer fired and no result was accepted for a whole progress_update_timeout. */
    // Not while the run holds leases back for its own lagging disk (sinks.backlogged): the nodes are not stalled.
    progressStalled: ({ context }) =>
      context.sinks?.backlogged !== true &&
      Date.now() - context.run.lastProgressAtMs >= context.step.predefined.progressUpdateTimeoutMs,
    allNodesReleased: ({ context }) => context.run.releasing.size === 0,
    outcomeSucceeded: ({ context }) => context.run.outcome?.state === 'succeeded',
    outcomeCancelled: ({ context }) => context.run.outcome?.state === 'cancelled',
  },
  delays: {
    /** first_task_creation_timeout, counted from the start of the job. */
    firstTaskCreationTimeout: ({ context }) =>
      Math.max(0, context.step.predefined.firstTaskCreationTimeoutMs - (Date.now() - context.run.startedAtMs)),
    /** progress_update_timeout, counted from the last accepted result. */
    progressUpdateTimeout: ({ context }) =>
      Math.max(0, context.step.predefined.progressUpdateTimeoutMs - (Date.now() - context.run.lastProgressAtMs)),
    releaseWait: ({ context }) => context.deps.settings.releaseWaitMs,
  },
  actions: {
    keepSinks: assign({ sinks: ({ event }) => (event as unknown as { output: StepSinks }).output }),
    keepPartition: assign({ partition: ({ event }) => (event as unknown as { output: Partition }).output }),
    createLedger: ({ context }) => {
      const partition = context.partition;
      if (partition === undefined) return;
      // Rows of a table cut by size are counted as workers read them: the ledger's total starts at 0
      // and itemCount grows (see itemsTotalOf in work.ts for what progress shows meanwhile).
      const itemsTotal = knownItemsTotal(partition);
      context.run.ledger = createLedger({
        miniBatchCount: partition.miniBatchCount,
        maxRetries: context.step.maxRetries,
        itemCount: (id) => itemCountOf(partition, id),
      });
      const nowMs = Date.now();
      context.run.scheduledAtMs = nowMs;
      const text = schedulingFinishedText(partition.miniBatchCount, nowMs - context.run.startedAtMs, itemsTotal);
      context.sinks?.overview(text, nowMs);
      context.deps.logger.info(
        { miniBatches: partition.miniBatchCount, items: itemsTotal ?? 'counted as read', input: partition.kind },
        'scheduling finished',
      );
    },
    takeAvailableNodes: enqueueActions(({ context, enqueue }) => {
      const messages: Messages = [];
      takeAvailableNodes(context, messages);
      announceNodeWait(context, messages);
      for (const message of messages) enqueue.emit(message);
    }),
    takeOfferedNode: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'node.offered') return;
      const messages: Messages = [];
      takeNode(context, event.node, messages);
      announceNodeWait(context, messages);
      for (const message of messages) enqueue.emit(message);
    }),
    /** node.lost / node.left: re-queue its leases, look for a replacement, grant to the others. */
    dropNode: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'node.lost' && event.type !== 'node.left') return;
      const messages: Messages = [];
      dropNode(context, event.nodeId, event.type === 'node.lost' ? 'node-lost' : 'node-left', event.reason, messages);
      takeAvailableNodes(context, messages);
      grantToWaitingNodes(context);
      announceNodeWait(context, messages);
      for (const message of messages) enqueue.emit(message);
    }),
    grantRequestedLeases: ({ context, event }) => {
      if (event.type === 'lease.requested') addCredit(context, event.nodeId, event.count);
    },
    /** The write backlog ended: the credit the nodes kept asking for is granted now. */
    resumeLeasing: ({ context }) => {
      // The wait was the coordinator's own: progress_update_timeout counts from here.
      context.run.lastProgressAtMs = Date.now();
      grantToWaitingNodes(context);
    },
    acceptResults: ({ context, event }) => {
      if (event.type === 'results.received') acceptResults(context, event.nodeId, event.results);
    },
    dropLateResults: ({ context, event }) => {
      if (event.type !== 'results.received') return;
      context.run.droppedResults += event.results.length;
      // Logged like every other fenced result, so the log and summary.json's droppedResults agree.
      for (const result of event.results) {
        context.deps.logger.warn(
          {
            nodeId: event.nodeId,
            miniBatchId: result.miniBatchId,
            attempt: result.attempt,
            token: result.token,
            reason: 'the step run is over: its leases were revoked',
          },
          'late result dropped (fencing)',
        );
      }
    },
    recordProcessorEvent: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'processor.event') return;
      const { kind, processName, message } = event.event;
      const fields = { nodeId: event.nodeId, processName, kind: ProcessorEventKind[kind], pid: event.event.pid };
      if (kind === ProcessorEventKind.PROCESSOR_EVENT_KIND_INIT_FAILED) {
        const first = context.run.errors.initFailures === 0;
        context.run.errors.recordInitFailure({ nodeId: event.nodeId, processName, message });
        context.deps.logger.warn({ ...fields, error: message }, 'init() failed');
        if (first) {
          enqueue.emit({
            type: 'step.message',
            level: 'warn',
            text: `init() failed on node ${event.nodeId} ${processName}: ${message.split('\n')[0]}`,
            atMs: Date.now(),
          });
        }
      } else if (
        kind === ProcessorEventKind.PROCESSOR_EVENT_KIND_ESCALATED ||
        kind === ProcessorEventKind.PROCESSOR_EVENT_KIND_WORKER_EXITED
      ) {
        context.deps.logger.warn(
          { ...fields, exitCode: event.event.exitCode, signal: event.event.signal, detail: message },
          'processor event',
        );
        if (kind === ProcessorEventKind.PROCESSOR_EVENT_KIND_ESCALATED) {
          enqueue.emit({
            type: 'step.message',
            level: 'warn',
            text: `node ${event.nodeId} ${processName} restarted too often and escalated: ${message}`,
            atMs: Date.now(),
          });
        }
      } else {
        context.deps.logger.debug(fields, 'processor event');
      }
    }),
    startRunning: ({ context }) => {
      const nowMs = Date.now();
      context.run.runningSinceMs = nowMs;
      context.run.lastProgressAtMs = nowMs;
      context.run.rate.sample(nowMs, 0);
      context.deps.logger.info({ nodes: context.run.nodes.size }, 'first lease granted');
    },
    writeProgressOverview: ({ context }) => {
      const { run, sinks } = context;
      if (run.ledger === undefined || sinks === undefined) return;
      const nowMs = Date.now();
      const finished = finishedCount(run.ledger);
      run.rate.sample(nowMs, finished);
      const eta = run.rate.etaMs(nowMs, finished, run.ledger.miniBatchCount - finished);
      const text =
        finished === 0
          ? NO_TASK_PROCESSED_TEXT
          : processedText(finished, run.ledger.miniBatchCount, nowMs - run.startedAtMs, eta);
      sinks.overview(text, nowMs);
      sinks.flushReports();
    },
    decideCancelled: enqueueActions(({ context, event, enqueue }) => {
      const reason = event.type === 'job.cancel' && event.reason ? event.reason : 'cancelled by the user';
      const messages: Messages = [];
      decide(
        context,
        { state: 'cancelled', failureKind: FailureKind.FAILURE_KIND_UNSPECIFIED, reason, decidedAtMs: Date.now() },
        messages,
      );
      for (const message of messages) enqueue.emit(message);
    }),
    decideSetupFailure: enqueueActions(({ context, event, enqueue }) => {
      const error = (event as unknown as { error: unknown }).error;
      const invalid = error instanceof InputError;
      const kind = invalid ? FailureKind.FAILURE_KIND_INVALID_INPUT : FailureKind.FAILURE_KIND_INTERNAL;
      const messages: Messages = [];
      decide(
        context,
        failedOutcome(kind, errorMessage(error), invalid ? LOOK_FIRST_AT.input : LOOK_FIRST_AT.internal, Date.now()),
        messages,
      );
      for (const message of messages) enqueue.emit(message);
    }),
    decideFirstTaskTimeout: enqueueActions(({ context, enqueue }) => {
      const limit = seconds(context.step.predefined.firstTaskCreationTimeoutMs);
      const reason = `First task creation is taking longer than ${limit} seconds: no mini-batch was handed to a node (${nodesDetail(context)}).`;
      const messages: Messages = [];
      decide(
        context,
        failedOutcome(FailureKind.FAILURE_KIND_TIMEOUT, reason, LOOK_FIRST_AT.timeout, Date.now()),
        messages,
      );
      for (const message of messages) enqueue.emit(message);
    }),
    decideProgressTimeout: enqueueActions(({ context, enqueue }) => {
      const { run, step } = context;
      const ledger = run.ledger;
      const finished = ledger === undefined ? 0 : finishedCount(ledger);
      const reason =
        `No progress update in ${seconds(step.predefined.progressUpdateTimeoutMs)} seconds. ` +
        `${ledger?.leases.size ?? 0} mini-batch(es) were running; ${finished} of ${ledger?.miniBatchCount ?? 0} finished; ${nodesDetail(context)}.`;
      const messages: Messages = [];
      decide(
        context,
        failedOutcome(FailureKind.FAILURE_KIND_TIMEOUT, reason, LOOK_FIRST_AT.timeout, Date.now()),
        messages,
      );
      for (const message of messages) enqueue.emit(message);
    }),
    decideThresholdFailure: enqueueActions(({ context, enqueue }) => {
      const ledger = context.run.ledger;
      const breach = ledger && findThresholdBreach(ledger.counts, ledger.miniBatchCount, thresholdsOf(context.step));
      if (ledger === undefined || breach === undefined) return;
      const messages: Messages = [];
      const reason = describeBreach(breach, ledger.firstFailures);
      decide(
        context,
        failedOutcome(FailureKind.FAILURE_KIND_THRESHOLD, reason, LOOK_FIRST_AT.threshold, Date.now()),
        messages,
      );
      for (const message of messages) enqueue.emit(message);
    }),
    decideOutputFailure: enqueueActions(({ context, enqueue }) => {
      const reason = `writing the append_row output ${context.step.task.appendRowFile ?? ''} failed: ${errorMessage(context.sinks?.outputError)}`;
      const messages: Messages = [];
      decide(
        context,
        failedOutcome(FailureKind.FAILURE_KIND_INTERNAL, reason, LOOK_FIRST_AT.internal, Date.now()),
        messages,
      );
      for (const message of messages) enqueue.emit(message);
    }),
    decideInvalidEntryScript: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'processor.event') return;
      const reason = `the entry script ${context.step.task.entryScript} cannot be used (node ${event.nodeId} ${event.event.processName}): ${event.event.message}`;
      const messages: Messages = [];
      decide(
        context,
        failedOutcome(FailureKind.FAILURE_KIND_INVALID_INPUT, reason, LOOK_FIRST_AT.input, Date.now()),
        messages,
      );
      for (const message of messages) enqueue.emit(message);
    }),
    decideNoNodesLeft: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'node.left') return;
      const initError = context.run.errors.firstInitFailure;
      const messages: Messages = [];
      const outcome =
        initError === undefined
          ? failedOutcome(
              FailureKind.FAILURE_KIND_NO_NODES,
              `no node serves the job any more: the last one, ${event.nodeId}, left it (${event.reason})`,
              LOOK_FIRST_AT.noNodes,
              Date.now(),
            )
          : failedOutcome(
              FailureKind.FAILURE_KIND_INIT,
              `init() kept failing, so every node left the job (last: ${event.nodeId}, ${event.reason}). The first init() error ` +
                `(node ${initError.nodeId} ${initError.processName}): ${initError.message}`,
              LOOK_FIRST_AT.init,
              Date.now(),
            );
      decide(context, outcome, messages);
      for (const message of messages) enqueue.emit(message);
    }),
    decideSucceeded: enqueueActions(({ context, enqueue }) => {
      const messages: Messages = [];
      decide(
        context,
        {
          state: 'succeeded',
          failureKind: FailureKind.FAILURE_KIND_UNSPECIFIED,
          reason: 'all mini-batches processed',
          decidedAtMs: Date.now(),
        },
        messages,
      );
      for (const message of messages) enqueue.emit(message);
    }),
    /** finishStep failed (the output could not be flushed): the run fails whatever was decided. */
    overrideWithFinishFailure: ({ context, event }) => {
      const error = (event as unknown as { error: unknown }).error;
      context.run.outcome = failedOutcome(
        FailureKind.FAILURE_KIND_INTERNAL,
        `writing the outputs failed: ${errorMessage(error)}`,
        LOOK_FIRST_AT.internal,
        Date.now(),
      );
      context.deps.logger.error({ err: error }, 'finishing the step run failed');
    },
    endLeasing: ({ context }) => {
      const reason = context.run.outcome?.state ?? 'failed';
      revokeOutstandingLeases(context, `job ${reason}`, reason !== 'cancelled');
      releaseNodes(context, reason);
    },
    markNodeReleased: ({ context, event }) => {
      if (event.type !== 'node.left' && event.type !== 'node.lost') return;
      context.run.releasing.delete(event.nodeId);
      context.run.nodes.delete(event.nodeId);
    },
    noteReleaseTimeout: ({ context }) => {
      context.deps.logger.warn({ nodes: [...context.run.releasing] }, 'nodes did not confirm the release in time');
    },
    writeFinalOverview: ({ context }) => {
      const { run, sinks } = context;
      if (run.ledger === undefined || sinks === undefined) return;
      const nowMs = Date.now();
      sinks.overview(
        processedText(finishedCount(run.ledger), run.ledger.miniBatchCount, nowMs - run.startedAtMs, undefined),
        nowMs,
      );
    },
  },
}).createMachine({
  id: 'stepRun',
  context: ({ input }) => ({
    jobId: input.jobId,
    jobName: input.jobName,
    step: input.step,
    deps: input.deps,
    run: createStepRunState(Date.now()),
    sinks: undefined,
    partition: undefined,
  }),
  initial: 'validating',
  on: {
    'job.cancel': { target: '.finishing', actions: 'decideCancelled' },
  },
  states: {
    validating: {
      invoke: {
        src: 'prepareStep',
        input: ({ context }) => ({ step: context.step, jobId: context.jobId }),
        onDone: { target: 'partitioning', actions: 'keepSinks' },
        onError: { target: 'finishing', actions: 'decideSetupFailure' },
      },
    },
    partitioning: {
      invoke: {
        src: 'partitionInput',
        input: ({ context }) => ({ step: context.step }),
        onDone: { target: 'waitingForFirstTask', actions: ['keepPartition', 'createLedger'] },
        onError: { target: 'finishing', actions: 'decideSetupFailure' },
      },
    },
    waitingForFirstTask: {
      entry: 'takeAvailableNodes',
      after: {
        firstTaskCreationTimeout: { target: 'finishing', actions: 'decideFirstTaskTimeout' },
      },
      always: { guard: 'hasGrantedLeases', target: 'running' },
      on: {
        ...SERVING_EVENTS,
      },
    },
    running: {
      entry: 'startRunning',
      invoke: [
        { src: 'overviewTicker', input: ({ context }) => ({ intervalMs: context.deps.settings.overviewIntervalMs }) },
        { src: 'outputDrainWatcher', input: ({ context }) => ({ sinks: context.sinks }) },
      ],
      always: [
        { guard: 'outputFailed', target: 'finishing', actions: 'decideOutputFailure' },
        { guard: 'thresholdExceeded', target: 'finishing', actions: 'decideThresholdFailure' },
        { guard: 'allMiniBatchesFinished', target: 'finishing', actions: 'decideSucceeded' },
      ],
      initial: 'watchingProgress',
      states: {
        watchingProgress: {
          after: {
            progressUpdateTimeout: [
              { guard: 'progressStalled', target: '#stepRun.finishing', actions: 'decideProgressTimeout' },
              { target: 'watchingProgress', reenter: true },
            ],
          },
        },
      },
      on: {
        ...SERVING_EVENTS,
        'progress.tick': { actions: 'writeProgressOverview' },
        'output.drained': { actions: 'resumeLeasing' },
      },
    },
    finishing: {
      entry: 'endLeasing',
      initial: 'releasing',
      on: {
        // The outcome is decided: a late cancel, offer, request or result changes nothing.
        'job.cancel': {},
        'results.received': { actions: 'dropLateResults' },
        'node.left': { actions: 'markNodeReleased' },
        'node.lost': { actions: 'markNodeReleased' },
      },
      states: {
        releasing: {
          always: { guard: 'allNodesReleased', target: 'finalizing' },
          after: { releaseWait: { target: 'finalizing', actions: 'noteReleaseTimeout' } },
        },
        finalizing: {
          entry: 'writeFinalOverview',
          invoke: {
            src: 'finishStep',
            input: ({ context }) => ({ sinks: context.sinks, report: buildReport(context) }),
            onDone: [
              { guard: 'outcomeSucceeded', target: '#stepRun.succeeded' },
              { guard: 'outcomeCancelled', target: '#stepRun.cancelled' },
              { target: '#stepRun.failed' },
            ],
            onError: { target: '#stepRun.failed', actions: 'overrideWithFinishFailure' },
          },
        },
      },
    },
    succeeded: { type: 'final' },
    failed: { type: 'final' },
    cancelled: { type: 'final' },
  },
  output: ({ context }) =>
    context.run.outcome ??
    failedOutcome(
      FailureKind.FAILURE_KIND_INTERNAL,
      'the step run ended without an outcome',
      LOOK_FIRST_AT.internal,
      Date.now(),
    ),
});

/** The step-run machine's type, for actor refs. */
export type StepRunMachine = typeof stepRunMachine;
