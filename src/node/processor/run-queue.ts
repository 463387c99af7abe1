/**
 * A processor's run queue: the lease its worker is on (`current`), the runs already sent to the worker
 * behind it (`ahead`, pipelined), and the leases the job handed over and nobody started (`queue`).
 * Plain immutable data and pure functions, the way lease-book.ts serves the job machine: the processor
 * machine decides when, these decide what. Clock readings come in as `nowMs`.
 *
 * Which run failed is known by order, not by asking the worker: both workers run their frames one at a
 * time and write each result before reading the next run, so a worker that dies or hangs is in
 * `current`, and the runs `ahead` of it never started (they go back to the queue, never counted as
 * failed attempts).
 */
import type { LoadedTable } from '../tabular/table-batches.js';
import type { HeldLease } from './batch-results.js';
import { SHORT_RUN_MS } from './prefetch-tuner.js';

/** The lease the worker runs (or is about to, once `loading` has read its input). */
export interface CurrentRun {
  readonly held: HeldLease;
  /** Date.now() when its run started: stamped again each time `running` is entered for it. */
  readonly startedAtMs: number;
  /** A tabular lease's rows, read by `loading`. */
  readonly table?: LoadedTable;
  /** Its `run` frame is with the worker already. */
  readonly sent: boolean;
  /** The coordinator withdrew it after it was sent: whatever comes of it is dropped, not reported. */
  readonly revoked: boolean;
}

/** A lease whose `run` frame went to the worker behind the current one, not started yet. */
export interface AheadRun {
  readonly held: HeldLease;
  readonly revoked: boolean;
}

export interface RunQueue {
  readonly current: CurrentRun | undefined;
  /** Sent to the worker behind `current`, in the order the worker will run them. */
  readonly ahead: readonly AheadRun[];
  /** Handed by the job and not started yet, in order. */
  readonly queue: readonly HeldLease[];
  /** The last run of this worker took less than SHORT_RUN_MS: the runs behind the next may be pipelined. */
  readonly lastRunShort: boolean;
}

/** A run to send to the worker now: its lease, and its rows for a tabular lease. */
export interface RunToSend {
  readonly held: HeldLease;
  readonly table?: LoadedTable;
}

/** What a worker said of one run: enough to match it to the run it belongs to. */
export interface RunAnswer {
  readonly miniBatchId: number;
  readonly attempt: number;
  /** run()'s time as the worker measured it. */
  readonly runMs: number;
}

/** Where lease `token` is in the run queue. */
export type RunPlace = 'current' | 'ahead' | 'queued';

export const EMPTY_RUN_QUEUE: RunQueue = { current: undefined, ahead: [], queue: [], lastRunShort: false };

/** Leases handed by the job join the end of the queue. */
export function addLeases(runs: RunQueue, leases: readonly HeldLease[]): RunQueue {
  return { ...runs, queue: runs.queue.length === 0 ? leases : [...runs.queue, ...leases] };
}

/** The head of the queue becomes the current run (unsent); a queue that is empty changes nothing. */
export function takeNext(runs: RunQueue, nowMs: number): RunQueue {
  const [held, ...queue] = runs.queue;
  if (held === undefined) return runs;
  return { ...runs, current: { held, startedAtMs: nowMs, sent: false, revoked: false }, queue };
}

/** The current run's rows were read. */
export function keepTable(runs: RunQueue, table: LoadedTable | undefined): RunQueue {
  if (runs.current === undefined || table === undefined) return runs;
  return { ...runs, current: { ...runs.current, table } };
}

/** The current run starts (or started, pipelined) now: its run time and timeout count from here. */
export function markStarted(runs: RunQueue, nowMs: number): RunQueue {
  return runs.current === undefined ? runs : { ...runs, current: { ...runs.current, startedAtMs: nowMs } };
}

/**
 * What to send the worker now, in one write: the current run unless it was sent already, then, while
 * this worker's runs are short and it is not `closing` (to stop after what it has), every queued lease
 * up to the first that is not `pipelinable` (one whose input the node reads first). A run sent ahead
 * cannot be taken back from a busy worker (only killed with it), so nothing goes behind a run that took
 * long; the job bounds how many leases it queues here (prefetch-tuner.ts processorQueueFor).
 */
export function pipeline(
  runs: RunQueue,
  options: { readonly closing: boolean; readonly pipelinable: (held: HeldLease) => boolean },
): { readonly runs: RunQueue; readonly send: readonly RunToSend[] } {
  const { current } = runs;
  const send: RunToSend[] = [];
  if (current !== undefined && !current.sent) send.push(current);
  let taken = 0;
  if (current !== undefined && runs.lastRunShort && !options.closing) {
    while (taken < runs.queue.length && options.pipelinable(runs.queue[taken] as HeldLease)) {
      send.push({ held: runs.queue[taken] as HeldLease });
      taken++;
    }
  }
  if (send.length === 0) return { runs, send };
  const ahead = runs.queue.slice(0, taken).map((held) => ({ held, revoked: false }));
  return {
    runs: {
      ...runs,
      current: current === undefined || current.sent ? current : { ...current, sent: true },
      ...(taken === 0 ? {} : { ahead: [...runs.ahead, ...ahead], queue: runs.queue.slice(taken) }),
    },
    send,
  };
}

/**
 * The worker answered, in order: each answer ends the current run and the first run ahead becomes
 * current, timed from `nowMs` (its answer may come in the same read). An answer that is not the current
 * run's breaks the protocol: it is a `stray`, and changes nothing. `lastRunShort` follows the last answer.
 */
export function settle<A extends RunAnswer>(
  runs: RunQueue,
  answers: readonly A[],
  nowMs: number,
): {
  readonly runs: RunQueue;
  readonly settled: readonly { readonly run: CurrentRun; readonly answer: A }[];
  readonly strays: readonly { readonly answer: A; readonly expected: number | undefined }[];
} {
  let { current, ahead, lastRunShort } = runs;
  const settled: { run: CurrentRun; answer: A }[] = [];
  const strays: { answer: A; expected: number | undefined }[] = [];
  for (const answer of answers) {
    if (
      current === undefined ||
      current.held.lease.miniBatchId !== answer.miniBatchId ||
      current.held.lease.attempt !== answer.attempt
    ) {
      strays.push({ answer, expected: current?.held.lease.miniBatchId });
      continue;
    }
    settled.push({ run: current, answer });
    lastRunShort = answer.runMs < SHORT_RUN_MS;
    const next = ahead[0];
    current = next === undefined ? undefined : { ...next, startedAtMs: nowMs, sent: true };
    ahead = next === undefined ? ahead : ahead.slice(1);
  }
  if (settled.length === 0) return { runs, settled, strays };
  return { runs: { ...runs, current, ahead, lastRunShort }, settled, strays };
}

/** The current run ended without an answer (timeout, crash, revoke, load failure, stop). */
export function endCurrent(runs: RunQueue): RunQueue {
  return runs.current === undefined ? runs : { ...runs, current: undefined };
}

/**
 * The worker is gone (killed or dead) with runs sent ahead of it: they never started, so they go back
 * to the front of the queue, and the next worker's pace is unknown; `released` counts the revoked
 * ones, which end here.
 */
export function recall(runs: RunQueue): { readonly runs: RunQueue; readonly released: number } {
  if (runs.ahead.length === 0) return { runs: forgetPace(runs), released: 0 };
  const kept = runs.ahead.filter((run) => !run.revoked).map((run) => run.held);
  return {
    runs: { ...runs, ahead: [], queue: [...kept, ...runs.queue], lastRunShort: false },
    released: runs.ahead.length - kept.length,
  };
}

/** A new worker: nothing is pipelined until it has shown its runs are short. */
export function forgetPace(runs: RunQueue): RunQueue {
  return runs.lastRunShort ? { ...runs, lastRunShort: false } : runs;
}

/** Where lease `token` is, undefined when this processor does not hold it. */
export function locate(runs: RunQueue, token: number): RunPlace | undefined {
  if (runs.current?.held.lease.token === token) return 'current';
  if (runs.ahead.some((run) => run.held.lease.token === token)) return 'ahead';
  if (runs.queue.some((held) => held.lease.token === token)) return 'queued';
  return undefined;
}

/**
 * The coordinator withdrew lease `token`. Queued or current: it ends here (`released` 1; for the current
 * run the machine kills its worker or stops loading it). Ahead: marked, since the worker has its frame:
 * it ends when its answer comes (dropped, not reported) or with its worker. Elsewhere: nothing changes.
 */
export function revoke(runs: RunQueue, token: number): { readonly runs: RunQueue; readonly released: number } {
  switch (locate(runs, token)) {
    case 'queued':
      return { runs: { ...runs, queue: runs.queue.filter((held) => held.lease.token !== token) }, released: 1 };
    case 'ahead':
      return {
        runs: {
          ...runs,
          ahead: runs.ahead.map((run) => (run.held.lease.token === token ? { ...run, revoked: true } : run)),
        },
        released: 0,
      };
    case 'current':
      return { runs: endCurrent(runs), released: 1 };
    case undefined:
      return { runs, released: 0 };
  }
}

/** Empties the queue (not `current` or `ahead`), returning what it held. */
export function takeQueue(runs: RunQueue): { readonly runs: RunQueue; readonly taken: readonly HeldLease[] } {
  if (runs.queue.length === 0) return { runs, taken: [] };
  return { runs: { ...runs, queue: [] }, taken: runs.queue };
}
