/**
 * The processor machine's implementations, named for its diagram (processor.machine.ts): its input, the
 * worker and loader actors, the `assign`s of supervision and of the run queue (run-queue.ts), the steps
 * and effects (processor-actions.ts), guards and delays.
 */
import type { Logger } from 'pino';
import { type AnyActorRef, assign, fromPromise, sendTo, setup } from 'xstate';

import type { Lease } from '../../gen/parajob/v1/parajob.js';
import { type JobSettings, MAX_RESTART_BACKOFF_MS } from '../job/job-settings.js';
import type { LoadedTable } from '../tabular/table-batches.js';
import type { HeldLease } from './batch-results.js';
import type { LeaseLoader } from './lease-loader.js';
import {
  bounceLeases,
  bounceQueue,
  dropQueue,
  logRevoked,
  logStray,
  type ProcessorContext,
  type ProcessorMachineEvent,
  recallAhead,
  releaseLease,
  reportAnswers,
  reportCrash,
  reportEscalated,
  reportIdle,
  reportInitFailed,
  reportInvalidEntryScript,
  reportLoadFailed,
  reportLoadTimeout,
  reportReady,
  reportStopped,
  reportTimeout,
  reportWorkerExited,
  returnLease,
  returnQueue,
  revokeLease,
  sendRuns,
  settleResults,
} from './processor-actions.js';
import { addLeases, endCurrent, forgetPace, keepTable, locate, markStarted, takeNext } from './run-queue.js';
import type { ProcessorSink } from './settle-feed.js';
import { workerActor } from './worker-actor.js';
export interface ProcessorInput {
  /** 0-based processor index; the process name is derived from it. */
  readonly index: number;
  readonly nodeId: string;
  readonly settings: JobSettings;
  /** GPUs on the node (CUDA_VISIBLE_DEVICES). */
  readonly gpus: number;
  /** Interpreter for `.py` entry scripts. */
  readonly python?: string;
  /** Bound to {processName} by the machine. */
  readonly logger: Logger;
  /** Receives every ProcessorNotice (the job actor). */
  readonly parent: AnyActorRef;
  /** Receives the end of every lease handed to this processor (settle-feed.ts). */
  readonly sink: ProcessorSink;
  /** Loads leases and builds their run frames, the job's fault plan applied (lease-loader.ts). */
  readonly loader: LeaseLoader;
}

/**
 * How long a run may go on before the leases queued behind it go back to the job (ms): far beyond
 * the short runs that get a run queue (SHORT_RUN_MS), well below anything a user would notice.
 */
export const QUEUE_HOLD_MS = 50;

/** setTimeout's largest delay; used as "never" for a run without a timeout. */
const NEVER_MS = 2_147_483_647;

/** The processor machine's setup(): everything its diagram names. */
export const processorSetup = setup({
  types: {
    context: {} as ProcessorContext,
    events: {} as ProcessorMachineEvent,
    input: {} as ProcessorInput,
  },
  actors: {
    workerProcess: workerActor,
    loadLease: fromPromise<LoadedTable | undefined, { readonly loader: LeaseLoader; readonly lease: Lease }>(
      ({ input, signal }) => input.loader.load(input.lease, signal),
    ),
  },
  actions: {
    // Supervision.
    rememberPid: assign({ pid: (_, params: { readonly pid: number }) => params.pid }),
    resetInitFailures: assign({ consecutiveInitFailures: 0 }),
    countInitFailure: assign({ consecutiveInitFailures: ({ context }) => context.consecutiveInitFailures + 1 }),
    recordRestart: assign({
      restartTimesMs: ({ context }) => {
        const now = Date.now();
        return [...context.restartTimesMs.filter((at) => now - at < context.settings.restartPeriodMs), now];
      },
    }),
    markStopRequested: assign({ stopRequested: true }),
    sendShutdown: sendTo('worker', { type: 'worker.send', messages: [{ type: 'shutdown' }] }),

    // The run queue (run-queue.ts): assigns here, steps that also hand leases on in processor-actions.ts.
    queueLeases: assign({
      runs: ({ context }, params: { readonly leases: readonly HeldLease[] }) => addLeases(context.runs, params.leases),
    }),
    /** Input of queued leases that the node fetches starts arriving while the current lease runs. */
    prefetchInput: ({ context }, params: { readonly leases: readonly HeldLease[] }) =>
      context.loader.prefetch(params.leases),
    takeNextLease: assign({ runs: ({ context }) => takeNext(context.runs, Date.now()) }),
    keepTable: assign({
      runs: ({ context }, params: { readonly table: LoadedTable | undefined }) => keepTable(context.runs, params.table),
    }),
    markRunStarted: assign({ runs: ({ context }) => markStarted(context.runs, Date.now()) }),
    clearLease: assign({ runs: ({ context }) => endCurrent(context.runs) }),
    forgetPace: assign({ runs: ({ context }) => forgetPace(context.runs) }),
    sendRuns,
    settleResults,
    recallAhead,
    revokeLease,
    bounceQueue,
    dropQueue,
    returnQueue,

    // Effects (processor-actions.ts).
    reportAnswers,
    logStray,
    reportTimeout,
    reportCrash,
    reportLoadTimeout,
    reportLoadFailed,
    returnLease,
    releaseLease,
    bounceLeases,
    reportIdle,
    reportReady,
    reportInitFailed,
    reportInvalidEntryScript,
    reportWorkerExited,
    reportEscalated,
    reportStopped,
    logRevoked,
  },
  guards: {
    isInvalidEntryScript: ({ event }) => event.type === 'worker.initFailed' && event.invalidEntryScript,
    hasPipelinedRun: ({ context }) => context.runs.current !== undefined,
    hasQueuedLease: ({ context }) => context.runs.queue.length > 0,
    nextNeedsLoading: ({ context }) => {
      const next = context.runs.queue[0];
      return next !== undefined && context.loader.needsLoading(next);
    },
    isCurrentLease: ({ context, event }) =>
      event.type === 'processor.revoke' && locate(context.runs, event.token) === 'current',
    isQueuedLease: ({ context, event }) =>
      event.type === 'processor.revoke' && locate(context.runs, event.token) === 'queued',
    hasTaskOverheadTimeout: ({ context }) => context.settings.taskOverheadTimeoutMs > 0,
    hasRunTimeout: ({ context }) => context.settings.runTimeoutMs > 0,
    isStopPending: ({ context }) => context.stopRequested,
    killsRunningWork: ({ event }) => event.type === 'processor.stop' && event.killRunning,
    restartIntensityExceeded: ({ context }) => context.restartTimesMs.length > context.settings.restartIntensity,
  },
  delays: {
    runTimeout: ({ context }) => Math.min(context.settings.runTimeoutMs || NEVER_MS, NEVER_MS),
    taskOverheadTimeout: ({ context }) => Math.min(context.settings.taskOverheadTimeoutMs || NEVER_MS, NEVER_MS),
    restartBackoff: ({ context }) =>
      Math.min(
        MAX_RESTART_BACKOFF_MS,
        context.settings.initBackoffMs * 2 ** Math.max(0, context.consecutiveInitFailures - 1),
      ),
    shutdownGrace: ({ context }) => context.settings.shutdownGraceMs,
    queueHold: QUEUE_HOLD_MS,
  },
});
