/**
 * The processor machine: one worker child process per processor, supervised.
 *
 * alive            invokes the worker actor; leaving `alive` SIGKILLs a worker still running
 *   (any)          worker.exited → restarting (processor.initFailed) · processor.stop → stopped
 *   starting       worker.spawned → initializing
 *   initializing   worker.ready → idle (processor.ready)
 *                  worker.initFailed → invalid (processor.invalid) when retrying cannot help
 *                  worker.initFailed → restarting (processor.initFailed)
 *   idle           entry: processor.idle to the job
 *                  processor.run → next (leases queued)
 *                  worker.exited → restarting (processor.exited) · processor.stop → shuttingDown
 *   next           (transient) a pipelined run is current → running
 *                  a stop is pending → shuttingDown (queue dropped)
 *                  the queue's head needs loading → loading · the queue has a head → running
 *                  else → idle
 *   loading        invokes loadLease (a tabular lease's rows)
 *                  done → running · error → next (EXCEPTION result)
 *                  after taskOverheadTimeout → next (TIMEOUT result, LoadTimeout)
 *                  worker.exited → restarting (RETURNED result) · processor.stop → shuttingDown (RETURNED)
 *                  processor.revoke (its lease) → next, no result
 *   running        entry: `run` sent, and while runs are short the queue pipelined behind it
 *                  worker.results → next (one result each; the first run ahead becomes current)
 *                  after runTimeout → restarting (TIMEOUT result; runs ahead recalled)
 *                  worker.exited → restarting (WORKER_CRASHED result; runs ahead recalled)
 *                  processor.revoke (its lease) → restarting, no result; (another lease) dropped
 *                  processor.stop (kill) → stopped · processor.stop → stays, stop pending
 *   loading, running: brief   processor.run → queued (and pipelined, running)
 *                              after queueHold → long (queue bounced to the job)
 *                     long    processor.run → bounced to the job
 *   shuttingDown   entry: `shutdown` sent
 *                  worker.shutdownDone | worker.exited | after shutdownGrace → stopped
 * restarting       entry: queue bounced to the job
 *                  a stop is pending → stopped · restart intensity exceeded → escalated
 *                  after restartBackoff → alive · processor.stop → stopped
 * escalated        entry: processor.escalated.  processor.stop → stopped
 * invalid          processor.stop → stopped
 * stopped          entry: processor.stopped; terminal (the actor ends with its job)
 * (anywhere)       processor.run it cannot take → bounced to the job
 *
 * Run queue (run-queue.ts): the job hands leases in bulk (`processor.run`, a few at a time); idle,
 * loading and running keep them and run them one after another without asking the job. Each lease
 * handed here ends exactly once, reported to `input.sink` as a plain call (settle-feed.ts), so the job
 * hears one tally per event-loop turn rather than events per mini-batch: with a result (a LeaseEnd; the
 * sink builds its wire BatchResult) or released without one (revoked, or dropped by a stop: the job is
 * leaving). Leases that never started go back to the job (processor.bounced) when the worker is gone or
 * its run is too long to wait behind, and as RETURNED results on `processor.returnQueued` (the node's
 * stream broke). Besides that, the machine talks to its job only through typed notices
 * (processor-events.ts) sent to `input.parent`.
 *
 * The job queues leases on a processor only while runs are short (prefetch-tuner.ts processorQueueFor),
 * and a run outliving QUEUE_HOLD_MS hands the queue back, so a slow or hung mini-batch holds no other
 * lease hostage. Runs already pipelined into the worker are the exception, bounded by the pipeline
 * budget: they wait for the run ahead of them, and go back to the job unrun when its worker is killed
 * or dies. `running` is entered afresh for every run, a pipelined one too, so its timeout counts from
 * that run's start; `next` goes back to running for a pipelined run before anything else, a stop too.
 *
 * The machine knows nothing of where input comes from or of injected faults: its LeaseLoader
 * (lease-loader.ts, built by the job with the job's fault plan applied) says which leases to load,
 * loads them and builds their `run` frames.
 */
import { processName as processNameOf } from '../../log/layout.js';
import { describeExit, describeInitError, type HeldLease } from './batch-results.js';
import { processorSetup } from './processor-setup.js';
import { type CurrentRun, EMPTY_RUN_QUEUE } from './run-queue.js';
import type { WorkerExit } from './worker-host.js';
import { initMessage, workerLaunch } from './worker-launch.js';

export type { ProcessorCommand, ProcessorNotice } from './processor-events.js';
export { type ProcessorInput, QUEUE_HOLD_MS } from './processor-setup.js';

const leasesOf = ({ event }: { event: { readonly leases: readonly HeldLease[] } }) => ({ leases: event.leases });
const tokenOf = ({ event }: { event: { readonly token: number } }) => ({ token: event.token });
const exitOf = ({ event }: { event: { readonly exit: WorkerExit } }) => ({ exit: event.exit });

/** The processor machine; see the module comment for its states. */
export const processorMachine = processorSetup.createMachine({
  id: 'processor',
  context: ({ input }) => {
    const processName = processNameOf(input.index);
    return {
      index: input.index,
      who: {
        nodeId: input.nodeId,
        index: input.index,
        processName,
        gpus: input.gpus,
        ...(input.python === undefined ? {} : { python: input.python }),
      },
      settings: input.settings,
      logger: input.logger.child({ processName }),
      parent: input.parent,
      sink: input.sink,
      loader: input.loader,
      pid: 0,
      runs: EMPTY_RUN_QUEUE,
      stopRequested: false,
      consecutiveInitFailures: 0,
      restartTimesMs: [],
    };
  },
  initial: 'alive',
  on: {
    'processor.run': { actions: { type: 'bounceLeases', params: leasesOf } },
  },
  states: {
    alive: {
      invoke: {
        id: 'worker',
        src: 'workerProcess',
        input: ({ context }) => ({
          launch: workerLaunch(context.settings, context.who),
          init: initMessage(context.settings, context.who),
        }),
      },
      initial: 'starting',
      on: {
        'worker.exited': {
          target: 'restarting',
          actions: [
            'countInitFailure',
            'recordRestart',
            {
              type: 'reportInitFailed',
              params: ({ event }) => ({
                message: `init() did not complete: ${describeExit(event.exit)}`,
                exit: event.exit,
              }),
            },
          ],
        },
        'processor.stop': { target: 'stopped' },
        'processor.revoke': { guard: 'isQueuedLease', actions: { type: 'revokeLease', params: tokenOf } },
        'processor.returnQueued': { actions: 'returnQueue' },
      },
      states: {
        starting: {
          on: {
            'worker.spawned': {
              target: 'initializing',
              actions: { type: 'rememberPid', params: ({ event }) => event },
            },
          },
        },
        initializing: {
          on: {
            'worker.ready': {
              target: 'idle',
              actions: [{ type: 'rememberPid', params: ({ event }) => event }, 'resetInitFailures', 'reportReady'],
            },
            'worker.initFailed': [
              {
                guard: 'isInvalidEntryScript',
                target: '#processor.invalid',
                actions: {
                  type: 'reportInvalidEntryScript',
                  params: ({ context, event }) => ({
                    message: describeInitError(event.error, context.settings.entryScript),
                  }),
                },
              },
              {
                target: '#processor.restarting',
                actions: [
                  'countInitFailure',
                  'recordRestart',
                  {
                    type: 'reportInitFailed',
                    params: ({ context, event }) => ({
                      message: describeInitError(event.error, context.settings.entryScript),
                    }),
                  },
                ],
              },
            ],
          },
        },
        idle: {
          entry: 'reportIdle',
          on: {
            'processor.run': {
              target: 'next',
              actions: [
                { type: 'queueLeases', params: leasesOf },
                { type: 'prefetchInput', params: leasesOf },
              ],
            },
            'worker.exited': {
              target: '#processor.restarting',
              actions: ['recordRestart', { type: 'reportWorkerExited', params: exitOf }],
            },
            'processor.stop': { target: 'shuttingDown' },
          },
        },
        next: {
          always: [
            // Runs already with the worker finish first, even when stopping: they cannot be taken back.
            { guard: 'hasPipelinedRun', target: 'running' },
            { guard: 'isStopPending', target: 'shuttingDown', actions: 'dropQueue' },
            { guard: 'nextNeedsLoading', target: 'loading', actions: 'takeNextLease' },
            { guard: 'hasQueuedLease', target: 'running', actions: 'takeNextLease' },
            { target: 'idle' },
          ],
        },
        loading: {
          invoke: {
            src: 'loadLease',
            input: ({ context }) => ({
              loader: context.loader,
              lease: (context.runs.current as CurrentRun).held.lease,
            }),
            onDone: {
              target: 'running',
              actions: { type: 'keepTable', params: ({ event }) => ({ table: event.output }) },
            },
            onError: {
              target: 'next',
              actions: [{ type: 'reportLoadFailed', params: ({ event }) => ({ error: event.error }) }, 'clearLease'],
            },
          },
          after: {
            taskOverheadTimeout: {
              guard: 'hasTaskOverheadTimeout',
              target: 'next',
              actions: ['reportLoadTimeout', 'clearLease'],
            },
          },
          initial: 'brief',
          states: {
            brief: {
              after: { queueHold: { target: 'long', actions: 'bounceQueue' } },
              on: {
                'processor.run': {
                  actions: [
                    { type: 'queueLeases', params: leasesOf },
                    { type: 'prefetchInput', params: leasesOf },
                  ],
                },
              },
            },
            long: { on: { 'processor.run': { actions: { type: 'bounceLeases', params: leasesOf } } } },
          },
          on: {
            'worker.exited': {
              target: '#processor.restarting',
              actions: ['returnLease', 'clearLease', 'recordRestart', { type: 'reportWorkerExited', params: exitOf }],
            },
            'processor.revoke': {
              guard: 'isCurrentLease',
              target: 'next',
              actions: { type: 'revokeLease', params: tokenOf },
            },
            'processor.stop': { target: 'shuttingDown', actions: ['returnLease', 'clearLease', 'dropQueue'] },
          },
        },
        running: {
          entry: ['markRunStarted', 'sendRuns'],
          initial: 'brief',
          states: {
            brief: {
              after: { queueHold: { target: 'long', actions: 'bounceQueue' } },
              // Leases handed meanwhile are queued, and pipelined at once while runs are short.
              on: {
                'processor.run': {
                  actions: [
                    { type: 'queueLeases', params: leasesOf },
                    { type: 'prefetchInput', params: leasesOf },
                    'sendRuns',
                  ],
                },
              },
            },
            long: { on: { 'processor.run': { actions: { type: 'bounceLeases', params: leasesOf } } } },
          },
          after: {
            runTimeout: {
              guard: 'hasRunTimeout',
              target: '#processor.restarting',
              actions: ['reportTimeout', 'clearLease', 'recallAhead', 'recordRestart'],
            },
          },
          on: {
            'worker.results': {
              target: 'next',
              actions: { type: 'settleResults', params: ({ event }) => ({ results: event.results }) },
            },
            'worker.exited': {
              target: '#processor.restarting',
              actions: [{ type: 'reportCrash', params: exitOf }, 'clearLease', 'recallAhead', 'recordRestart'],
            },
            'processor.revoke': [
              {
                guard: 'isCurrentLease',
                target: '#processor.restarting',
                actions: ['logRevoked', { type: 'revokeLease', params: tokenOf }, 'recallAhead'],
              },
              { actions: { type: 'revokeLease', params: tokenOf } },
            ],
            'processor.stop': [
              {
                guard: 'killsRunningWork',
                target: '#processor.stopped',
                actions: ['releaseLease', 'clearLease', 'recallAhead', 'dropQueue'],
              },
              { actions: ['markStopRequested', 'dropQueue'] },
            ],
          },
        },
        shuttingDown: {
          entry: 'sendShutdown',
          after: { shutdownGrace: { target: '#processor.stopped' } },
          on: {
            'worker.shutdownDone': { target: '#processor.stopped' },
            'worker.exited': { target: '#processor.stopped' },
            'processor.stop': {},
          },
        },
      },
    },
    restarting: {
      entry: ['bounceQueue', 'forgetPace'],
      always: [
        { guard: 'isStopPending', target: 'stopped' },
        { guard: 'restartIntensityExceeded', target: 'escalated' },
      ],
      after: { restartBackoff: { target: 'alive' } },
      on: { 'processor.stop': { target: 'stopped' } },
    },
    escalated: {
      entry: 'reportEscalated',
      on: { 'processor.stop': { target: 'stopped' } },
    },
    invalid: {
      on: { 'processor.stop': { target: 'stopped' } },
    },
    stopped: {
      // Terminal but not final: the job stops this actor with itself, and meanwhile bounces leases.
      entry: 'reportStopped',
    },
  },
});
