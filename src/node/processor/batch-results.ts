/**
 * How a lease handed to a processor ended (`LeaseEnd`, what the processor machine reports), the
 * builders of the wire BatchResult for each way (called where results leave for the coordinator:
 * settle-feed.ts), and the human-readable descriptions of worker failures that travel in results and
 * processor events.
 */
import { basename, extname } from 'node:path';

import { BatchOutcome, type BatchResult, type Lease } from '../../gen/parajob/v1/parajob.js';
import type { ResultMessage, WireError } from '../../worker/protocol.js';
import type { WorkerExit } from './worker-host.js';

/** A lease as the node holds it: when it arrived, for `elapsed_ms`. */
export interface HeldLease {
  readonly lease: Lease;
  /** Date.now() when the lease reached the node. */
  readonly receivedAtMs: number;
}

/** Who ran an attempt and when it started. */
export interface RunFacts {
  readonly processName: string;
  readonly pid: number;
  /** Date.now() when run() was sent to the worker. */
  readonly startedAtMs: number;
}

/**
 * How one lease handed to a processor ended, with what its BatchResult needs. `rowCount`: a tabular
 * attempt that timed out or crashed had its rows read, and they are its total (rows the coordinator did
 * not know at cut time, a size cut, count as failed items). A `returned` lease never ran: its result
 * carries the processor's name but no pid or start time.
 */
export type LeaseEnd =
  | { readonly kind: 'answered'; readonly held: HeldLease; readonly facts: RunFacts; readonly answer: ResultMessage }
  | {
      readonly kind: 'timedOut';
      readonly held: HeldLease;
      readonly facts: RunFacts;
      readonly timeoutMs: number;
      readonly rowCount?: number;
    }
  | {
      readonly kind: 'crashed';
      readonly held: HeldLease;
      readonly facts: RunFacts;
      readonly exit: WorkerExit;
      readonly rowCount?: number;
    }
  | { readonly kind: 'loadTimedOut'; readonly held: HeldLease; readonly facts: RunFacts; readonly timeoutMs: number }
  | { readonly kind: 'loadFailed'; readonly held: HeldLease; readonly facts: RunFacts; readonly error: unknown }
  | { readonly kind: 'returned'; readonly held: HeldLease; readonly processName: string; readonly reason: string };

/** The wire BatchResult of a lease's end. */
export function batchResultOf(end: LeaseEnd): BatchResult {
  switch (end.kind) {
    case 'answered':
      return workerResult(end.held, end.facts, end.answer);
    case 'timedOut':
      return withRowCount(timeoutResult(end.held, end.facts, end.timeoutMs), end.rowCount);
    case 'crashed':
      return withRowCount(crashResult(end.held, end.facts, end.exit), end.rowCount);
    case 'loadTimedOut':
      return loadTimeoutResult(end.held, end.facts, end.timeoutMs);
    case 'loadFailed':
      return inputErrorResult(end.held, end.facts, end.error);
    case 'returned':
      return returnedResult(end.held, { ...NOT_RUN, processName: end.processName }, end.reason);
  }
}

function withRowCount(result: BatchResult, rowCount: number | undefined): BatchResult {
  return rowCount === undefined ? result : { ...result, total: rowCount };
}

/** The RunFacts of a lease no processor took (handed back from a job's queue, or for an unknown job). */
export const NOT_RUN: RunFacts = { processName: '', pid: 0, startedAtMs: 0 };

function base(held: HeldLease, facts: RunFacts, outcome: BatchOutcome): BatchResult {
  return {
    miniBatchId: held.lease.miniBatchId,
    attempt: held.lease.attempt,
    token: held.lease.token,
    outcome,
    total: held.lease.itemCount,
    succeeded: 0,
    returned: 0,
    rows: EMPTY,
    rowCount: 0,
    errorKind: '',
    errorMessage: '',
    processName: facts.processName,
    pid: facts.pid,
    startedAtMs: facts.startedAtMs,
    runMs: 0,
    elapsedMs: Math.max(0, Date.now() - held.receivedAtMs),
  };
}

const EMPTY = Buffer.alloc(0);

/** The worker answered: COMPLETED, or EXCEPTION when run() threw or returned a non-list. */
export function workerResult(held: HeldLease, facts: RunFacts, result: ResultMessage): BatchResult {
  const outcome =
    result.error === undefined ? BatchOutcome.BATCH_OUTCOME_COMPLETED : BatchOutcome.BATCH_OUTCOME_EXCEPTION;
  return {
    ...base(held, facts, outcome),
    // A worker that could not read a tabular mini-batch's rows reports 0: the lease's count (known for
    // a rows cut) is what failed.
    total: result.total === 0 ? held.lease.itemCount : result.total,
    succeeded: result.succeeded,
    returned: result.returned,
    rows: result.rows === '' ? EMPTY : Buffer.from(result.rows, 'utf8'),
    rowCount: result.rowCount,
    errorKind: result.error?.kind ?? '',
    errorMessage: result.error?.message ?? '',
    // The wire field is a uint32: a worker's fractional or negative time must not fail the
    // serialisation of the node's whole stream.
    runMs: Math.max(0, Math.round(result.runMs)),
  };
}

/** run() outlived retry_settings.timeout and its worker was killed. */
export function timeoutResult(held: HeldLease, facts: RunFacts, timeoutMs: number): BatchResult {
  return {
    ...base(held, facts, BatchOutcome.BATCH_OUTCOME_TIMEOUT),
    errorKind: 'Timeout',
    errorMessage: `run() did not return within ${timeoutMs} ms (retry_settings.timeout); its worker was killed`,
    runMs: Math.max(0, Date.now() - facts.startedAtMs),
  };
}

/**
 * The mini-batch was not loaded and handed to run() within --task_overhead_timeout: the attempt
 * failed (TIMEOUT outcome, error kind LoadTimeout) and the worker, which never saw it, is kept.
 */
export function loadTimeoutResult(held: HeldLease, facts: RunFacts, timeoutMs: number): BatchResult {
  return {
    ...base(held, facts, BatchOutcome.BATCH_OUTCOME_TIMEOUT),
    errorKind: 'LoadTimeout',
    errorMessage: `the mini-batch was not loaded and handed to run() within ${timeoutMs} ms (--task_overhead_timeout)`,
  };
}

/** The worker died during run(). */
export function crashResult(held: HeldLease, facts: RunFacts, exit: WorkerExit): BatchResult {
  return {
    ...base(held, facts, BatchOutcome.BATCH_OUTCOME_WORKER_CRASHED),
    errorKind: 'WorkerCrashed',
    errorMessage: describeExit(exit),
    runMs: Math.max(0, Date.now() - facts.startedAtMs),
  };
}

/** The lease goes back unrun (or its rows could not be read): the coordinator re-queues it without counting an attempt. */
export function returnedResult(held: HeldLease, facts: RunFacts, reason = ''): BatchResult {
  return { ...base(held, facts, BatchOutcome.BATCH_OUTCOME_RETURNED), errorMessage: reason };
}

/** An attempt that failed before run(): its input could not be read. */
export function inputErrorResult(held: HeldLease, facts: RunFacts, error: unknown): BatchResult {
  return {
    ...base(held, facts, BatchOutcome.BATCH_OUTCOME_EXCEPTION),
    errorKind: error instanceof Error ? error.name : 'InputError',
    errorMessage: error instanceof Error ? error.message : String(error),
  };
}

/**
 * "worker process exited with code 3", "... with signal SIGKILL (killed: out of memory?)" (a SIGKILL
 * the node did not send is most often the kernel's OOM killer), or "could not start: ...".
 */
export function describeExit(exit: WorkerExit): string {
  if (exit.spawnError !== undefined) return `worker process could not start: ${exit.spawnError.message}`;
  if (exit.signal !== null) {
    return `worker process exited with signal ${exit.signal}${exit.signal === 'SIGKILL' ? ' (killed: out of memory?)' : ''}`;
  }
  return `worker process exited with code ${exit.code ?? 'unknown'}`;
}

/**
 * An init error as quoted in INIT_FAILED events and job_result.txt: `Kind: message (at <frame>)`, the
 * frame being the innermost stack line inside the entry script (JS stacks list it first, Python
 * tracebacks last), so the user sees where their init() failed.
 */
export function describeInitError(error: WireError, entryScript: string): string {
  const head = `${error.kind}: ${error.message}`;
  const frame = error.stack === undefined ? undefined : scriptFrame(error.stack, entryScript);
  return frame === undefined ? head : `${head} (at ${frame})`;
}

function scriptFrame(stack: string, entryScript: string): string | undefined {
  const name = basename(entryScript);
  const lines = stack
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.includes(name) && (line.startsWith('at ') || line.startsWith('File ')));
  const frame = extname(entryScript).toLowerCase() === '.py' ? lines.at(-1) : lines[0];
  return frame?.replace(/^at /, '');
}
