/**
 * The step-run machine's implementations, named for its diagram (step-run.machine.ts): its types and
 * actors (step-run.actors.ts), guards, delays and named actions. Guards and delays read the context;
 * the serving actions call the bookkeeping (serving-nodes.ts, leasing.ts, lease-reclaim.ts), which
 * changes the run state and leaves the messages for nodes and the lines for Watch in StepEffects; the
 * other actions log, write the overview files, or record the decided outcome (outcome.ts builds it, pure).
 */
import { assign, enqueueActions, setup } from 'xstate';

import { FailureKind } from '../../gen/parajob/v1/parajob.js';
import type { NodeInfo } from '../cluster/node-directory.js';
import { isLedgerComplete } from '../ledger/ledger.js';
import type { AssignmentInput } from '../partition/assignment-input.js';
import { type Partition } from '../partition/partition-input.js';
import {
  newStepEffects,
  type NodeMail,
  type ProcessorFacts,
  type StepEffects,
  type StepRunContext,
  type StepRunEvent,
  type StepRunInput,
  type StepRunMessage,
  type StepRunOutput,
} from './context.js';
import { claimHeldLeases, requeueUnclaimedLeases } from './lease-reclaim.js';
import { acceptResults, addCredit, grantToWaitingNodes, revokeOutstandingLeases } from './leasing.js';
import { finishFailureOutcome, outcomeMessage, type StepOutcome } from './outcome.js';
import { acknowledgeResults } from './result-acks.js';
import { openRunLedger, writeFinalOverview, writeProgressOverview } from './run-progress.js';
import {
  announceNodeWait,
  canUseNode,
  dropNode,
  hasReplacementNode,
  releaseNodes,
  takeAvailableNodes,
  takeNode,
} from './serving-nodes.js';
import { type StepSinks } from './sinks.js';
import { stepRunActors } from './step-run.actors.js';
import { breachReasonOf, type DropParams, type EventOf, processorFields } from './step-run.transitions.js';

/** Keeps the messages for nodes in run.outgoing (sendToNodes sends them) and emits the lines for Watch. */
function keepEffects(context: StepRunContext, effects: StepEffects, emit: (message: StepRunMessage) => void): void {
  context.run.outgoing.push(...effects.mail);
  for (const message of effects.said) emit(message);
}

function sendMail(context: StepRunContext, mail: readonly NodeMail[]): void {
  for (const { nodeId, message } of mail) context.deps.nodes.send(nodeId, message);
}

/**
 * Drops results unread, logged like every other fenced result (so the log and summary.json's
 * droppedResults agree), and acknowledges them: nothing will ever count them, so the node forgets them.
 */
function dropResults(context: StepRunContext, params: EventOf<'results.received'>, reason: string): void {
  context.run.droppedResults += params.results.length;
  for (const { miniBatchId, attempt, token } of params.results) {
    context.run.fencingLog.dropped(context.deps.logger, { nodeId: params.nodeId, miniBatchId, attempt, token, reason });
    context.sinks?.staged.discard(miniBatchId, token);
  }
  acknowledgeResults(context, params.nodeId, params.results);
}

/** Accepts results from a node serving the run; each is acknowledged once durable (result-acks.ts). */
function acceptAndAcknowledge(context: StepRunContext, params: EventOf<'results.received'>): void {
  const effects = newStepEffects();
  acceptResults(context, params.nodeId, params.results, effects);
  sendMail(context, effects.mail);
  acknowledgeResults(context, params.nodeId, params.results);
}

/**
 * Records the decided outcome (the first wins) and logs it. Kept in the mutable run state, so guards
 * and later actions see it in the same step.
 */
function recordOutcome(context: StepRunContext, outcome: StepOutcome): void {
  if (context.run.outcome !== undefined) return;
  context.run.outcome = outcome;
  const fields = { state: outcome.state, failureKind: FailureKind[outcome.failureKind], reason: outcome.reason };
  if (outcome.state === 'failed') context.deps.logger.error(fields, 'step run failed');
  else context.deps.logger.info(fields, `step run ${outcome.state}`);
}

/** The step-run machine's setup(); step-run.machine.ts draws the diagram with it. */
export const stepRunSetup = setup({
  types: {} as {
    context: StepRunContext;
    events: StepRunEvent;
    input: StepRunInput;
    output: StepRunOutput;
    emitted: StepRunMessage;
  },
  actors: stepRunActors,
  guards: {
    hasGrantedLeases: ({ context }) => context.run.grantedAny,
    /** Leases kept across a restart are work in flight: their results may come before any grant. */
    holdsLiveLeases: ({ context }) => (context.run.ledger?.leases.size ?? 0) > 0,
    canUseOfferedNode: ({ context, event }) => event.type === 'node.offered' && canUseNode(context, event.node),
    servesJob: ({ context, event }) => 'nodeId' in event && context.run.nodes.has(event.nodeId),
    /** job_left of the last node that serves the run, with no live node to replace it. */
    isLastNodeLeaving: ({ context, event }) =>
      event.type === 'node.left' &&
      context.run.nodes.has(event.nodeId) &&
      context.run.nodes.size === 1 &&
      !hasReplacementNode(context, event.nodeId),
    thresholdExceeded: ({ context }) => breachReasonOf(context) !== undefined,
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
    keepSinks: assign({ sinks: (_, params: { readonly sinks: StepSinks }) => params.sinks }),
    keepPartition: assign({ partition: (_, params: { readonly partition: Partition }) => params.partition }),
    keepAssignmentInput: assign({
      assignmentInput: (_, params: { readonly input: AssignmentInput }) => params.input,
    }),
    attachJournalOutput: ({ context }) => {
      const sinks = context.sinks;
      if (sinks !== undefined) context.deps.journal?.attachOutput(() => sinks.syncOutput());
    },
    createLedger: ({ context }) => openRunLedger(context),
    /** Emits a Watch line (params carry it); nothing when there is none. */
    tell: enqueueActions(({ enqueue }, params: { readonly message: StepRunMessage | undefined }) => {
      if (params.message !== undefined) enqueue.emit(params.message);
    }),
    // Serving: the bookkeeping (serving-nodes.ts, leasing.ts) changes the run state and leaves the
    // messages for nodes and the lines for Watch in StepEffects. An enqueueActions body keeps the
    // messages in run.outgoing for the sendToNodes action after it and emits the lines; a plain action
    // sends its messages itself.
    takeAvailableNodes: enqueueActions(({ context, enqueue }) => {
      const effects = newStepEffects();
      takeAvailableNodes(context, effects);
      // Nodes that re-attached before a resumed run existed claim their journaled leases once taken.
      for (const node of context.deps.nodes.liveNodes()) claimHeldLeases(context, node);
      announceNodeWait(context, effects);
      grantToWaitingNodes(context, effects); // credit asked before the nodes were taken (a resumed run)
      keepEffects(context, effects, enqueue.emit);
    }),
    takeOfferedNode: enqueueActions(({ context, enqueue }, params: { readonly node: NodeInfo }) => {
      const effects = newStepEffects();
      takeNode(context, params.node, effects);
      announceNodeWait(context, effects);
      grantToWaitingNodes(context, effects);
      keepEffects(context, effects, enqueue.emit);
    }),
    /** A node (re)attached to a resumed run: the journaled leases it reports are kept, its others re-queued. */
    claimLeases: enqueueActions(({ context, enqueue }, params: { readonly node: NodeInfo }) => {
      const effects = newStepEffects();
      if (claimHeldLeases(context, params.node) > 0) grantToWaitingNodes(context, effects);
      keepEffects(context, effects, enqueue.emit);
    }),
    /** The reclaim window of a resumed run is over: the leases no node claimed run again. */
    requeueUnclaimedLeases: enqueueActions(({ context, enqueue }) => {
      const effects = newStepEffects();
      if (requeueUnclaimedLeases(context) > 0) grantToWaitingNodes(context, effects);
      keepEffects(context, effects, enqueue.emit);
    }),
    /** Arms the reclaim window of a resumed run that holds journaled leases (lease-reclaim.ts). */
    armLeaseReclaim: enqueueActions(({ context, enqueue }) => {
      if (context.run.unclaimedLeases.size > 0)
        enqueue.raise({ type: 'leases.reclaimDue' }, { delay: context.deps.settings.leaseReclaimMs });
    }),
    /** Results that arrived before the ledger existed wait for it (takeHeldResults). */
    holdResults: ({ context }, params: EventOf<'results.received'>) => {
      context.run.heldResults.push({ nodeId: params.nodeId, results: params.results });
    },
    /** The ledger exists and the nodes are taken: held results count (from a serving node) or are dropped. */
    takeHeldResults: ({ context }) => {
      for (const held of context.run.heldResults.splice(0)) {
        const params = { type: 'results.received' as const, ...held };
        if (context.run.nodes.has(held.nodeId)) acceptAndAcknowledge(context, params);
        else dropResults(context, params, `node ${held.nodeId} does not serve this run`);
      }
    },
    /** node.lost / node.left: re-queue its leases, look for a replacement, grant to the others. */
    dropNode: enqueueActions(({ context, enqueue }, params: DropParams) => {
      const effects = newStepEffects();
      dropNode(context, params.nodeId, params.cause, params.reason, effects);
      takeAvailableNodes(context, effects);
      grantToWaitingNodes(context, effects);
      announceNodeWait(context, effects);
      keepEffects(context, effects, enqueue.emit);
    }),
    /** Sends the messages the actions before it kept in run.outgoing, in order. */
    sendToNodes: ({ context }) => sendMail(context, context.run.outgoing.splice(0)),
    grantRequestedLeases: ({ context }, params: { readonly nodeId: string; readonly count: number }) => {
      const effects = newStepEffects();
      addCredit(context, params.nodeId, params.count, effects);
      sendMail(context, effects.mail);
    },
    /** The write backlog ended: the credit the nodes kept asking for is granted now. */
    resumeLeasing: ({ context }) => {
      // The wait was the coordinator's own: progress_update_timeout counts from here.
      context.run.lastProgressAtMs = Date.now();
      const effects = newStepEffects();
      grantToWaitingNodes(context, effects);
      sendMail(context, effects.mail);
    },
    acceptResults: ({ context }, params: EventOf<'results.received'>) => acceptAndAcknowledge(context, params),
    dropLateResults: ({ context }, params: EventOf<'results.received'>) =>
      dropResults(context, params, 'the step run is over: its leases were revoked'),
    /** Results of a node the run never took (another pool, or past instance_count): a forgery or a stray. */
    dropForeignResults: ({ context }, params: EventOf<'results.received'>) =>
      dropResults(context, params, `node ${params.nodeId} does not serve this run`),
    /** init() failed: counted in the error digest (the first one is told on Watch: initFailureParams). */
    noteInitFailure: ({ context }, params: ProcessorFacts) => {
      context.run.errors.recordInitFailure({ ...params });
      context.deps.logger.warn({ ...processorFields(params), error: params.message }, 'init() failed');
    },
    noteWorkerExit: ({ context }, params: ProcessorFacts) => {
      const { exitCode, signal, message } = params;
      context.deps.logger.warn({ ...processorFields(params), exitCode, signal, detail: message }, 'worker exited');
    },
    noteEscalation: ({ context }, params: ProcessorFacts) => {
      const { exitCode, signal, message } = params;
      context.deps.logger.warn(
        { ...processorFields(params), exitCode, signal, detail: message },
        'processor escalated',
      );
    },
    logProcessorEvent: ({ context }, params: ProcessorFacts & { readonly type: string }) => {
      context.deps.logger.debug({ ...processorFields(params), event: params.type }, 'processor event');
    },
    startRunning: ({ context }) => {
      const nowMs = Date.now();
      context.run.runningSinceMs = nowMs;
      context.run.lastProgressAtMs = nowMs;
      context.run.rate.sample(nowMs, 0);
      context.deps.logger.info({ nodes: context.run.nodes.size }, 'first lease granted');
    },
    writeProgressOverview: ({ context }) => writeProgressOverview(context),
    /** The one way a run's ending is decided: the first decision wins, is recorded and told on Watch. */
    decide: enqueueActions(({ context, enqueue }, params: { readonly outcome: StepOutcome }) => {
      if (context.run.outcome !== undefined) return;
      enqueue(() => recordOutcome(context, params.outcome));
      const { level, text } = outcomeMessage(params.outcome);
      enqueue.emit({ type: 'step.message', level, text, atMs: params.outcome.decidedAtMs });
    }),
    /** finishStep failed (the output could not be flushed): the run fails whatever was decided. */
    overrideWithFinishFailure: ({ context }, params: { readonly error: unknown }) => {
      context.run.outcome = finishFailureOutcome(params.error, Date.now());
      context.deps.logger.error({ err: params.error }, 'finishing the step run failed');
    },
    endLeasing: ({ context }) => {
      // Results held for a ledger that never came (the input could not be cut) never count.
      for (const held of context.run.heldResults.splice(0))
        dropResults(context, { type: 'results.received', ...held }, 'the step run ended before its ledger existed');
      const reason = context.run.outcome?.state ?? 'failed';
      const effects = newStepEffects();
      revokeOutstandingLeases(context, `job ${reason}`, reason !== 'cancelled', effects);
      releaseNodes(context, reason, effects);
      sendMail(context, effects.mail);
    },
    markNodeReleased: ({ context }, params: { readonly nodeId: string }) => {
      context.run.releasing.delete(params.nodeId);
      context.run.nodes.delete(params.nodeId);
    },
    noteReleaseTimeout: ({ context }) => {
      context.deps.logger.warn({ nodes: [...context.run.releasing] }, 'nodes did not confirm the release in time');
    },
    writeFinalOverview: ({ context }) => writeFinalOverview(context),
  },
});
