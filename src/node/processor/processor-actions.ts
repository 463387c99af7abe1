/**
 * The processor machine's context and its named actions, apart from the plain `assign`s the machine
 * declares itself:
 * - run-queue steps: compute the new run queue (run-queue.ts) and enqueue its assign, then the effects
 *   of what the step handed back (frames to the worker, leases released, bounced or returned);
 * - effects: report how leases ended (to the sink, settle-feed.ts, which builds the wire results), tell
 *   the job (typed notices, processor-events.ts) and log. They read the context and their `params` and
 *   change nothing.
 * The steps are typed here, ahead of setup() (enqueue-step.ts).
 */
import type { Logger } from 'pino';
import type { AnyActorRef } from 'xstate';

import type { ResultMessage } from '../../worker/protocol.js';
import { stepsFor } from '../enqueue-step.js';
import type { JobSettings } from '../job/job-settings.js';
import { describeExit, type HeldLease, type RunFacts } from './batch-results.js';
import { type LeaseLoader, runFrame } from './lease-loader.js';
import type { ProcessorCommand, ProcessorExit } from './processor-events.js';
import { type CurrentRun, pipeline, recall, revoke, type RunQueue, settle, takeQueue } from './run-queue.js';
import type { ProcessorSink } from './settle-feed.js';
import type { WorkerActorEvent } from './worker-actor.js';
import type { WorkerExit } from './worker-host.js';
import type { WorkerIdentity } from './worker-launch.js';

export interface ProcessorContext {
  readonly index: number;
  readonly who: WorkerIdentity;
  readonly settings: JobSettings;
  readonly logger: Logger;
  /** The job actor: receives every ProcessorNotice. */
  readonly parent: AnyActorRef;
  readonly sink: ProcessorSink;
  readonly loader: LeaseLoader;
  /** The live worker's pid, 0 before the first spawn. */
  readonly pid: number;
  readonly runs: RunQueue;
  readonly stopRequested: boolean;
  /** Init failures since the last successful init: the exponent of the restart backoff. */
  readonly consecutiveInitFailures: number;
  /** Date.now() of recent restarts, pruned to restart_period. */
  readonly restartTimesMs: readonly number[];
}

interface Args {
  readonly context: ProcessorContext;
}

/** Who runs a lease, for its result. */
function factsOf(context: ProcessorContext, run: CurrentRun): RunFacts {
  return { processName: context.who.processName, pid: context.pid, startedAtMs: run.startedAtMs };
}

/** The processor and worker a lifecycle event is about. */
function about(context: ProcessorContext): { index: number; processName: string; pid: number } {
  return { index: context.index, processName: context.who.processName, pid: context.pid };
}

/** The run the worker is on (the machine is in `loading` or `running`, where there is one). */
function currentOf(context: ProcessorContext): CurrentRun {
  const run = context.runs.current;
  if (run === undefined) throw new Error('processor: no current run in a state that has one');
  return run;
}

export type ProcessorMachineEvent = ProcessorCommand | WorkerActorEvent;

const step = stepsFor<ProcessorContext, ProcessorMachineEvent>();

// Run-queue steps.

/** The current run's frame unless it went ahead, and while runs are short the queue behind it, in one write. */
export const sendRuns = step(({ context, enqueue }) => {
  const { runs, send } = pipeline(context.runs, {
    closing: context.stopRequested,
    pipelinable: (held) => !context.loader.needsLoading(held),
  });
  if (send.length === 0) return;
  enqueue.assign({ runs });
  enqueue.sendTo('worker', { type: 'worker.send', messages: send.map((run) => runFrame(context.loader, run)) });
});

/** The worker answered: each answer ends the current run, in order. */
export const settleResults = step<{ readonly results: readonly ResultMessage[] }>(({ context, enqueue }, params) => {
  const { runs, settled, strays } = settle(context.runs, params.results, Date.now());
  enqueue.assign({ runs });
  for (const stray of strays) enqueue((args) => logStray(args, stray));
  if (settled.length > 0) enqueue((args) => reportAnswers(args, { settled }));
});

/** The worker is gone: runs sent ahead of it never started and go back to the queue. */
export const recallAhead = step(({ context, enqueue }) => {
  const { runs, released } = recall(context.runs);
  enqueue.assign({ runs });
  if (released > 0) enqueue((args) => releaseLeases(args, { count: released }));
});

export const revokeLease = step<{ readonly token: number }>(({ context, enqueue }, params) => {
  const { runs, released } = revoke(context.runs, params.token);
  enqueue.assign({ runs });
  if (released > 0) enqueue((args) => releaseLeases(args, { count: released }));
});

/** Queued leases go back to the job: the worker is gone, or its current run is too long to wait behind. */
export const bounceQueue = step(({ context, enqueue }) => {
  const { runs, taken } = takeQueue(context.runs);
  if (taken.length === 0) return;
  enqueue.assign({ runs });
  enqueue.sendTo(context.parent, { type: 'processor.bounced', index: context.index, leases: taken });
});

/** A stop drops the queue: the job is leaving, and the coordinator re-queues its leases. */
export const dropQueue = step(({ context, enqueue }) => {
  const { runs, taken } = takeQueue(context.runs);
  if (taken.length === 0) return;
  enqueue.assign({ runs });
  enqueue((args) => releaseLeases(args, { count: taken.length }));
});

/** The node's stream broke: queued leases go back to the coordinator as RETURNED results. */
export const returnQueue = step(({ context, enqueue }) => {
  const { runs, taken } = takeQueue(context.runs);
  if (taken.length === 0) return;
  enqueue.assign({ runs });
  enqueue((args) => returnLeases(args, { leases: taken, reason: 'node reconnected' }));
});

// Lease ends, in the order the worker answered; a revoked run ends without a result.

export function reportAnswers(
  { context }: Args,
  params: { readonly settled: readonly { readonly run: CurrentRun; readonly answer: ResultMessage }[] },
): void {
  const debug = context.logger.isLevelEnabled('debug');
  for (const { run, answer } of params.settled) {
    if (run.revoked) {
      context.sink.released(context.index, 1);
      continue;
    }
    if (debug) {
      const { miniBatchId, attempt, succeeded, runMs } = answer;
      context.logger.debug({ miniBatchId, attempt, succeeded, runMs }, 'mini-batch done');
    }
    context.sink.result(context.index, { kind: 'answered', held: run.held, facts: factsOf(context, run), answer });
  }
}

export function logStray(
  { context }: Args,
  params: { readonly answer: ResultMessage; readonly expected: number | undefined },
): void {
  const { miniBatchId, attempt } = params.answer;
  context.logger.error(
    { miniBatchId, attempt, expected: params.expected },
    'worker sent a result for a run it was not running; dropped',
  );
}

export function reportTimeout({ context }: Args): void {
  const run = currentOf(context);
  if (run.revoked) return context.sink.released(context.index, 1);
  const { miniBatchId, attempt } = run.held.lease;
  const timeoutMs = context.settings.runTimeoutMs;
  context.logger.warn({ miniBatchId, attempt, timeoutMs, pid: context.pid }, 'run() timed out; killing its worker');
  const rows = run.table === undefined ? {} : { rowCount: run.table.rowCount };
  context.sink.result(context.index, {
    kind: 'timedOut',
    held: run.held,
    facts: factsOf(context, run),
    timeoutMs,
    ...rows,
  });
}

export function reportCrash({ context }: Args, params: { readonly exit: WorkerExit }): void {
  const run = currentOf(context);
  if (run.revoked) return context.sink.released(context.index, 1);
  const { miniBatchId, attempt } = run.held.lease;
  context.logger.warn(
    { miniBatchId, attempt, pid: context.pid, error: describeExit(params.exit) },
    'worker died during run()',
  );
  const rows = run.table === undefined ? {} : { rowCount: run.table.rowCount };
  const facts = factsOf(context, run);
  context.sink.result(context.index, { kind: 'crashed', held: run.held, facts, exit: params.exit, ...rows });
}

export function reportLoadTimeout({ context }: Args): void {
  const run = currentOf(context);
  const { miniBatchId, attempt } = run.held.lease;
  const timeoutMs = context.settings.taskOverheadTimeoutMs;
  context.logger.warn({ miniBatchId, attempt, timeoutMs }, 'mini-batch not loaded within task_overhead_timeout');
  context.sink.result(context.index, { kind: 'loadTimedOut', held: run.held, facts: factsOf(context, run), timeoutMs });
}

export function reportLoadFailed({ context }: Args, params: { readonly error: unknown }): void {
  const run = currentOf(context);
  const { miniBatchId } = run.held.lease;
  context.logger.warn({ miniBatchId, error: String(params.error) }, 'cannot read the rows of a mini-batch');
  context.sink.result(context.index, {
    kind: 'loadFailed',
    held: run.held,
    facts: factsOf(context, run),
    error: params.error,
  });
}

/** The lease being loaded (it never ran) goes back to the coordinator. */
export function returnLease({ context }: Args): void {
  const held = context.runs.current?.held;
  if (held !== undefined) returnLeases({ context }, { leases: [held], reason: 'processor stopping' });
}

/** Leases that never ran go back to the coordinator as RETURNED results (no pid, no start time). */
export function returnLeases(
  { context }: Args,
  params: { readonly leases: readonly HeldLease[]; readonly reason: string },
): void {
  const { processName } = context.who;
  for (const held of params.leases) {
    context.sink.result(context.index, { kind: 'returned', held, processName, reason: params.reason });
  }
}

/** The current lease ends without a result (killed by a stop). */
export function releaseLease({ context }: Args): void {
  if (context.runs.current !== undefined) context.sink.released(context.index, 1);
}

/** `count` leases end without a result (revoked, or dropped by a stop). */
export function releaseLeases({ context }: Args, params: { readonly count: number }): void {
  context.sink.released(context.index, params.count);
}

// Notices to the job: sent with XState's sendTo (delivered after this processor's step, never inside it).

export const bounceLeases = step<{ readonly leases: readonly HeldLease[] }>(({ context, enqueue }, params) => {
  enqueue.sendTo(context.parent, { type: 'processor.bounced', index: context.index, leases: params.leases });
});

export const reportIdle = step(({ context, enqueue }) => {
  enqueue.sendTo(context.parent, { type: 'processor.idle', index: context.index });
});

export const reportReady = step(({ context, enqueue }) => {
  enqueue(() => context.logger.info({ pid: context.pid }, 'worker ready'));
  enqueue.sendTo(context.parent, { type: 'processor.ready', ...about(context) });
});

export const reportInitFailed = step<{ readonly message: string; readonly exit?: ProcessorExit }>(
  ({ context, enqueue }, params) => {
    enqueue(() => context.logger.warn({ pid: context.pid, error: params.message }, 'worker init failed'));
    enqueue.sendTo(context.parent, { type: 'processor.initFailed', ...about(context), ...params });
  },
);

export const reportInvalidEntryScript = step<{ readonly message: string }>(({ context, enqueue }, params) => {
  enqueue(() => context.logger.error({ error: params.message }, 'entry script is invalid'));
  enqueue.sendTo(context.parent, { type: 'processor.invalid', ...about(context), message: params.message });
});

export const reportWorkerExited = step<{ readonly exit: WorkerExit }>(({ context, enqueue }, params) => {
  const message = describeExit(params.exit);
  enqueue(() => context.logger.warn({ pid: context.pid, error: message }, 'idle worker exited'));
  enqueue.sendTo(context.parent, { type: 'processor.exited', ...about(context), message, exit: params.exit });
});

export const reportEscalated = step(({ context, enqueue }) => {
  const { restartIntensity, restartPeriodMs } = context.settings;
  const message = `more than ${restartIntensity} worker restarts within ${restartPeriodMs} ms`;
  enqueue(() => context.logger.error({ restarts: context.restartTimesMs.length }, 'processor escalated'));
  enqueue.sendTo(context.parent, { type: 'processor.escalated', ...about(context), message });
});

export const reportStopped = step(({ context, enqueue }) => {
  enqueue(() => context.logger.info('processor stopped'));
  enqueue.sendTo(context.parent, { type: 'processor.stopped', ...about(context) });
});

export function logRevoked({ context }: Args): void {
  const lease = context.runs.current?.held.lease;
  context.logger.info(
    { miniBatchId: lease?.miniBatchId, attempt: lease?.attempt },
    'lease revoked; killing its worker',
  );
}
