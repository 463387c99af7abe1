/**
 * The processor machine: one worker child process per processor, supervised.
 *
 * alive                 invokes the worker actor; leaving `alive` SIGKILLs a worker still running
 *   starting            spawning.        worker.spawned → initializing
 *   initializing        `init` sent.     worker.ready → idle (READY)
 *                                        worker.initFailed → restarting (INIT_FAILED), or invalid when
 *                                        retrying cannot help (INVALID_ENTRY_SCRIPT)
 *                       (both)           worker.exited → restarting (INIT_FAILED); processor.stop → stopped
 *   idle                reports processor.idle.  processor.run → running (files) | loading (tabular, or
 *                                        a chaos hang-load for that attempt)
 *                                        worker.exited → restarting (WORKER_EXITED); processor.stop → shuttingDown
 *   loading             reads a tabular lease's rows.  done → running; error → idle (EXCEPTION result)
 *                                        after taskOverheadTimeout → idle (TIMEOUT result, LoadTimeout):
 *                                        --task_overhead_timeout bounds loading + handing to run()
 *   running             `run` sent.      worker.result → idle, or shuttingDown when a stop is pending
 *                                        after runTimeout → restarting (TIMEOUT result)
 *                                        worker.exited → restarting (WORKER_CRASHED result)
 *                                        processor.revoke (its lease) → restarting, no result
 *                                        processor.stop → stopped if it kills running work, else pending
 *   shuttingDown        `shutdown` sent. worker.shutdownDone | worker.exited | after shutdownGrace → stopped
 * restarting            no worker.       after restartBackoff → alive; a pending stop → stopped;
 *                                        more than restart_intensity restarts in restart_period → escalated
 * escalated             gave up (ESCALATED).                 processor.stop → stopped
 * invalid               the entry script is unusable.       processor.stop → stopped
 * stopped               STOPPED; terminal (the actor ends with its job).
 *
 * A `processor.run` that reaches any state but idle is bounced back to the job (processor.bounced),
 * so a lease is never lost to a processor that just crashed. The machine talks to its job only
 * through notices sent to `input.parent`.
 */
import type { Logger } from 'pino';
import { assertEvent, assign, enqueueActions, fromPromise, sendTo, setup, type AnyActorRef } from 'xstate';
import { ProcessorEventKind, type BatchResult, type Lease, type ProcessorEvent as WireProcessorEvent } from '../gen/parajob/v1/parajob.js';
import { faultFor, loadFaultFor, type ChaosPlan } from '../chaos/model.js';
import { processName as processNameOf } from '../log/layout.js';
import type { RunMessage, TableBatch } from '../worker/protocol.js';
import {
  crashResult,
  describeExit,
  describeInitError,
  inputErrorResult,
  loadTimeoutResult,
  returnedResult,
  timeoutResult,
  workerResult,
  type HeldLease,
  type RunFacts,
} from './batch-results.js';
import { MAX_RESTART_BACKOFF_MS, type JobSettings } from './job-settings.js';
import { partitionKeyValueOf, type ReadTableBatch } from './table-batches.js';
import { workerActor, type WorkerActorEvent } from './worker-actor.js';
import { initMessage, workerLaunch, type WorkerIdentity } from './worker-launch.js';

/** What a processor tells its job. `index` is the processor index. */
export type ProcessorNotice =
  | { readonly type: 'processor.idle'; readonly index: number }
  | { readonly type: 'processor.bounced'; readonly index: number; readonly held: HeldLease }
  | { readonly type: 'processor.result'; readonly index: number; readonly result: BatchResult }
  | { readonly type: 'processor.event'; readonly index: number; readonly event: WireProcessorEvent };

/** What a job tells a processor. */
export type ProcessorCommand =
  | { readonly type: 'processor.run'; readonly held: HeldLease }
  | { readonly type: 'processor.revoke'; readonly token: number }
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
  readonly readTableBatch: ReadTableBatch;
}

interface CurrentRun {
  readonly held: HeldLease;
  readonly startedAtMs: number;
  readonly table?: TableBatch;
}

interface ProcessorContext {
  readonly index: number;
  readonly who: WorkerIdentity;
  readonly settings: JobSettings;
  readonly logger: Logger;
  readonly parent: AnyActorRef;
  readonly readTableBatch: ReadTableBatch;
  /** The live worker's pid, 0 before the first spawn. */
  readonly pid: number;
  readonly current: CurrentRun | undefined;
  readonly stopRequested: boolean;
  /** Init failures since the last successful init: the exponent of the restart backoff. */
  readonly consecutiveInitFailures: number;
  /** Date.now() of recent restarts, pruned to restart_period. */
  readonly restartTimesMs: readonly number[];
}

type ProcessorMachineEvent = ProcessorCommand | WorkerActorEvent;

/** setTimeout's largest delay; used as "never" for a run without a timeout. */
const NEVER_MS = 2_147_483_647;

/** Who runs the current lease, for its BatchResult. */
function runFacts(context: ProcessorContext): RunFacts {
  return { processName: context.who.processName, pid: context.pid, startedAtMs: context.current?.startedAtMs ?? Date.now() };
}

function wireEvent(context: ProcessorContext, kind: ProcessorEventKind, message = '', exit?: { code: number | null; signal: string | null }): WireProcessorEvent {
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

function runMessage(current: CurrentRun, chaos: ChaosPlan): RunMessage {
  const { lease } = current.held;
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
    ...(current.table === undefined ? { files: lease.files } : { table: current.table }),
    ...(partitionKeyValue === undefined ? {} : { partitionKeyValue }),
    ...(fault === undefined ? {} : { fault }),
  };
}

/**
 * A tabular attempt that timed out or crashed still read its rows: report them as its total, so that
 * rows the coordinator did not know at cut time (a size cut) count as failed items.
 */
function withTableRows(result: BatchResult, current: CurrentRun): BatchResult {
  return current.table === undefined ? result : { ...result, total: current.table.rows.length };
}

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
    loadTable: fromPromise<TableBatch | undefined, { readonly read: ReadTableBatch; readonly reader: unknown; readonly lease: Lease; readonly tabular: boolean; readonly hang: boolean }>(
      ({ input, signal }) => {
        if (input.hang) return new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('chaos: hang-load aborted'))));
        return input.tabular ? input.read(input.reader, input.lease) : Promise.resolve(undefined);
      },
    ),
  },
  actions: {
    rememberPid: assign({
      pid: ({ event, context }) => (event.type === 'worker.spawned' || event.type === 'worker.ready' ? event.pid : context.pid),
    }),
    reportReady: enqueueActions(({ context, enqueue }) => {
      context.logger.info({ pid: context.pid }, 'worker ready');
      enqueue.sendTo(context.parent, { type: 'processor.event', index: context.index, event: wireEvent(context, ProcessorEventKind.PROCESSOR_EVENT_KIND_READY) });
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
    reportIdle: sendTo(({ context }) => context.parent, ({ context }) => ({ type: 'processor.idle', index: context.index })),
    takeLease: assign({
      current: ({ event }) => {
        assertEvent(event, 'processor.run');
        return { held: event.held, startedAtMs: Date.now() };
      },
    }),
    bounceLease: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'processor.run');
      enqueue.sendTo(context.parent, { type: 'processor.bounced', index: context.index, held: event.held });
    }),
    keepTable: assign({
      current: ({ context }, params: { readonly table: TableBatch | undefined }) =>
        context.current === undefined ? undefined : { ...context.current, table: params.table },
    }),
    markRunStarted: assign({
      current: ({ context }) => (context.current === undefined ? undefined : { ...context.current, startedAtMs: Date.now() }),
    }),
    sendRun: sendTo('worker', ({ context }) => ({ type: 'worker.send', message: runMessage(context.current as CurrentRun, context.settings.chaos) })),
    reportResult: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'worker.result');
      const current = context.current as CurrentRun;
      const result = workerResult(current.held, runFacts(context), event.result);
      if (context.logger.isLevelEnabled('debug')) {
        context.logger.debug({ miniBatchId: result.miniBatchId, attempt: result.attempt, succeeded: result.succeeded, runMs: result.runMs }, 'mini-batch done');
      }
      enqueue.sendTo(context.parent, { type: 'processor.result', index: context.index, result });
    }),
    reportTimeout: enqueueActions(({ context, enqueue }) => {
      const current = context.current as CurrentRun;
      const { miniBatchId, attempt } = current.held.lease;
      context.logger.warn({ miniBatchId, attempt, timeoutMs: context.settings.runTimeoutMs, pid: context.pid }, 'run() timed out; killing its worker');
      const result = withTableRows(timeoutResult(current.held, runFacts(context), context.settings.runTimeoutMs), current);
      enqueue.sendTo(context.parent, { type: 'processor.result', index: context.index, result });
    }),
    reportCrash: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'worker.exited');
      const current = context.current as CurrentRun;
      const result = withTableRows(crashResult(current.held, runFacts(context), event.exit), current);
      context.logger.warn({ miniBatchId: result.miniBatchId, attempt: result.attempt, pid: context.pid, error: result.errorMessage }, 'worker died during run()');
      enqueue.sendTo(context.parent, { type: 'processor.result', index: context.index, result });
    }),
    reportLoadTimeout: enqueueActions(({ context, enqueue }) => {
      const current = context.current as CurrentRun;
      const { miniBatchId, attempt } = current.held.lease;
      const timeoutMs = context.settings.taskOverheadTimeoutMs;
      context.logger.warn({ miniBatchId, attempt, timeoutMs }, 'mini-batch not loaded within task_overhead_timeout');
      enqueue.sendTo(context.parent, { type: 'processor.result', index: context.index, result: loadTimeoutResult(current.held, runFacts(context), timeoutMs) });
    }),
    reportLoadFailed: enqueueActions(({ context, enqueue }, params: { readonly error: unknown }) => {
      const current = context.current as CurrentRun;
      context.logger.warn({ miniBatchId: current.held.lease.miniBatchId, error: String(params.error) }, 'cannot read the rows of a mini-batch');
      enqueue.sendTo(context.parent, { type: 'processor.result', index: context.index, result: inputErrorResult(current.held, runFacts(context), params.error) });
    }),
    returnLease: enqueueActions(({ context, enqueue }) => {
      if (context.current === undefined) return;
      enqueue.sendTo(context.parent, { type: 'processor.result', index: context.index, result: returnedResult(context.current.held, runFacts(context), 'processor stopping') });
    }),
    logRevoked: ({ context }) => {
      const lease = context.current?.held.lease;
      context.logger.info({ miniBatchId: lease?.miniBatchId, attempt: lease?.attempt }, 'lease revoked; killing its worker');
    },
    clearLease: assign({ current: undefined }),
    markStopRequested: assign({ stopRequested: true }),
    sendShutdown: sendTo('worker', { type: 'worker.send', message: { type: 'shutdown' } }),
    reportEscalated: enqueueActions(({ context, enqueue }) => {
      const message = `more than ${context.settings.restartIntensity} worker restarts within ${context.settings.restartPeriodMs} ms`;
      context.logger.error({ restarts: context.restartTimesMs.length }, 'processor escalated');
      enqueue.sendTo(context.parent, { type: 'processor.event', index: context.index, event: wireEvent(context, ProcessorEventKind.PROCESSOR_EVENT_KIND_ESCALATED, message) });
    }),
    reportStopped: enqueueActions(({ context, enqueue }) => {
      context.logger.info('processor stopped');
      enqueue.sendTo(context.parent, { type: 'processor.event', index: context.index, event: wireEvent(context, ProcessorEventKind.PROCESSOR_EVENT_KIND_STOPPED) });
    }),
  },
  guards: {
    isInvalidEntryScript: ({ event }) => event.type === 'worker.initFailed' && event.invalidEntryScript,
    /** Tabular input (rows to read), or a chaos hang-load for this attempt. */
    needsLoading: ({ context, event }) =>
      context.settings.inputKind === 'tabular' ||
      (event.type === 'processor.run' && loadFaultFor(context.settings.chaos, event.held.lease.miniBatchId, event.held.lease.attempt) !== undefined),
    hasTaskOverheadTimeout: ({ context }) => context.settings.taskOverheadTimeoutMs > 0,
    isStopPending: ({ context }) => context.stopRequested,
    killsRunningWork: ({ event }) => event.type === 'processor.stop' && event.killRunning,
    isCurrentLease: ({ context, event }) => event.type === 'processor.revoke' && context.current?.held.lease.token === event.token,
    hasRunTimeout: ({ context }) => context.settings.runTimeoutMs > 0,
    restartIntensityExceeded: ({ context }) => context.restartTimesMs.length > context.settings.restartIntensity,
  },
  delays: {
    runTimeout: ({ context }) => Math.min(context.settings.runTimeoutMs || NEVER_MS, NEVER_MS),
    taskOverheadTimeout: ({ context }) => Math.min(context.settings.taskOverheadTimeoutMs || NEVER_MS, NEVER_MS),
    restartBackoff: ({ context }) =>
      Math.min(MAX_RESTART_BACKOFF_MS, context.settings.initBackoffMs * 2 ** Math.max(0, context.consecutiveInitFailures - 1)),
    shutdownGrace: ({ context }) => context.settings.shutdownGraceMs,
  },
}).createMachine({
  id: 'processor',
  context: ({ input }) => {
    const processName = processNameOf(input.index);
    return {
      index: input.index,
      who: { nodeId: input.nodeId, index: input.index, processName, gpus: input.gpus, ...(input.python === undefined ? {} : { python: input.python }) },
      settings: input.settings,
      logger: input.logger.child({ processName }),
      parent: input.parent,
      readTableBatch: input.readTableBatch,
      pid: 0,
      current: undefined,
      stopRequested: false,
      consecutiveInitFailures: 0,
      restartTimesMs: [],
    };
  },
  initial: 'alive',
  on: {
    'processor.run': { actions: 'bounceLease' },
  },
  states: {
    alive: {
      invoke: {
        id: 'worker',
        src: 'workerProcess',
        input: ({ context }) => ({ launch: workerLaunch(context.settings, context.who), init: initMessage(context.settings, context.who) }),
      },
      initial: 'starting',
      on: {
        'worker.exited': { target: 'restarting', actions: ['countInitFailure', 'recordRestart', 'reportInitFailed'] },
        'processor.stop': { target: 'stopped' },
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
            'processor.run': [
              { guard: 'needsLoading', target: 'loading', actions: 'takeLease' },
              { target: 'running', actions: 'takeLease' },
            ],
            'worker.exited': { target: '#processor.restarting', actions: ['recordRestart', 'reportWorkerExited'] },
            'processor.stop': { target: 'shuttingDown' },
          },
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
            onDone: { target: 'running', actions: { type: 'keepTable', params: ({ event }) => ({ table: event.output }) } },
            onError: { target: 'idle', actions: [{ type: 'reportLoadFailed', params: ({ event }) => ({ error: event.error }) }, 'clearLease'] },
          },
          after: {
            taskOverheadTimeout: { guard: 'hasTaskOverheadTimeout', target: 'idle', actions: ['reportLoadTimeout', 'clearLease'] },
          },
          on: {
            'worker.exited': { target: '#processor.restarting', actions: ['returnLease', 'clearLease', 'recordRestart', 'reportWorkerExited'] },
            'processor.revoke': { guard: 'isCurrentLease', target: 'idle', actions: 'clearLease' },
            'processor.stop': { target: 'shuttingDown', actions: ['returnLease', 'clearLease'] },
          },
        },
        running: {
          entry: ['markRunStarted', 'sendRun'],
          after: {
            runTimeout: { guard: 'hasRunTimeout', target: '#processor.restarting', actions: ['reportTimeout', 'clearLease', 'recordRestart'] },
          },
          on: {
            'worker.result': [
              { guard: 'isStopPending', target: 'shuttingDown', actions: ['reportResult', 'clearLease'] },
              { target: 'idle', actions: ['reportResult', 'clearLease'] },
            ],
            'worker.exited': { target: '#processor.restarting', actions: ['reportCrash', 'clearLease', 'recordRestart'] },
            'processor.revoke': { guard: 'isCurrentLease', target: '#processor.restarting', actions: ['logRevoked', 'clearLease'] },
            'processor.stop': [
              { guard: 'killsRunningWork', target: '#processor.stopped', actions: 'clearLease' },
              { actions: 'markStopRequested' },
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
