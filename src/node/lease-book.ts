/**
 * The node's book of one job's leases: the local queue, the idle processors waiting for work, the
 * lease each busy processor runs, and the credit asked of the coordinator but not yet granted.
 * Plain immutable data and pure functions: the job machine decides when, these decide what.
 *
 * Credit rule (wire.md §4): the node keeps `target = live processors × (1 + prefetch)` leases
 * outstanding (asked + queued + running), so a processor finishing a run finds the next lease already
 * queued and never waits for a round trip.
 */
import type { HeldLease } from './batch-results.js';

export interface LeaseBook {
  /** Leases received and not yet handed to a processor, oldest first. */
  readonly queue: readonly HeldLease[];
  /** Processor indices waiting for a lease, longest-waiting first. */
  readonly idle: readonly number[];
  /** Processor index → the lease it runs. */
  readonly running: ReadonlyMap<number, HeldLease>;
  /** Leases requested from the coordinator and not granted yet. */
  readonly pendingCredit: number;
}

/** A lease handed to a processor by `dispatch`. */
export interface Dispatch {
  readonly index: number;
  readonly held: HeldLease;
}

export const EMPTY_BOOK: LeaseBook = { queue: [], idle: [], running: new Map(), pendingCredit: 0 };

/** Granted leases join the queue and use up requested credit. */
export function addLeases(book: LeaseBook, held: readonly HeldLease[]): LeaseBook {
  return { ...book, queue: [...book.queue, ...held], pendingCredit: Math.max(0, book.pendingCredit - held.length) };
}

/** Processor `index` waits for work. */
export function markIdle(book: LeaseBook, index: number): LeaseBook {
  return book.idle.includes(index) ? book : { ...book, idle: [...book.idle, index] };
}

/** Hands queued leases to idle processors, first come first served. */
export function dispatch(book: LeaseBook): { readonly book: LeaseBook; readonly dispatches: readonly Dispatch[] } {
  const count = Math.min(book.queue.length, book.idle.length);
  if (count === 0) return { book, dispatches: [] };
  const running = new Map(book.running);
  const dispatches: Dispatch[] = [];
  for (let i = 0; i < count; i++) {
    const dispatched = { index: book.idle[i] as number, held: book.queue[i] as HeldLease };
    running.set(dispatched.index, dispatched.held);
    dispatches.push(dispatched);
  }
  return { book: { ...book, queue: book.queue.slice(count), idle: book.idle.slice(count), running }, dispatches };
}

/** Processor `index` could not take its lease: it goes back to the front of the queue. */
export function bounce(book: LeaseBook, index: number, held: HeldLease): LeaseBook {
  const running = new Map(book.running);
  running.delete(index);
  return { ...book, running, idle: book.idle.filter((i) => i !== index), queue: [held, ...book.queue] };
}

/** Processor `index` finished (or lost) its lease. */
export function finishRun(book: LeaseBook, index: number): LeaseBook {
  if (!book.running.has(index)) return book;
  const running = new Map(book.running);
  running.delete(index);
  return { ...book, running };
}

/** Processor `index` will never take work again. */
export function forgetProcessor(book: LeaseBook, index: number): LeaseBook {
  return finishRun({ ...book, idle: book.idle.filter((i) => i !== index) }, index);
}

/**
 * The coordinator withdrew lease `token`: dropped from the queue, or the index of the processor
 * running it (which the caller kills; no result will be sent, so it is no longer counted running).
 */
export function revoke(book: LeaseBook, token: number): { readonly book: LeaseBook; readonly runningOn: number | undefined } {
  const queued = book.queue.findIndex((held) => held.lease.token === token);
  if (queued >= 0) return { book: { ...book, queue: book.queue.filter((_, i) => i !== queued) }, runningOn: undefined };
  for (const [index, held] of book.running) {
    if (held.lease.token === token) return { book: finishRun(book, index), runningOn: index };
  }
  return { book, runningOn: undefined };
}

/** Leases to ask for now to keep `target` outstanding. */
export function creditToRequest(book: LeaseBook, target: number): number {
  return Math.max(0, target - (book.pendingCredit + book.queue.length + book.running.size));
}

/** Records `count` more leases asked for. */
export function requested(book: LeaseBook, count: number): LeaseBook {
  return { ...book, pendingCredit: book.pendingCredit + count };
}

/**
 * Empties the queue (returning what it held) and forgets asked credit: after a reconnect the
 * coordinator has re-queued this node's leases and forgotten its credit, and after a release the
 * queue is moot.
 */
export function clearQueue(book: LeaseBook): { readonly book: LeaseBook; readonly dropped: readonly HeldLease[] } {
  return { book: { ...book, queue: [], pendingCredit: 0 }, dropped: book.queue };
}
