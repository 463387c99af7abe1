/**
 * The job machine: one per job a node serves. It fetches the job's code, runs its processors,
 * feeds them leases from a local queue (lease-book.ts), keeps the coordinator's credit topped up,
 * and leaves the job when told to or when it cannot serve it any more.
 *
 * fetchingCode   Code.Fetch into the cache, settings compiled, a .py job's Python checked (job-python.ts).
 *                                               done → running; error → left
 *                                               job.release → left
 * running        processors spawned; credit requested.
 *                lease.granted / processor.idle / processor.bounced → dispatch queued leases to ready
 *                                 processors, a few each (lease-book.ts; processors run them back to back)
 *                processor.settled (one per event-loop turn: the results themselves went straight from
 *                                 the processors to the outbox, settle-feed.ts) → dispatch, credit topped up
 *                processor.event → forwarded; INIT_FAILED counted: max_init_failures → stopping;
 *                                  every processor escalated or invalid → stopping
 *                lease.revoke → dropped from the queue, or processors drop it or kill its worker
 *                connection.lost → queued leases (the job's and the processors') handed back
 *                                  (RETURNED, kept until reconnected)
 *                connection.restored → credit asked afresh
 *                job.release → stopping
 * stopping       queue dropped; processors told to stop (running work killed unless the release
 *                reason is "succeeded" or "cancelled": a cancelled job's running mini-batches get
 *                cancelRunGrace to finish, then are killed, so that shutdown() runs in every worker
 *                that can still take it). All processors STOPPED, or after stopGrace → left
 * left           job_left sent; the node is told (job.left to the parent) and stops the actor.
 */
import type { Logger } from 'pino';
import { type ActorRefFrom, assertEvent, assign, enqueueActions, fromPromise, sendParent, setup } from 'xstate';

import { ParajobError } from '../../errors.js';
import { type JobAssignment, type Lease, ProcessorEventKind } from '../../gen/parajob/v1/parajob.js';
import type { JobOutbox } from '../outbox.js';
import { NOT_RUN, returnedResult } from '../processor/batch-results.js';
import {
  INITIAL_TUNER,
  noteAsked,
  noteGranted,
  noteRun,
  prefetchFor,
  type PrefetchTuner,
  processorQueueFor,
} from '../processor/prefetch-tuner.js';
import { processorMachine, type ProcessorNotice } from '../processor/processor.machine.js';
import { type SettledEvent, SettleFeed } from '../processor/settle-feed.js';
import type { ReadTableBatch } from '../tabular/table-batches.js';
import { checkJobPython } from './job-python.js';
import { compileJobSettings, type JobSettings } from './job-settings.js';
import {
  addLeases,
  bounce,
  busyProcessors,
  clearQueue,
  creditToRequest,
  dispatch,
  EMPTY_BOOK,
  forgetProcessor,
  type LeaseBook,
  markAccepting,
  requested,
  revokeQueued,
  settle,
} from './lease-book.js';

/** Node facts a job needs. */
export interface JobNodeFacts {
  readonly nodeId: string;
  readonly cores: number;
  readonly gpus: number;
  readonly cacheDir: string;
  readonly python?: string;
}

export interface JobInput {
  readonly assignment: JobAssignment;
  readonly node: JobNodeFacts;
  readonly outbox: JobOutbox;
  /** Bound {nodeId, jobId}, writing to the job's node log. */
  readonly logger: Logger;
  /** Makes the code snapshot `hash` available locally; resolves with its folder. */
  readonly ensureCode: (hash: string) => Promise<string>;
  readonly readTableBatch: ReadTableBatch;
}

/** What a job tells its parent (the node machine) once it has left: job_left is sent. */
export interface JobLeftNotice {
  readonly type: 'job.left';
  readonly jobId: string;
  readonly reason: string;
}

/** What the node tells a job (coordinator messages and connection changes). */
export type JobCommand =
  | { readonly type: 'lease.granted'; readonly leases: readonly Lease[] }
  | { readonly type: 'lease.revoke'; readonly token: number }
  | { readonly type: 'job.release'; readonly reason: string }
  | { readonly type: 'connection.lost' }
  | { readonly type: 'connection.restored' };

type JobEvent = JobCommand | ProcessorNotice | SettledEvent;
type ProcessorRef = ActorRefFrom<typeof processorMachine>;

interface JobContext {
  readonly input: JobInput;
  readonly jobId: string;
  readonly logger: Logger;
  readonly settings: JobSettings | undefined;
  readonly processors: readonly ProcessorRef[];
  /** Where the processors report settled leases; created with them. */
  readonly feed: SettleFeed | undefined;
  readonly book: LeaseBook;
  /** Processors that escalated or found the entry script invalid: they take no work. */
  readonly unusable: ReadonlySet<number>;
  readonly stopped: ReadonlySet<number>;
  readonly initFailures: number;
  readonly firstInitError: string;
  readonly leaveReason: string;
  readonly killRunning: boolean;
  /** False between a lost stream and the next welcome. */
  readonly connected: boolean;
  /** Measures round trips and run costs to size the prefetch (prefetch-tuner.ts). */
  readonly tuner: PrefetchTuner;
}

/** Extra time, beyond a worker's shutdown grace, that stopping may take before the job leaves anyway. */
const STOP_SLACK_MS = 5_000;

/** How long a cancelled job's running mini-batches may go on before their workers are killed. */
export const CANCEL_RUN_GRACE_MS = 5_000;

function liveProcessors(context: JobContext): number {
  return context.processors.length - new Set([...context.unusable, ...context.stopped]).size;
}

/** Processors that have not reported STOPPED yet. */
function unstoppedProcessors(context: JobContext): ProcessorRef[] {
  return context.processors.filter((_, index) => !context.stopped.has(index));
}

function isEventOf(event: JobEvent, ...kinds: ProcessorEventKind[]): boolean {
  return event.type === 'processor.event' && kinds.includes(event.event.kind);
}

/** The job machine; see the module comment. */
export const jobMachine = setup({
  types: {
    context: {} as JobContext,
    events: {} as JobEvent,
    input: {} as JobInput,
  },
  actors: {
    processor: processorMachine,
    prepareJob: fromPromise<JobSettings, JobInput>(async ({ input }) => {
      const codeDir = await input.ensureCode(input.assignment.codeHash);
      const settings = compileJobSettings(input.assignment, {
        cores: input.node.cores,
        codeDir,
        cacheDir: input.node.cacheDir,
      });
      // A Python job fails here, once, when its interpreter is missing or lacks pandas for tabular input.
      const python = await checkJobPython(settings, input.node.python);
      return python === undefined ? settings : { ...settings, python };
    }),
  },
  actions: {
    keepSettings: assign({ settings: (_, params: { readonly settings: JobSettings }) => params.settings }),
    spawnProcessors: assign(({ context, spawn, self }) => {
      const settings = context.settings as JobSettings;
      const { node } = context.input;
      context.logger.info(
        { processors: settings.processors, entryScript: settings.entryScript },
        'starting processors',
      );
      const feed = new SettleFeed(context.jobId, context.input.outbox, (event) => {
        if (self.getSnapshot().status === 'active') self.send(event);
      });
      return {
        feed,
        processors: Array.from({ length: settings.processors }, (_, index) =>
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
              sink: feed,
              readTableBatch: context.input.readTableBatch,
            },
          }),
        ),
      };
    }),
    logPrepareFailure: ({ context }, params: { readonly error: unknown }) => {
      context.logger.error({ error: String(params.error) }, 'cannot prepare the job (code or settings)');
    },
    keepLeases: assign({
      book: ({ context, event }) => {
        assertEvent(event, 'lease.granted');
        const receivedAtMs = Date.now();
        return addLeases(
          context.book,
          event.leases.map((lease) => ({ lease, receivedAtMs })),
        );
      },
      tuner: ({ context, event }) => {
        assertEvent(event, 'lease.granted');
        return noteGranted(context.tuner, Date.now(), context.book.pendingCredit > event.leases.length);
      },
    }),
    markAccepting: assign({
      book: ({ context, event }) => {
        assertEvent(event, 'processor.idle');
        return markAccepting(context.book, event.index);
      },
    }),
    requeueBounced: assign({
      book: ({ context, event }) => {
        assertEvent(event, 'processor.bounced');
        return bounce(context.book, event.index, event.leases);
      },
    }),
    dispatchLeases: enqueueActions(({ context, enqueue }) => {
      const { book, dispatches } = dispatch(context.book, processorQueueFor(context.tuner));
      if (dispatches.length === 0) return;
      enqueue.assign({ book });
      for (const { index, leases } of dispatches) {
        enqueue.sendTo(context.processors[index] as ProcessorRef, { type: 'processor.run', leases });
      }
    }),
    noteSettled: assign(({ context, event }) => {
      assertEvent(event, 'processor.settled');
      let tuner = context.tuner;
      for (const runMs of event.runMs) tuner = noteRun(tuner, runMs);
      return { book: settle(context.book, event.counts), tuner };
    }),
    topUpCredit: enqueueActions(({ context, enqueue }) => {
      const settings = context.settings;
      // Credit asked while no stream is attached would be lost: ask once reconnected.
      if (settings === undefined || !context.connected) return;
      const prefetch = prefetchFor(context.tuner, settings.prefetch);
      const want = creditToRequest(context.book, liveProcessors(context) * (1 + prefetch));
      if (want === 0) return;
      context.input.outbox.requestLeases(context.jobId, want);
      enqueue.assign({ book: requested(context.book, want), tuner: noteAsked(context.tuner, Date.now()) });
    }),
    forwardEvent: ({ context, event }) => {
      assertEvent(event, 'processor.event');
      context.input.outbox.send({ kind: { $case: 'processorEvent', value: event.event } });
    },
    countInitFailure: assign(({ context, event }) => {
      assertEvent(event, 'processor.event');
      return { initFailures: context.initFailures + 1, firstInitError: context.firstInitError || event.event.message };
    }),
    markUnusable: assign(({ context, event }) => {
      assertEvent(event, 'processor.event');
      return {
        unusable: new Set([...context.unusable, event.index]),
        book: forgetProcessor(context.book, event.index),
      };
    }),
    markStopped: assign(({ context, event }) => {
      assertEvent(event, 'processor.event');
      return { stopped: new Set([...context.stopped, event.index]), book: forgetProcessor(context.book, event.index) };
    }),
    revokeLease: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'lease.revoke');
      const { book, queued } = revokeQueued(context.book, event.token);
      if (queued) {
        enqueue.assign({ book });
        return;
      }
      // Rare (a cancel): whichever processor holds it drops it or kills its worker; the others ignore it.
      for (const processor of context.processors)
        enqueue.sendTo(processor, { type: 'processor.revoke', token: event.token });
    }),
    returnQueuedLeases: enqueueActions(({ context, enqueue }) => {
      // The stream broke: the coordinator re-queues this node's leases (results for them will be
      // fenced), so queued ones are not run late but handed back (kept in the outbox until the next
      // welcome), and the credit asked on the old stream is forgotten.
      const { book, dropped } = clearQueue(context.book);
      for (const held of dropped) {
        context.input.outbox.sendResult(context.jobId, returnedResult(held, NOT_RUN, 'node reconnected'));
      }
      enqueue.assign({ book });
      // Processors hand back their own run queues (through the feed, counted as settled).
      for (const processor of context.processors) enqueue.sendTo(processor, { type: 'processor.returnQueued' });
    }),
    dropQueue: assign({ book: ({ context }) => clearQueue(context.book).book }),
    leaveForRelease: assign(({ event }) => {
      assertEvent(event, 'job.release');
      // A failed job kills what runs at once; a cancelled one lets it finish briefly (cancelRunGrace).
      return {
        leaveReason: `released: ${event.reason}`,
        killRunning: event.reason !== 'succeeded' && event.reason !== 'cancelled',
      };
    }),
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
    stopProcessors: enqueueActions(({ context, enqueue }) => {
      context.logger.info({ reason: context.leaveReason, killRunning: context.killRunning }, 'stopping processors');
      for (const processor of unstoppedProcessors(context))
        enqueue.sendTo(processor, { type: 'processor.stop', killRunning: context.killRunning });
    }),
    killRunningWork: enqueueActions(({ context, enqueue }) => {
      context.logger.info(
        { graceMs: CANCEL_RUN_GRACE_MS },
        'running mini-batches did not finish in the cancel grace; killing their workers',
      );
      for (const processor of unstoppedProcessors(context))
        enqueue.sendTo(processor, { type: 'processor.stop', killRunning: true });
    }),
    sendJobLeft: ({ context }) => {
      context.feed?.close();
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
    isInitFailure: ({ event }) => isEventOf(event, ProcessorEventKind.PROCESSOR_EVENT_KIND_INIT_FAILED),
    isLastAllowedInitFailure: ({ context, event }) =>
      isEventOf(event, ProcessorEventKind.PROCESSOR_EVENT_KIND_INIT_FAILED) &&
      context.initFailures + 1 >= (context.settings?.maxInitFailures ?? 1),
    makesProcessorUnusable: ({ event }) =>
      isEventOf(
        event,
        ProcessorEventKind.PROCESSOR_EVENT_KIND_ESCALATED,
        ProcessorEventKind.PROCESSOR_EVENT_KIND_INVALID_ENTRY_SCRIPT,
      ),
    isStopped: ({ event }) => isEventOf(event, ProcessorEventKind.PROCESSOR_EVENT_KIND_STOPPED),
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
  context: ({ input }) => ({
    input,
    jobId: input.assignment.jobId,
    logger: input.logger,
    settings: undefined,
    processors: [],
    feed: undefined,
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
  initial: 'fetchingCode',
  states: {
    fetchingCode: {
      invoke: {
        src: 'prepareJob',
        input: ({ context }) => context.input,
        onDone: {
          target: 'running',
          actions: [
            { type: 'keepSettings', params: ({ event }) => ({ settings: event.output }) },
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
        'lease.granted': { actions: 'keepLeases' },
        'lease.revoke': { actions: 'revokeLease' },
        'connection.lost': { actions: ['markDisconnected', 'returnQueuedLeases'] },
        'connection.restored': { actions: 'markConnected' },
        'job.release': { target: 'left', actions: 'leaveForRelease' },
      },
    },
    running: {
      always: { guard: 'noProcessorLeft', target: 'stopping', actions: 'leaveForNoProcessors' },
      on: {
        'lease.granted': { actions: ['keepLeases', 'dispatchLeases'] },
        'processor.idle': { actions: ['markAccepting', 'dispatchLeases'] },
        'processor.bounced': { actions: ['requeueBounced', 'dispatchLeases'] },
        'processor.settled': { actions: ['noteSettled', 'dispatchLeases', 'topUpCredit'] },
        'processor.event': [
          {
            guard: 'isLastAllowedInitFailure',
            target: 'stopping',
            actions: ['forwardEvent', 'countInitFailure', 'leaveForInitFailures'],
          },
          { guard: 'isInitFailure', actions: ['forwardEvent', 'countInitFailure'] },
          { guard: 'makesProcessorUnusable', actions: ['forwardEvent', 'markUnusable', 'topUpCredit'] },
          { guard: 'isStopped', actions: ['forwardEvent', 'markStopped', 'topUpCredit'] },
          { actions: 'forwardEvent' },
        ],
        'lease.revoke': { actions: ['revokeLease', 'topUpCredit'] },
        'connection.lost': { actions: ['markDisconnected', 'returnQueuedLeases'] },
        'connection.restored': { actions: ['markConnected', 'topUpCredit'] },
        'job.release': { target: 'stopping', actions: 'leaveForRelease' },
      },
    },
    stopping: {
      entry: ['dropQueue', 'stopProcessors'],
      always: { guard: 'allProcessorsStopped', target: 'left' },
      after: {
        stopGrace: { target: 'left' },
        cancelRunGrace: { guard: 'letsRunningWorkFinish', actions: 'killRunningWork' },
      },
      on: {
        'processor.settled': { actions: 'noteSettled' },
        'processor.event': [
          { guard: 'isStopped', actions: ['forwardEvent', 'markStopped'] },
          { actions: 'forwardEvent' },
        ],
        'lease.revoke': { actions: 'revokeLease' },
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
