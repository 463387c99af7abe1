/**
 * The step-run machine: one parallel step of a job, from its input to its result files.
 *
 *   validating           ─prepareStep done─────────────────────────▶ partitioning
 *   validating           ─prepareStep error (InputError: INVALID_INPUT)▶ finishing
 *   partitioning         ─partition.probed: nodes taken (serving, no leases until the ledger)
 *   partitioning         ─partitionInput done (ledger created)─────▶ waitingForFirstTask
 *   partitioning         ─partitionInput error (no files, mltable…)─▶ finishing
 *   waitingForFirstTask  ─a lease granted (always)─────────────────▶ running
 *   waitingForFirstTask  ─firstTaskCreationTimeout: TIMEOUT────────▶ finishing
 *   waitingForFirstTask,
 *   running              ─node.left of the last node: INIT | NO_NODES▶ finishing
 *                        ─processor.invalid: INVALID_INPUT──────────▶ finishing
 *   running              ─append_row write error: INTERNAL (always)─▶ finishing
 *                        ─a threshold exceeded: THRESHOLD (always)──▶ finishing
 *                        ─every mini-batch finished (always)────────▶ finishing (succeeded)
 *                        ─progressUpdateTimeout, stalled: TIMEOUT───▶ finishing
 *   (any before finishing)─job.cancel───────────────────────────────▶ finishing (cancelled)
 *   finishing.releasing  ─every node left, or releaseWait──────────▶ finishing.finalizing
 *   finishing.finalizing ─finishStep done──────────────────────────▶ succeeded | failed | cancelled
 *   finishing.finalizing ─finishStep error: INTERNAL───────────────▶ failed
 *
 * Serving (waitingForFirstTask and running): `node.offered` takes the node (compute must match, up to
 * instance_count; "waiting for N more nodes" whenever that count changes); `node.lost` and `node.left`
 * re-queue the node's leases at once (a replacement is taken when one is offered); `lease.requested`
 * grants against credit; `results.received` feeds the ledger; `processor.*` events are logged, init
 * failures counted. The progress timer is not re-armed per result (a timer per results message): when
 * it fires it checks the time of the last progress and re-enters with the remaining delay. While the
 * output files' write queues are backlogged no lease is granted and the timeout does not count;
 * `output.drained` grants the credit the nodes kept asking for. finishing revokes outstanding leases and
 * sends `release`, and waits (bounded) for the nodes' job_left so that shutdown() ran.
 *
 * Every ending goes through one `decide` action whose outcome is built by outcome.ts (pure); the first
 * decision wins. The machine decides WHEN; the ledger (../ledger) decides WHAT; serving-nodes.ts and
 * leasing.ts do the bookkeeping behind the actions; step-run.setup.ts names them, step-run.transitions.ts
 * holds the transitions the serving states share.
 */

import { FailureKind } from '../../gen/parajob/v1/parajob.js';
import { createStepRunState } from './context.js';
import { cancelledOutcome, failedOutcome, LOOK_FIRST_AT, succeededOutcome } from './outcome.js';
import { buildReport } from './report.js';
import { resumedMessage } from './run-progress.js';
import { stepRunSetup } from './step-run.setup.js';
import {
  DECIDE_SETUP_FAILURE,
  firstTaskTimeoutParams,
  outputFailureParams,
  progressTimeoutParams,
  resultsParams,
  SERVING_EVENTS,
  thresholdParams,
} from './step-run.transitions.js';

export type { FinishStepInput, PartitionInputInput } from './step-run.actors.js';

/** The step-run machine (see the module comment); provide fake actors with `.provide()` in tests. */
export const stepRunMachine = stepRunSetup.createMachine({
  id: 'stepRun',
  context: ({ input }) => ({
    jobId: input.jobId,
    jobName: input.jobName,
    step: input.step,
    deps: input.deps,
    run: createStepRunState(Date.now()),
    sinks: undefined,
    partition: undefined,
    assignmentInput: undefined,
  }),
  initial: 'validating',
  on: {
    'job.cancel': {
      target: '.finishing',
      actions: { type: 'decide', params: ({ event }) => ({ outcome: cancelledOutcome(event.reason, Date.now()) }) },
    },
  },
  states: {
    validating: {
      on: { 'results.received': { actions: { type: 'holdResults', params: resultsParams } } },
      invoke: {
        src: 'prepareStep',
        input: ({ context }) => ({
          step: context.step,
          jobId: context.jobId,
          resumeOutputAt: context.deps.journal?.resumeOutputAt,
          resumeLedger: context.deps.journal?.journaledLedger(),
        }),
        onDone: {
          target: 'partitioning',
          actions: [{ type: 'keepSinks', params: ({ event }) => ({ sinks: event.output }) }, 'attachJournalOutput'],
        },
        onError: { target: 'finishing', actions: DECIDE_SETUP_FAILURE },
      },
    },
    partitioning: {
      // Once the input is probed, nodes are taken and start their workers while it is cut; their lease
      // requests are kept as credit until the ledger exists (a resumed run, whose nodes claim journaled
      // leases, takes them only then).
      on: {
        ...SERVING_EVENTS,
        'partition.probed': {
          actions: [
            { type: 'keepAssignmentInput', params: ({ event }) => ({ input: event.input }) },
            'takeAvailableNodes',
            'sendToNodes',
          ],
        },
        'leases.reclaimDue': {},
        'results.received': { actions: { type: 'holdResults', params: resultsParams } },
      },
      invoke: {
        src: 'partitionInput',
        input: ({ context, self }) => ({
          step: context.step,
          resumeMiniBatchCount: context.deps.journal?.resumeMiniBatchCount,
          parent: context.deps.journal?.resumeMiniBatchCount === undefined ? self : undefined,
        }),
        onDone: {
          target: 'waitingForFirstTask',
          actions: [
            { type: 'keepPartition', params: ({ event }) => ({ partition: event.output }) },
            'createLedger',
            { type: 'tell', params: ({ context }) => ({ message: resumedMessage(context) }) },
          ],
        },
        onError: { target: 'finishing', actions: DECIDE_SETUP_FAILURE },
      },
    },
    waitingForFirstTask: {
      entry: ['takeAvailableNodes', 'sendToNodes', 'armLeaseReclaim', 'takeHeldResults'],
      after: {
        firstTaskCreationTimeout: {
          target: 'finishing',
          actions: {
            type: 'decide',
            params: firstTaskTimeoutParams,
          },
        },
      },
      // A step run resumed after a restart may have nothing left to lease: it goes on to finish.
      always: [
        { guard: 'hasGrantedLeases', target: 'running' },
        { guard: 'allMiniBatchesFinished', target: 'running' },
        { guard: 'holdsLiveLeases', target: 'running' },
      ],
      on: { ...SERVING_EVENTS },
    },
    running: {
      entry: 'startRunning',
      invoke: [
        { src: 'overviewTicker', input: ({ context }) => ({ intervalMs: context.deps.settings.overviewIntervalMs }) },
        { src: 'outputDrainWatcher', input: ({ context }) => ({ sinks: context.sinks }) },
      ],
      always: [
        {
          guard: 'outputFailed',
          target: 'finishing',
          actions: {
            type: 'decide',
            params: outputFailureParams,
          },
        },
        {
          guard: 'thresholdExceeded',
          target: 'finishing',
          actions: {
            type: 'decide',
            params: thresholdParams,
          },
        },
        {
          guard: 'allMiniBatchesFinished',
          target: 'finishing',
          actions: { type: 'decide', params: () => ({ outcome: succeededOutcome(Date.now()) }) },
        },
      ],
      initial: 'watchingProgress',
      states: {
        watchingProgress: {
          after: {
            progressUpdateTimeout: [
              {
                guard: 'progressStalled',
                target: '#stepRun.finishing',
                actions: {
                  type: 'decide',
                  params: progressTimeoutParams,
                },
              },
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
        'results.received': { actions: { type: 'dropLateResults', params: resultsParams } },
        'node.left': { actions: { type: 'markNodeReleased', params: ({ event }) => event } },
        'node.lost': { actions: { type: 'markNodeReleased', params: ({ event }) => event } },
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
            input: ({ context }) => ({
              sinks: context.sinks,
              report: buildReport(context),
            }),
            onDone: [
              { guard: 'outcomeSucceeded', target: '#stepRun.succeeded' },
              { guard: 'outcomeCancelled', target: '#stepRun.cancelled' },
              { target: '#stepRun.failed' },
            ],
            onError: {
              target: '#stepRun.failed',
              actions: { type: 'overrideWithFinishFailure', params: ({ event }) => ({ error: event.error }) },
            },
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
