/**
 * The processor machine: one worker child process per processor, supervised.
 *
 * alive                 invokes the worker actor; leaving `alive` SIGKILLs a worker still running
 *   starting            spawning.        worker.spawned → initializing
 *   initializing        `init` sent.     worker.ready → idle (READY)
 *                                        worker.initFailed → restarting (INIT_FAILED), or invalid when
 *                                        retrying cannot help (INVALID_ENTRY_SCRIPT)
 *                       (both)           worker.exited → restarting (INIT_FAILED); processor.stop → stopped
 *   idle                reports processor.idle (ready for leases).  processor.run → next
 *                                        worker.exited → restarting (WORKER_EXITED); processor.stop → shuttingDown
 *   next                (transient) → shuttingDown when a stop is pending; else the head of the run
 *                                        queue → loading (tabular, or a chaos hang-load for that
 *                                        attempt) | running (files); → idle when the queue is empty
 *   loading             reads a tabular lease's rows.  done → running; error → next (EXCEPTION result)
 *                       (brief / long as in running)
 *                                        after taskOverheadTimeout → next (TIMEOUT result, LoadTimeout):
 *                                        --task_overhead_timeout bounds loading + handing to run()
 *   running             `run` sent, and while runs are short the queue pipelined behind it (`ahead`).
 *                                        worker.results → next (so back-to-back leases re-enter running,
 *                                        restarting its runTimeout, in one macrostep; `next` goes back to
 *                                        running for a pipelined run before anything else, a stop too)
 *                                        after runTimeout → restarting (TIMEOUT result)
 *                                        worker.exited → restarting (WORKER_CRASHED result)
 *                                        processor.revoke (its lease) → restarting, no result
 *                                        processor.stop → stopped if it kills running work, else pending
 *     brief             leases handed meanwhile are queued.  after queueHold → long, the queue
 *                                        bounced to the job (nothing waits behind a run that long)
 *     long              leases handed meanwhile are bounced.
 *   shuttingDown        `shutdown` sent. worker.shutdownDone | worker.exited | after shutdownGrace → stopped
 * restarting            no worker.       after restartBackoff → alive; a pending stop → stopped;
 *                                        more than restart_intensity restarts in restart_period → escalated
 * escalated             gave up (ESCALATED).                 processor.stop → stopped
 * invalid               the entry script is unusable.       processor.stop → stopped
 * stopped               STOPPED; terminal (the actor ends with its job).
 *
 * Run queue: the job hands leases in bulk (`processor.run`, a few at a time); idle, loading and running
 * keep them in `queue` and run them one after another without asking the job. Results (and leases
 * ending without one) go to `input.sink` as plain calls (settle-feed.ts), so the job machine hears one
 * tally per event-loop turn rather than events per mini-batch. Queued leases are never lost: a
 * `processor.run` reaching a state that cannot take it, and the queue of a worker that crashed, timed
 * out or was killed, are bounced back to the job (processor.bounced); a revoked one is dropped;
 * `processor.returnQueued` (the node's stream broke) hands the queue back as RETURNED results; a stop
 * drops it (the job is leaving). Other than that, the machine talks to its job only through notices
 * sent to `input.parent`.
 *
 * The job queues leases on a processor only while runs are short (prefetch-tuner.ts processorQueueFor),
 * and a run outliving QUEUE_HOLD_MS hands the queue back, so a slow or hung mini-batch holds no other
 * lease hostage: the other processors take them. Runs already pipelined into the worker are the
 * exception, bounded by the pipeline budget: they wait for the run ahead of them, and when its worker
 * is killed (timeout) or dies, they go back to the job unrun (never counted as failed attempts).
 *
 * Which run failed is known by order, not by asking the worker: both workers run their frames one at
 * a time and write each result before reading the next run, so a worker that dies or hangs is in the
 * first run without a result (`current`).
 */
import type { Logger } from 'pino';
import { type AnyActorRef, assertEvent, assign, enqueueActions, fromPromise, sendTo, setup } from 'xstate';

import { type ChaosPlan, faultFor, loadFaultFor } from '../../chaos/model.js';
import {
  type BatchResult,
  type Lease,
  type ProcessorEvent as WireProcessorEvent,
  ProcessorEventKind,
} from '../../gen/parajob/v1/parajob.js';
import { processName as processNameOf } from '../../log/layout.js';
import { encodeRunFrame, type HostMessage, type RunMessage } from '../../worker/protocol.js';
import { type JobSettings, MAX_RESTART_BACKOFF_MS } from '../job/job-settings.js';
import { type LoadedTable, partitionKeyValueOf, type ReadTableBatch } from '../tabular/table-batches.js';
import {
  crashResult,
  describeExit,
  describeInitError,
  type HeldLease,
  inputErrorResult,
  loadTimeoutResult,
  returnedResult,
  type RunFacts,
  timeoutResult,
  workerResult,
} from './batch-results.js';
import { SHORT_RUN_MS } from './prefetch-tuner.js';
import type { ProcessorSink } from './settle-feed.js';
import { workerActor, type WorkerActorEvent } from './worker-actor.js';
import { initMessage, type WorkerIdentity, workerLaunch } from './worker-launch.js';

/**
 * What a processor tells its job (besides results, which go to `input.sink`). `index` is the
 * processor index. `processor.idle`: ready for leases (its run queue is empty). `processor.bounced`:
 * leases it cannot run (never started), for the job to queue again.
 */
export type ProcessorNotice =
  | { readonly type: 'processor.idle'; readonly index: number }
  | { readonly type: 'processor.bounced'; readonly index: number; readonly leases: readonly HeldLease[] }
  | { readonly type: 'processor.event'; readonly index: number; readonly event: WireProcessorEvent };

/** What a job tells a processor. */
export type ProcessorCommand =
  /** Leases to run, in order, after those already queued. */
  | { readonly type: 'processor.run'; readonly leases: readonly HeldLease[] }
  /** Drop lease `token` if queued, or kill the worker running it (no result either way). */
  | { readonly type: 'processor.revoke'; readonly token: number }
  /** The node's stream broke: hand queued (not running) leases back as RETURNED results. */
  | { readonly type: 'processor.returnQueued' }
  /** Stop after the current run (killRunning false) or kill it (true); then shutdown() and STOPPED. */
  | { readonly type: 'processor.stop'; readonly killRunning: boolean };

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
  readonly readTableBatch: ReadTableBatch;
}

interface CurrentRun {
  readonly held: HeldLease;
  readonly startedAtMs: number;
  /** A tabular lease's rows, read by `loading`. */
  readonly table?: LoadedTable;
  /** Its `run` frame is already with the worker (it was pipelined while the previous run went on). */
  readonly sent?: boolean;
  /** The coordinator withdrew it after it was sent: whatever comes of it is dropped, not reported. */
  readonly revoked?: boolean;
}

/** A lease whose `run` frame went to the worker behind the current one (pipelined), not started yet. */
interface AheadRun {
  readonly held: HeldLease;
  readonly revoked: boolean;
}

interface ProcessorContext {
  readonly index: number;
  readonly who: WorkerIdentity;
  readonly settings: JobSettings;
  readonly logger: Logger;
  readonly parent: AnyActorRef;
  readonly sink: ProcessorSink;
  readonly readTableBatch: ReadTableBatch;
  /** The live worker's pid, 0 before the first spawn. */
  readonly pid: number;
  readonly current: CurrentRun | undefined;
  /**
   * Runs sent to the worker behind `current`, in order (pipelining, see sendRuns). The worker
   * runs its frames one after another and writes each result before starting the next, so when it
   * dies or is killed, `current` is the run it was in and these never started.
   */
  readonly ahead: readonly AheadRun[];
  /** Leases handed by the job and not started yet, in order. */
  readonly queue: readonly HeldLease[];
  /** The last run of this worker took less than SHORT_RUN_MS: the next ones may be pipelined. */
  readonly lastRunShort: boolean;
  readonly stopRequested: boolean;
  /** Init failures since the last successful init: the exponent of the restart backoff. */
  readonly consecutiveInitFailures: number;
  /** Date.now() of recent restarts, pruned to restart_period. */
  readonly restartTimesMs: readonly number[];
}

type ProcessorMachineEvent = ProcessorCommand | WorkerActorEvent;

/**
 * How long a run may go on before the leases queued behind it go back to the job (ms): far beyond
 * the short runs that get a run queue (SHORT_RUN_MS), well below anything a user would notice.
 */
export const QUEUE_HOLD_MS = 50;

/** setTimeout's largest delay; used as "never" for a run without a timeout. */
const NEVER_MS = 2_147_483_647;

/** Who runs the current lease, for its BatchResult. */
function runFacts(context: ProcessorContext): RunFacts {
  return {
    processName: context.who.processName,
    pid: context.pid,
    startedAtMs: context.current?.startedAtMs ?? Date.now(),
  };
}

function wireEvent(
  context: ProcessorContext,
  kind: ProcessorEventKind,
  message = '',
  exit?: { code: number | null; signal: string | null },
): WireProcessorEvent {
  return {
    jobId: context.settings.jobId,
    processName: context.who.processName,
    kind,
    message,
    pid: context.pid,
    exitCode: exit?.code ?? 0,
    signal: exit?.signal ?? '',
  };
}

/** The `run` frame of a lease: a message, or with a tabular lease's rows spliced in already encoded. */
function runFrame(
  run: { readonly held: HeldLease; readonly table?: LoadedTable | undefined },
  chaos: ChaosPlan,
): RunMessage | Uint8Array {
  const message = runMessage(run.held, chaos);
  return run.table === undefined ? message : encodeRunFrame(message, run.table.json);
}

function runMessage(held: HeldLease, chaos: ChaosPlan): RunMessage {
  const { lease } = held;
  let partitionKeyValue: Readonly<Record<string, unknown>> | undefined;
  try {
    partitionKeyValue = partitionKeyValueOf(lease);
  } catch {
    // A malformed key travels as none; the script sees an undefined partitionKeyValue.
  }
  const fault = chaos.faults.length === 0 ? undefined : faultFor(chaos, lease.miniBatchId, lease.attempt);
  return {
    type: 'run',
    miniBatchId: lease.miniBatchId,
    attempt: lease.attempt,
    ...(lease.ranges.length === 0 ? { files: lease.files } : {}),
    ...(partitionKeyValue === undefined ? {} : { partitionKeyValue }),
    ...(fault === undefined ? {} : { fault }),
  };
}

/** A lease whose input the node reads before run() (tabular rows, or a chaos hang-load): never pipelined. */
function needsLoading(settings: JobSettings, held: HeldLease): boolean {
  return (
    settings.inputKind === 'tabular' ||
    loadFaultFor(settings.chaos, held.lease.miniBatchId, held.lease.attempt) !== undefined
  );
}

/**
 * The run the worker turns to after the current one: the first pipelined one, timed from now (its
 * result may be in the same read as the one before it, so it needs its start before `running` is
 * entered again).
 */
function advance(ahead: readonly AheadRun[]): {
  readonly current: CurrentRun | undefined;
  readonly ahead: readonly AheadRun[];
} {
  const next = ahead[0];
  if (next === undefined) return { current: undefined, ahead };
  return {
    current: { held: next.held, startedAtMs: Date.now(), sent: true, revoked: next.revoked },
    ahead: ahead.slice(1),
  };
}

/**
 * A tabular attempt that timed out or crashed still read its rows: report them as its total, so that
 * rows the coordinator did not know at cut time (a size cut) count as failed items.
 */
function withTableRows(result: BatchResult, current: CurrentRun): BatchResult {
  return current.table === undefined ? result : { ...result, total: current.table.rowCount };
}

/**
 * The `brief` / `long` substates shared by `loading` and `running`: leases handed during the first
 * QUEUE_HOLD_MS of a lease are queued; after that the queue is bounced and later ones are too.
 */
const QUEUE_HOLD_STATES = {
  brief: {
    after: { queueHold: { target: 'long', actions: 'bounceQueue' } },
    on: { 'processor.run': { actions: 'queueLeases' } },
  },
  long: {
    on: { 'processor.run': { actions: 'bounceLeases' } },
  },
} as const;

/** The processor machine; see the module comment for its states. */
export const processorMachine = setup({
  types: {
    context: {} as ProcessorContext,
    events: {} as ProcessorMachineEvent,
    input: {} as ProcessorInput,
  },
  actors: {
    workerProcess: workerActor,
    /**
     * Loads a lease's input before run(): a tabular lease's rows (undefined for file input, whose
     * worker reads the files itself). A chaos `hang-load` never finishes, until the state is left.
     */
    loadTable: fromPromise<
      LoadedTable | undefined,
      {
        readonly read: ReadTableBatch;
        readonly reader: unknown;
        readonly lease: Lease;
        readonly tabular: boolean;
        readonly hang: boolean;
      }
    >(({ input, signal }) => {
      if (input.hang)
        return new Promise<never>((_, reject) =>
          signal.addEventListener('abort', () => reject(new Error('chaos: hang-load aborted'))),
        );
      // Leaving `loading` (task_overhead_timeout, a revoke, a stop) aborts the read: its thread is freed.
      return input.tabular ? input.read(input.reader, input.lease, signal) : Promise.resolve(undefined);
    }),
  },
  actions: {
    rememberPid: assign({
      pid: ({ event, context }) =>
        event.type === 'worker.spawned' || event.type === 'worker.ready' ? event.pid : context.pid,
    }),
    reportReady: enqueueActions(({ context, enqueue }) => {
      context.logger.info({ pid: context.pid }, 'worker ready');
      enqueue.sendTo(context.parent, {
        type: 'processor.event',
        index: context.index,
        event: wireEvent(context, ProcessorEventKind.PROCESSOR_EVENT_KIND_READY),
      });
    }),
    resetInitFailures: assign({ consecutiveInitFailures: 0 }),
    countInitFailure: assign({ consecutiveInitFailures: ({ context }) => context.consecutiveInitFailures + 1 }),
    reportInitFailed: enqueueActions(({ context, event, enqueue }) => {
      let message: string;
      let exit: { code: number | null; signal: string | null } | undefined;
      if (event.type === 'worker.initFailed') {
        message = describeInitError(event.error, context.settings.entryScript);
      } else {
        assertEvent(event, 'worker.exited');
        message = `init() did not complete: ${describeExit(event.exit)}`;
        exit = event.exit;
      }
      context.logger.warn({ pid: context.pid, error: message }, 'worker init failed');
      enqueue.sendTo(context.parent, {
        type: 'processor.event',
        index: context.index,
        event: wireEvent(context, ProcessorEventKind.PROCESSOR_EVENT_KIND_INIT_FAILED, message, exit),
      });
    }),
    reportInvalidEntryScript: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'worker.initFailed');
      const message = describeInitError(event.error, context.settings.entryScript);
      context.logger.error({ error: message }, 'entry script is invalid');
      enqueue.sendTo(context.parent, {
        type: 'processor.event',
        index: context.index,
        event: wireEvent(context, ProcessorEventKind.PROCESSOR_EVENT_KIND_INVALID_ENTRY_SCRIPT, message),
      });
    }),
    reportWorkerExited: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'worker.exited');
      const message = describeExit(event.exit);
      context.logger.warn({ pid: context.pid, error: message }, 'idle worker exited');
      enqueue.sendTo(context.parent, {
        type: 'processor.event',
        index: context.index,
        event: wireEvent(context, ProcessorEventKind.PROCESSOR_EVENT_KIND_WORKER_EXITED, message, event.exit),
      });
    }),
    recordRestart: assign({
      restartTimesMs: ({ context }) => {
        const now = Date.now();
        return [...context.restartTimesMs.filter((at) => now - at < context.settings.restartPeriodMs), now];
      },
    }),
    reportIdle: sendTo(
      ({ context }) => context.parent,
      ({ context }) => ({ type: 'processor.idle', index: context.index }),
    ),
    bounceLeases: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'processor.run');
      enqueue.sendTo(context.parent, { type: 'processor.bounced', index: context.index, leases: event.leases });
    }),
    keepTable: assign({
      current: ({ context }, params: { readonly table: LoadedTable | undefined }) =>
        context.current === undefined ? undefined : { ...context.current, table: params.table },
    }),
    markRunStarted: assign({
      current: ({ context }) =>
        context.current === undefined ? undefined : { ...context.current, startedAtMs: Date.now() },
    }),
    /**
     * Sends the current run unless it was pipelined, then, while this worker's runs are short, every
     * queued lease behind it, all in one write: the worker finds its next run already read instead of
     * waiting a round trip through the node, and many runs cost one write and one wake-up. A run sent
     * ahead cannot be taken back from a busy worker (only killed with it), so the job hands a processor
     * only as many as fit in a small budget of measured run time (prefetch-tuner.ts
     * processorQueueFor), and nothing more is sent behind a run that took long.
     */
    sendRuns: enqueueActions(({ context, enqueue }) => {
      const messages: (HostMessage | Uint8Array)[] = [];
      const current = context.current as CurrentRun;
      if (current.sent !== true) messages.push(runFrame(current, context.settings.chaos));
      let taken = 0;
      const ahead: AheadRun[] = [];
      // Nothing new goes to a worker that is to stop after what it has.
      if (context.lastRunShort && !context.stopRequested) {
        while (taken < context.queue.length) {
          const held = context.queue[taken] as HeldLease;
          if (needsLoading(context.settings, held)) break;
          messages.push(runMessage(held, context.settings.chaos));
          ahead.push({ held, revoked: false });
          taken++;
        }
      }
      if (messages.length === 0) return;
      enqueue.sendTo('worker', { type: 'worker.send', messages });
      enqueue.assign({
        current: current.sent === true ? current : { ...current, sent: true },
        ...(taken === 0 ? {} : { ahead: [...context.ahead, ...ahead], queue: context.queue.slice(taken) }),
      });
    }),
    /**
     * Reports the worker's results, in order: each is the current run's; the first pipelined run
     * becomes current after it. A result that is not the current run's breaks the protocol and is
     * dropped (logged).
     */
    settleResults: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'worker.results');
      let state: { readonly current: CurrentRun | undefined; readonly ahead: readonly AheadRun[] } = {
        current: context.current,
        ahead: context.ahead,
      };
      let lastRunMs: number | undefined;
      for (const message of event.results) {
        const current = state.current;
        if (
          current === undefined ||
          current.held.lease.miniBatchId !== message.miniBatchId ||
          current.held.lease.attempt !== message.attempt
        ) {
          context.logger.error(
            { miniBatchId: message.miniBatchId, attempt: message.attempt, expected: current?.held.lease.miniBatchId },
            'worker sent a result for a run it was not running; dropped',
          );
          continue;
        }
        lastRunMs = message.runMs;
        if (current.revoked === true) {
          context.sink.released(context.index, 1);
        } else {
          const result = workerResult(
            current.held,
            { processName: context.who.processName, pid: context.pid, startedAtMs: current.startedAtMs },
            message,
          );
          if (context.logger.isLevelEnabled('debug')) {
            context.logger.debug(
              {
                miniBatchId: result.miniBatchId,
                attempt: result.attempt,
                succeeded: result.succeeded,
                runMs: result.runMs,
              },
              'mini-batch done',
            );
          }
          context.sink.result(context.index, result, message.runMs);
        }
        state = advance(state.ahead);
      }
      enqueue.assign({ ...state, ...(lastRunMs === undefined ? {} : { lastRunShort: lastRunMs < SHORT_RUN_MS }) });
    }),
    /**
     * The worker is gone (killed or dead) with runs sent ahead of it: they never started, so they go
     * back to the front of the run queue (bounced or dropped with it); revoked ones end here.
     */
    recallAhead: enqueueActions(({ context, enqueue }) => {
      if (context.ahead.length === 0) return;
      const kept = context.ahead.filter((run) => !run.revoked).map((run) => run.held);
      context.sink.released(context.index, context.ahead.length - kept.length);
      enqueue.assign({ ahead: [], queue: [...kept, ...context.queue], lastRunShort: false });
    }),
    markAheadRevoked: assign({
      ahead: ({ context, event }) => {
        assertEvent(event, 'processor.revoke');
        return context.ahead.map((run) => (run.held.lease.token === event.token ? { ...run, revoked: true } : run));
      },
    }),
    reportTimeout: ({ context }) => {
      const current = context.current as CurrentRun;
      if (current.revoked === true) return context.sink.released(context.index, 1);
      const { miniBatchId, attempt } = current.held.lease;
      context.logger.warn(
        { miniBatchId, attempt, timeoutMs: context.settings.runTimeoutMs, pid: context.pid },
        'run() timed out; killing its worker',
      );
      const result = withTableRows(
        timeoutResult(current.held, runFacts(context), context.settings.runTimeoutMs),
        current,
      );
      context.sink.result(context.index, result);
    },
    reportCrash: ({ context, event }) => {
      assertEvent(event, 'worker.exited');
      const current = context.current as CurrentRun;
      if (current.revoked === true) return context.sink.released(context.index, 1);
      const result = withTableRows(crashResult(current.held, runFacts(context), event.exit), current);
      context.logger.warn(
        { miniBatchId: result.miniBatchId, attempt: result.attempt, pid: context.pid, error: result.errorMessage },
        'worker died during run()',
      );
      context.sink.result(context.index, result);
    },
    reportLoadTimeout: ({ context }) => {
      const current = context.current as CurrentRun;
      const { miniBatchId, attempt } = current.held.lease;
      const timeoutMs = context.settings.taskOverheadTimeoutMs;
      context.logger.warn({ miniBatchId, attempt, timeoutMs }, 'mini-batch not loaded within task_overhead_timeout');
      context.sink.result(context.index, loadTimeoutResult(current.held, runFacts(context), timeoutMs));
    },
    reportLoadFailed: ({ context }, params: { readonly error: unknown }) => {
      const current = context.current as CurrentRun;
      context.logger.warn(
        { miniBatchId: current.held.lease.miniBatchId, error: String(params.error) },
        'cannot read the rows of a mini-batch',
      );
      context.sink.result(context.index, inputErrorResult(current.held, runFacts(context), params.error));
    },
    returnLease: ({ context }) => {
      if (context.current === undefined) return;
      context.sink.result(context.index, returnedResult(context.current.held, runFacts(context), 'processor stopping'));
    },
    /** The current lease ends without a result (revoked, or killed by a stop). */
    releaseLease: ({ context }) => {
      if (context.current !== undefined) context.sink.released(context.index, 1);
    },
    queueLeases: assign({
      queue: ({ context, event }) => {
        assertEvent(event, 'processor.run');
        return context.queue.length === 0 ? event.leases : [...context.queue, ...event.leases];
      },
    }),
    takeNextLease: assign(({ context }) => ({
      current: { held: context.queue[0] as HeldLease, startedAtMs: Date.now() },
      queue: context.queue.slice(1),
    })),
    /** A stop drops the run queue: the job is leaving, and the coordinator re-queues its leases. */
    dropQueue: enqueueActions(({ context, enqueue }) => {
      if (context.queue.length === 0) return;
      context.sink.released(context.index, context.queue.length);
      enqueue.assign({ queue: [] });
    }),
    dropRevokedLease: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'processor.revoke');
      const queue = context.queue.filter((held) => held.lease.token !== event.token);
      context.sink.released(context.index, context.queue.length - queue.length);
      enqueue.assign({ queue });
    }),
    /**
     * Queued leases go back to the job (to run elsewhere, or here once idle again): the worker is gone,
     * or its current run is too long to wait behind.
     */
    bounceQueue: enqueueActions(({ context, enqueue }) => {
      if (context.queue.length === 0) return;
      enqueue.sendTo(context.parent, { type: 'processor.bounced', index: context.index, leases: context.queue });
      enqueue.assign({ queue: [] });
    }),
    returnQueue: enqueueActions(({ context, enqueue }) => {
      if (context.queue.length === 0) return;
      for (const held of context.queue)
        context.sink.result(context.index, returnedResult(held, runFacts(context), 'node reconnected'));
      enqueue.assign({ queue: [] });
    }),
    logRevoked: ({ context }) => {
      const lease = context.current?.held.lease;
      context.logger.info(
        { miniBatchId: lease?.miniBatchId, attempt: lease?.attempt },
        'lease revoked; killing its worker',
      );
    },
    clearLease: assign({ current: undefined }),
    markStopRequested: assign({ stopRequested: true }),
    sendShutdown: sendTo('worker', { type: 'worker.send', messages: [{ type: 'shutdown' }] }),
    reportEscalated: enqueueActions(({ context, enqueue }) => {
      const message = `more than ${context.settings.restartIntensity} worker restarts within ${context.settings.restartPeriodMs} ms`;
      context.logger.error({ restarts: context.restartTimesMs.length }, 'processor escalated');
      enqueue.sendTo(context.parent, {
        type: 'processor.event',
        index: context.index,
        event: wireEvent(context, ProcessorEventKind.PROCESSOR_EVENT_KIND_ESCALATED, message),
      });
    }),
    reportStopped: enqueueActions(({ context, enqueue }) => {
      context.logger.info('processor stopped');
      enqueue.sendTo(context.parent, {
        type: 'processor.event',
        index: context.index,
        event: wireEvent(context, ProcessorEventKind.PROCESSOR_EVENT_KIND_STOPPED),
      });
    }),
  },
  guards: {
    isInvalidEntryScript: ({ event }) => event.type === 'worker.initFailed' && event.invalidEntryScript,
    /** Tabular input (rows to read), or a chaos hang-load for this attempt. */
    hasQueuedLease: ({ context }) => context.queue.length > 0,
    /** A pipelined run became current: the worker is already on it. */
    hasPipelinedRun: ({ context }) => context.current !== undefined,
    isAheadLease: ({ context, event }) =>
      event.type === 'processor.revoke' && context.ahead.some((run) => run.held.lease.token === event.token),
    nextNeedsLoading: ({ context }) => {
      const next = context.queue[0];
      return next !== undefined && needsLoading(context.settings, next);
    },
    isQueuedLease: ({ context, event }) =>
      event.type === 'processor.revoke' && context.queue.some((held) => held.lease.token === event.token),
    hasTaskOverheadTimeout: ({ context }) => context.settings.taskOverheadTimeoutMs > 0,
    isStopPending: ({ context }) => context.stopRequested,
    killsRunningWork: ({ event }) => event.type === 'processor.stop' && event.killRunning,
    isCurrentLease: ({ context, event }) =>
      event.type === 'processor.revoke' && context.current?.held.lease.token === event.token,
    hasRunTimeout: ({ context }) => context.settings.runTimeoutMs > 0,
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
}).createMachine({
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
      readTableBatch: input.readTableBatch,
      pid: 0,
      current: undefined,
      ahead: [],
      queue: [],
      lastRunShort: false,
      stopRequested: false,
      consecutiveInitFailures: 0,
      restartTimesMs: [],
    };
  },
  initial: 'alive',
  on: {
    'processor.run': { actions: 'bounceLeases' },
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
        'worker.exited': { target: 'restarting', actions: ['countInitFailure', 'recordRestart', 'reportInitFailed'] },
        'processor.stop': { target: 'stopped' },
        'processor.revoke': { guard: 'isQueuedLease', actions: 'dropRevokedLease' },
        'processor.returnQueued': { actions: 'returnQueue' },
      },
      states: {
        starting: {
          on: { 'worker.spawned': { target: 'initializing', actions: 'rememberPid' } },
        },
        initializing: {
          on: {
            'worker.ready': { target: 'idle', actions: ['rememberPid', 'resetInitFailures', 'reportReady'] },
            'worker.initFailed': [
              { guard: 'isInvalidEntryScript', target: '#processor.invalid', actions: 'reportInvalidEntryScript' },
              { target: '#processor.restarting', actions: ['countInitFailure', 'recordRestart', 'reportInitFailed'] },
            ],
          },
        },
        idle: {
          entry: 'reportIdle',
          on: {
            'processor.run': { target: 'next', actions: 'queueLeases' },
            'worker.exited': { target: '#processor.restarting', actions: ['recordRestart', 'reportWorkerExited'] },
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
            id: 'loadTable',
            src: 'loadTable',
            input: ({ context }) => {
              const { lease } = (context.current as CurrentRun).held;
              return {
                read: context.readTableBatch,
                reader: context.settings.tabularReader,
                lease,
                tabular: context.settings.inputKind === 'tabular',
                hang: loadFaultFor(context.settings.chaos, lease.miniBatchId, lease.attempt) !== undefined,
              };
            },
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
          states: QUEUE_HOLD_STATES,
          on: {
            'worker.exited': {
              target: '#processor.restarting',
              actions: ['returnLease', 'clearLease', 'recordRestart', 'reportWorkerExited'],
            },
            'processor.revoke': { guard: 'isCurrentLease', target: 'next', actions: ['releaseLease', 'clearLease'] },
            'processor.stop': { target: 'shuttingDown', actions: ['returnLease', 'clearLease', 'dropQueue'] },
          },
        },
        running: {
          // Entered afresh for every run (a pipelined one too), so its timeout counts from its start.
          entry: ['markRunStarted', 'sendRuns'],
          initial: 'brief',
          states: {
            brief: {
              after: { queueHold: { target: 'long', actions: 'bounceQueue' } },
              // Leases handed meanwhile are queued, and pipelined at once while runs are short.
              on: { 'processor.run': { actions: ['queueLeases', 'sendRuns'] } },
            },
            long: QUEUE_HOLD_STATES.long,
          },
          after: {
            runTimeout: {
              guard: 'hasRunTimeout',
              target: '#processor.restarting',
              actions: ['reportTimeout', 'clearLease', 'recallAhead', 'recordRestart'],
            },
          },
          on: {
            'worker.results': { target: 'next', actions: 'settleResults' },
            'worker.exited': {
              target: '#processor.restarting',
              actions: ['reportCrash', 'clearLease', 'recallAhead', 'recordRestart'],
            },
            'processor.revoke': [
              {
                guard: 'isCurrentLease',
                target: '#processor.restarting',
                actions: ['logRevoked', 'releaseLease', 'clearLease', 'recallAhead'],
              },
              { guard: 'isAheadLease', actions: 'markAheadRevoked' },
              { guard: 'isQueuedLease', actions: 'dropRevokedLease' },
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
      // The next worker's pace is unknown until it has run something.
      entry: ['bounceQueue', assign({ lastRunShort: false })],
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
