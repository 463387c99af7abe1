/**
 * The job machine: one per job a node serves. It fetches the job's code, runs its processors,
 * feeds them leases from a local queue (lease-book.ts), keeps the coordinator's credit topped up,
 * and leaves the job when told to or when it cannot serve it any more.
 *
 * preparing      Code.Fetch into the cache, settings compiled, a .py job's Python checked (job-python.ts).
 *                                               done → running; error → left
 *                                               job.release → left
 * running        processors spawned; credit requested; the resource monitor samples (stopped on leaving).
 *                lease.granted / processor.idle / processor.bounced → dispatch queued leases to ready
 *                                 processors, a few each (lease-book.ts; processors run them back to back)
 *                processor.settled (one per event-loop turn: the results themselves went straight from
 *                                 the processors to the outbox, settle-feed.ts) → dispatch, credit topped up
 *                processor.ready / .exited → forwarded to the coordinator (wire form made here, once)
 *                processor.initFailed → forwarded, counted; the max_init_failures-th → stopping
 *                processor.escalated / .invalid → forwarded; that processor takes no work; none left → stopping
 *                processor.stopped → forwarded; that processor takes no work
 *                lease.revoke → dropped from the queue, or processors drop it or kill its worker
 *                connection.lost → queued leases (the job's and the processors') handed back
 *                                  (RETURNED, kept until reconnected)
 *                connection.restored → credit asked afresh
 *                job.release → stopping
 * stopping       queue dropped; processors told to stop (running work killed unless the release
 *                reason is "succeeded" or "cancelled": a cancelled job's running mini-batches get
 *                cancelRunGrace to finish, then are killed, so that shutdown() runs in every worker
 *                that can still take it). processor.stopped of them all, or after stopGrace → left
 * left           job_left sent; the node is told (job.left to the parent) and stops the actor.
 */

import { type ActorRefFrom, assign, type EventObject, fromCallback, sendParent, setup } from 'xstate';

import { ParajobError } from '../../errors.js';
import type { Lease } from '../../gen/parajob/v1/parajob.js';
import { type ResourceMonitorOptions, startResourceMonitor } from '../../monitor/resource-monitor.js';
import type { HeldLease } from '../processor/batch-results.js';
import { processorLoader } from '../processor/lease-loader.js';
import { INITIAL_TUNER, noteGranted, noteRun } from '../processor/prefetch-tuner.js';
import { processorMachine } from '../processor/processor.machine.js';
import { type ProcessorLifecycleEvent, wireProcessorEvent } from '../processor/processor-events.js';
import { type SettledEvent, SettleFeed } from '../processor/settle-feed.js';
import { shippingSink } from '../processor/shipping-sink.js';
import {
  CANCEL_RUN_GRACE_MS,
  dispatchLeases,
  type JobContext,
  type JobEvent,
  type JobInput,
  type JobLeftNotice,
  liveProcessors,
  prepareJob,
  returnQueuedLeases,
  revokeLease,
  STOP_SLACK_MS,
  stopProcessors,
  topUpCredit,
} from './job-actions.js';
import type { JobSettings } from './job-settings.js';
import {
  addLeases,
  bounce,
  busyProcessors,
  clearQueue,
  EMPTY_BOOK,
  forgetProcessor,
  markAccepting,
  settle,
} from './lease-book.js';

const lifecycleEventOf = ({ event }: { event: ProcessorLifecycleEvent }) => ({ event });
const indexOf = ({ event }: { event: { readonly index: number } }) => ({ index: event.index });
const leasesOf = ({ event }: { event: { readonly leases: readonly Lease[] } }) => ({ leases: event.leases });
const tokenOf = ({ event }: { event: { readonly token: number } }) => ({ token: event.token });
const reasonOf = ({ event }: { event: { readonly reason: string } }) => ({ reason: event.reason });

export {
  CANCEL_RUN_GRACE_MS,
  type JobCommand,
  type JobInput,
  type JobLeftNotice,
  type JobNodeFacts,
} from './job-actions.js';

/** The job machine; see the module comment. */
export const jobMachine = setup({
  types: {
    context: {} as JobContext,
    events: {} as JobEvent,
    input: {} as JobInput,
  },
  actors: {
    processor: processorMachine,
    prepareJob,
    // The resource monitor samples while the job runs; its last sample is written as it stops.
    resourceMonitor: fromCallback<EventObject, ResourceMonitorOptions>(({ input }) => {
      const monitor = startResourceMonitor(input);
      return () => void monitor.stop();
    }),
  },
  actions: {
    keepSettings: assign({ settings: (_, params: { readonly settings: JobSettings }) => params.settings }),
    spawnProcessors: assign({
      processors: ({ context, spawn, self }) => {
        const settings = context.settings as JobSettings;
        const { node } = context.input;
        // The job's fault plan is applied here, to what the processors load and send: they know nothing of it.
        const inputs = context.input.inputs?.forJob(settings.jobId, node.nodeId);
        const loaderOf = (index: number) =>
          processorLoader(settings, context.input.readTableBatch, inputs, { nodeId: node.nodeId, index });
        return Array.from({ length: settings.processors }, (_, index) =>
          spawn('processor', {
            id: `processor-${index}`,
            input: {
              index,
              nodeId: node.nodeId,
              settings,
              gpus: node.gpus,
              ...(node.python === undefined ? {} : { python: node.python }),
              logger: context.logger,
              parent: self,
              sink: shippingSink(context.feed, settings, node.nodeId, context.input.inputs),
              loader: loaderOf(index),
            },
          }),
        );
      },
    }),
    logStartingProcessors: ({ context }) => {
      const { processors, entryScript } = context.settings as JobSettings;
      context.logger.info({ processors, entryScript }, 'starting processors');
    },
    logPrepareFailure: ({ context }, params: { readonly error: unknown }) => {
      context.logger.error({ error: String(params.error) }, 'cannot prepare the job (code or settings)');
    },
    keepLeases: assign(({ context }, params: { readonly leases: readonly Lease[] }) => {
      const receivedAtMs = Date.now();
      return {
        book: addLeases(
          context.book,
          params.leases.map((lease) => ({ lease, receivedAtMs })),
        ),
        tuner: noteGranted(context.tuner, receivedAtMs, context.book.pendingCredit > params.leases.length),
      };
    }),
    markAccepting: assign({
      book: ({ context }, params: { readonly index: number }) => markAccepting(context.book, params.index),
    }),
    requeueBounced: assign({
      book: ({ context }, params: { readonly index: number; readonly leases: readonly HeldLease[] }) =>
        bounce(context.book, params.index, params.leases),
    }),
    dispatchLeases,
    noteSettled: assign(({ context }, params: { readonly settled: SettledEvent }) => {
      let tuner = context.tuner;
      for (const runMs of params.settled.runMs) tuner = noteRun(tuner, runMs);
      return { book: settle(context.book, params.settled.counts), tuner };
    }),
    topUpCredit,
    /** A processor's lifecycle event goes to the coordinator, in its wire form (parajob.proto `ProcessorEvent`). */
    forwardEvent: ({ context }, params: { readonly event: ProcessorLifecycleEvent }) => {
      context.input.outbox.send({
        kind: { $case: 'processorEvent', value: wireProcessorEvent(context.jobId, params.event) },
      });
    },
    countInitFailure: assign(({ context }, params: { readonly event: ProcessorLifecycleEvent }) => ({
      initFailures: context.initFailures + 1,
      firstInitError: context.firstInitError || ('message' in params.event ? params.event.message : ''),
    })),
    markUnusable: assign(({ context }, params: { readonly index: number }) => ({
      unusable: new Set([...context.unusable, params.index]),
      book: forgetProcessor(context.book, params.index),
    })),
    markStopped: assign(({ context }, params: { readonly index: number }) => ({
      stopped: new Set([...context.stopped, params.index]),
      book: forgetProcessor(context.book, params.index),
    })),
    revokeLease,
    returnQueuedLeases,
    dropQueue: assign({ book: ({ context }) => clearQueue(context.book).book }),
    leaveForRelease: assign((_, params: { readonly reason: string }) => ({
      leaveReason: `released: ${params.reason}`,
      // A failed job kills what runs at once; a cancelled one lets it finish briefly (cancelRunGrace).
      killRunning: params.reason !== 'succeeded' && params.reason !== 'cancelled',
    })),
    leaveForInitFailures: assign(({ context }) => ({
      leaveReason: `init() failed ${context.initFailures} times on this node (max_init_failures ${context.settings?.maxInitFailures}): ${context.firstInitError}`,
      killRunning: true,
    })),
    leaveForNoProcessors: assign(({ context }) => ({
      leaveReason: `all ${context.processors.length} processors escalated or found the entry script unusable`,
      killRunning: true,
    })),
    leaveForPrepareFailure: assign({
      // A ParajobError's message is written for the user (job_result.txt quotes it): no class name in front.
      leaveReason: (_, params: { readonly error: unknown }) =>
        `cannot prepare the job: ${params.error instanceof ParajobError ? params.error.message : String(params.error)}`,
      killRunning: true,
    }),
    logStopping: ({ context }) => {
      context.logger.info({ reason: context.leaveReason, killRunning: context.killRunning }, 'stopping processors');
    },
    stopProcessors,
    logCancelGraceOver: ({ context }) => {
      context.logger.info(
        { graceMs: CANCEL_RUN_GRACE_MS },
        'running mini-batches did not finish in the cancel grace; killing their workers',
      );
    },
    sendJobLeft: ({ context }) => {
      context.feed.close();
      context.input.outbox.send({
        kind: { $case: 'jobLeft', value: { jobId: context.jobId, reason: context.leaveReason } },
      });
      context.logger.info({ reason: context.leaveReason }, 'left the job');
    },
    tellNodeLeft: sendParent(({ context }): JobLeftNotice => ({
      type: 'job.left',
      jobId: context.jobId,
      reason: context.leaveReason,
    })),
    markConnected: assign({ connected: true }),
    markDisconnected: assign({ connected: false }),
  },
  guards: {
    isLastAllowedInitFailure: ({ context }) => context.initFailures + 1 >= (context.settings?.maxInitFailures ?? 1),
    noProcessorLeft: ({ context }) => context.processors.length > 0 && liveProcessors(context) === 0,
    allProcessorsStopped: ({ context }) => context.stopped.size >= context.processors.length,
    letsRunningWorkFinish: ({ context }) => !context.killRunning,
  },
  delays: {
    stopGrace: ({ context }) => (context.settings?.shutdownGraceMs ?? 0) + STOP_SLACK_MS,
    cancelRunGrace: CANCEL_RUN_GRACE_MS,
  },
}).createMachine({
  id: 'job',
  context: ({ input, self }) => ({
    input,
    jobId: input.assignment.jobId,
    logger: input.logger,
    settings: undefined,
    processors: [],
    feed: new SettleFeed(input.assignment.jobId, input.outbox, (event) => {
      if (self.getSnapshot().status === 'active') self.send(event);
    }),
    book: EMPTY_BOOK,
    tuner: INITIAL_TUNER,
    unusable: new Set(),
    stopped: new Set(),
    initFailures: 0,
    firstInitError: '',
    leaveReason: '',
    killRunning: true,
    connected: true,
  }),
  initial: 'preparing',
  states: {
    preparing: {
      invoke: {
        src: 'prepareJob',
        input: ({ context }) => context.input,
        onDone: {
          target: 'running',
          actions: [
            { type: 'keepSettings', params: ({ event }) => ({ settings: event.output }) },
            'logStartingProcessors',
            'spawnProcessors',
            'topUpCredit',
          ],
        },
        onError: {
          target: 'left',
          actions: [
            { type: 'logPrepareFailure', params: ({ event }) => ({ error: event.error }) },
            { type: 'leaveForPrepareFailure', params: ({ event }) => ({ error: event.error }) },
          ],
        },
      },
      on: {
        'lease.granted': { actions: { type: 'keepLeases', params: leasesOf } },
        'lease.revoke': { actions: { type: 'revokeLease', params: tokenOf } },
        'connection.lost': { actions: ['markDisconnected', 'returnQueuedLeases'] },
        'connection.restored': { actions: 'markConnected' },
        'job.release': { target: 'left', actions: { type: 'leaveForRelease', params: reasonOf } },
      },
    },
    running: {
      invoke: {
        src: 'resourceMonitor',
        input: ({ context }) => {
          const settings = context.settings as JobSettings;
          return {
            jobId: settings.jobId,
            nodeId: context.input.node.nodeId,
            logDir: settings.logDir,
            intervalMs: settings.resourceMonitorIntervalMs,
            logger: context.logger,
          };
        },
      },
      always: { guard: 'noProcessorLeft', target: 'stopping', actions: 'leaveForNoProcessors' },
      on: {
        'lease.granted': { actions: [{ type: 'keepLeases', params: leasesOf }, 'dispatchLeases'] },
        'processor.idle': { actions: [{ type: 'markAccepting', params: indexOf }, 'dispatchLeases'] },
        'processor.bounced': {
          actions: [{ type: 'requeueBounced', params: ({ event }) => event }, 'dispatchLeases'],
        },
        'processor.settled': {
          actions: [
            { type: 'noteSettled', params: ({ event }) => ({ settled: event }) },
            'dispatchLeases',
            'topUpCredit',
          ],
        },
        'processor.ready': { actions: { type: 'forwardEvent', params: lifecycleEventOf } },
        'processor.exited': { actions: { type: 'forwardEvent', params: lifecycleEventOf } },
        'processor.initFailed': [
          {
            guard: 'isLastAllowedInitFailure',
            target: 'stopping',
            actions: [
              { type: 'forwardEvent', params: lifecycleEventOf },
              { type: 'countInitFailure', params: lifecycleEventOf },
              'leaveForInitFailures',
            ],
          },
          {
            actions: [
              { type: 'forwardEvent', params: lifecycleEventOf },
              { type: 'countInitFailure', params: lifecycleEventOf },
            ],
          },
        ],
        'processor.escalated': {
          actions: [
            { type: 'forwardEvent', params: lifecycleEventOf },
            { type: 'markUnusable', params: indexOf },
            'topUpCredit',
          ],
        },
        'processor.invalid': {
          actions: [
            { type: 'forwardEvent', params: lifecycleEventOf },
            { type: 'markUnusable', params: indexOf },
            'topUpCredit',
          ],
        },
        'processor.stopped': {
          actions: [
            { type: 'forwardEvent', params: lifecycleEventOf },
            { type: 'markStopped', params: indexOf },
            'topUpCredit',
          ],
        },
        'lease.revoke': { actions: [{ type: 'revokeLease', params: tokenOf }, 'topUpCredit'] },
        'connection.lost': { actions: ['markDisconnected', 'returnQueuedLeases'] },
        'connection.restored': { actions: ['markConnected', 'topUpCredit'] },
        'job.release': { target: 'stopping', actions: { type: 'leaveForRelease', params: reasonOf } },
      },
    },
    stopping: {
      entry: [
        'dropQueue',
        'logStopping',
        { type: 'stopProcessors', params: ({ context }) => ({ killRunning: context.killRunning }) },
      ],
      always: { guard: 'allProcessorsStopped', target: 'left' },
      after: {
        stopGrace: { target: 'left' },
        cancelRunGrace: {
          guard: 'letsRunningWorkFinish',
          actions: ['logCancelGraceOver', { type: 'stopProcessors', params: { killRunning: true } }],
        },
      },
      on: {
        'processor.settled': { actions: { type: 'noteSettled', params: ({ event }) => ({ settled: event }) } },
        'processor.ready': { actions: { type: 'forwardEvent', params: lifecycleEventOf } },
        'processor.exited': { actions: { type: 'forwardEvent', params: lifecycleEventOf } },
        'processor.initFailed': { actions: { type: 'forwardEvent', params: lifecycleEventOf } },
        'processor.escalated': { actions: { type: 'forwardEvent', params: lifecycleEventOf } },
        'processor.invalid': { actions: { type: 'forwardEvent', params: lifecycleEventOf } },
        'processor.stopped': {
          actions: [
            { type: 'forwardEvent', params: lifecycleEventOf },
            { type: 'markStopped', params: indexOf },
          ],
        },
        'lease.revoke': { actions: { type: 'revokeLease', params: tokenOf } },
        'connection.lost': { actions: 'markDisconnected' },
        'connection.restored': { actions: 'markConnected' },
      },
    },
    left: {
      // Terminal but not final: the node stops this actor (and its processors) on job.left.
      entry: ['sendJobLeft', 'tellNodeLeft'],
    },
  },
});

/** The running job actor type, for the node machine. */
export type JobRef = ActorRefFrom<typeof jobMachine>;

/** Mini-batches running right now in a job (for heartbeats): its processors holding leases. */
export function runningCount(job: JobRef): number {
  return busyProcessors(job.getSnapshot().context.book);
}
