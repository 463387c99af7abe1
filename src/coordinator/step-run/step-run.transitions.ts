/**
 * The step-run machine's shared transitions and the builders of their params (step-run.machine.ts is
 * the diagram): what the serving states answer (SERVING_EVENTS), how a setup failure is decided, and
 * the facts the timeout and threshold outcomes are built from (outcome.ts builds the outcomes).
 */
import { InputError } from '../../errors.js';
import { finishedCount } from '../ledger/ledger.js';
import { describeBreach, findThresholdBreach, thresholdsOf } from '../ledger/thresholds.js';
import { type ProcessorFacts, stepMessage, type StepRunContext, type StepRunEvent } from './context.js';
import {
  firstTaskTimeoutOutcome,
  invalidEntryScriptOutcome,
  lastNodeLeftOutcome,
  type NodesFacts,
  outputFailureOutcome,
  progressTimeoutOutcome,
  setupFailureOutcome,
  thresholdOutcome,
} from './outcome.js';
import { nodeWaitText } from './serving-nodes.js';

export type EventOf<T extends StepRunEvent['type']> = Extract<StepRunEvent, { readonly type: T }>;

/** What the run's nodes are doing, for timeout reasons. */
function nodesFactsOf(context: StepRunContext): NodesFacts {
  return {
    waitingText: nodeWaitText(context),
    attached: context.run.nodes.size,
    firstInitFailure: context.run.errors.firstInitFailure,
  };
}

/** The threshold breach of the run, described (undefined when no threshold is exceeded). */
export function breachReasonOf(context: StepRunContext): string | undefined {
  const ledger = context.run.ledger;
  const breach = ledger && findThresholdBreach(ledger.counts, ledger.miniBatchCount, thresholdsOf(context.step));
  return ledger === undefined || breach === undefined ? undefined : describeBreach(breach, ledger.firstFailures);
}

/** validating and partitioning fail alike. */
export const DECIDE_SETUP_FAILURE = {
  type: 'decide',
  params: ({ event }: { event: { readonly error: unknown } }) => ({
    outcome: setupFailureOutcome(event.error, event.error instanceof InputError, Date.now()),
  }),
} as const;

/**
 * What waitingForFirstTask and running both answer: nodes come and go, leases are asked for,
 * results arrive, processors report. (Kept in one place so the two states cannot drift apart.)
 * Taking and dropping nodes keep their messages for sendToNodes, listed right after them.
 */
export const SERVING_EVENTS = {
  // Either way a node offered to a resumed run claims (or gives up) the journaled leases it held.
  'node.offered': [
    {
      guard: 'canUseOfferedNode',
      actions: [
        { type: 'takeOfferedNode', params: offeredParams },
        { type: 'claimLeases', params: offeredParams },
        'sendToNodes',
      ],
    },
    { actions: [{ type: 'claimLeases', params: offeredParams }, 'sendToNodes'] },
  ],
  'leases.reclaimDue': { actions: ['requeueUnclaimedLeases', 'sendToNodes'] },
  'node.lost': { guard: 'servesJob', actions: [{ type: 'dropNode', params: dropParams }, 'sendToNodes'] },
  'node.left': [
    {
      guard: 'isLastNodeLeaving',
      target: '#stepRun.finishing',
      actions: [
        { type: 'dropNode', params: dropParams },
        'sendToNodes',
        {
          type: 'decide',
          params: ({ context, event }: { context: StepRunContext; event: EventOf<'node.left'> }) => ({
            outcome: lastNodeLeftOutcome(
              { nodeId: event.nodeId, reason: event.reason, firstInitFailure: context.run.errors.firstInitFailure },
              Date.now(),
            ),
          }),
        },
      ],
    },
    { guard: 'servesJob', actions: [{ type: 'dropNode', params: dropParams }, 'sendToNodes'] },
  ],
  // Processor events and results count only from a node serving this run: any other node's are dropped
  // (a stream of another pool must not fail or complete this job).
  'processor.invalid': {
    guard: 'servesJob',
    target: '#stepRun.finishing',
    actions: {
      type: 'decide',
      params: ({ context, event }: { context: StepRunContext; event: EventOf<'processor.invalid'> }) => ({
        outcome: invalidEntryScriptOutcome({ entryScript: context.step.task.entryScript, ...event }, Date.now()),
      }),
    },
  },
  'processor.initFailed': {
    guard: 'servesJob',
    // Told before it is counted: initFailureParams tells the first one only.
    actions: [
      { type: 'tell', params: initFailureParams },
      { type: 'noteInitFailure', params: processorParams },
    ],
  },
  'processor.exited': { guard: 'servesJob', actions: { type: 'noteWorkerExit', params: processorParams } },
  'processor.escalated': {
    guard: 'servesJob',
    actions: [
      { type: 'noteEscalation', params: processorParams },
      { type: 'tell', params: escalationParams },
    ],
  },
  'processor.ready': { guard: 'servesJob', actions: { type: 'logProcessorEvent', params: processorParams } },
  'processor.stopped': { guard: 'servesJob', actions: { type: 'logProcessorEvent', params: processorParams } },
  'lease.requested': {
    actions: { type: 'grantRequestedLeases', params: ({ event }: { event: EventOf<'lease.requested'> }) => event },
  },
  'results.received': [
    { guard: 'servesJob', actions: { type: 'acceptResults', params: resultsParams } },
    { actions: { type: 'dropForeignResults', params: resultsParams } },
  ],
} as const;

function offeredParams({ event }: { event: EventOf<'node.offered'> }) {
  return event;
}

/** node.lost and node.left: which node, why, and which of the two. */
function dropParams({ event }: { event: EventOf<'node.lost' | 'node.left'> }) {
  const cause = event.type === 'node.lost' ? ('node-lost' as const) : ('node-left' as const);
  return { nodeId: event.nodeId, cause, reason: event.reason };
}

function processorParams({ event }: { event: ProcessorFacts & { readonly type: string } }) {
  return event;
}

export function resultsParams({ event }: { event: EventOf<'results.received'> }) {
  return event;
}

/** The log fields of a processor event. */
export function processorFields(event: ProcessorFacts) {
  return { nodeId: event.nodeId, processName: event.processName, pid: event.pid };
}

export type DropParams = ReturnType<typeof dropParams>;

/** first_task_creation_timeout passed with no lease granted. */
export function firstTaskTimeoutParams({ context }: { context: StepRunContext }) {
  return {
    outcome: firstTaskTimeoutOutcome(
      context.step.predefined.firstTaskCreationTimeoutMs,
      nodesFactsOf(context),
      Date.now(),
    ),
  };
}

/** An append_row write failed. */
export function outputFailureParams({ context }: { context: StepRunContext }) {
  return { outcome: outputFailureOutcome(context.step.task.appendRowFile, context.sinks?.outputError, Date.now()) };
}

/** A threshold was exceeded. */
export function thresholdParams({ context }: { context: StepRunContext }) {
  return { outcome: thresholdOutcome(breachReasonOf(context) ?? '', Date.now()) };
}

/** No result accepted for a whole progress_update_timeout. */
export function progressTimeoutParams({ context }: { context: StepRunContext }) {
  const ledger = context.run.ledger;
  const progress = {
    limitMs: context.step.predefined.progressUpdateTimeoutMs,
    running: ledger?.leases.size ?? 0,
    finished: ledger === undefined ? 0 : finishedCount(ledger),
    miniBatchCount: ledger?.miniBatchCount ?? 0,
  };
  return { outcome: progressTimeoutOutcome(progress, nodesFactsOf(context), Date.now()) };
}

/** The first init() failure of the run is worth a line on Watch; later ones are only counted. */
function initFailureParams({ context, event }: { context: StepRunContext; event: ProcessorFacts }) {
  if (context.run.errors.initFailures !== 0) return { message: undefined };
  const where = `node ${event.nodeId} ${event.processName}`;
  return { message: stepMessage('warn', `init() failed on ${where}: ${event.message.split('\n')[0]}`) };
}

/** A processor that restarted too often: a line on Watch. */
function escalationParams({ event }: { event: ProcessorFacts }) {
  const text = `node ${event.nodeId} ${event.processName} restarted too often and escalated: ${event.message}`;
  return { message: stepMessage('warn', text) };
}
