/**
 * The node's book of one job's leases: the job's queue, the processors ready for work, how many leases
 * each processor holds (handed to it and not yet settled: the one it runs plus its own small run
 * queue), and the credit asked of the coordinator but not yet granted.
 * Plain immutable data and pure functions: the job machine decides when, these decide what.
 *
 * Credit rule (parajob.proto `LeaseRequest`): the node keeps `target = live processors × (1 + prefetch)` leases
 * outstanding (asked + queued + held by processors), so a processor finishing a run finds the next
 * lease already on the node and never waits for a round trip.
 *
 * Each processor holds at most `perProcessor` leases (processor.machine.ts runs them back to back
 * without asking the job in between); the rest wait in the job's queue, so a processor stuck on a long
 * mini-batch keeps few leases from the others.
 */
import type { HeldLease } from '../processor/batch-results.js';

export interface LeaseBook {
  /** Leases received and not yet handed to a processor, oldest first. */
  readonly queue: readonly HeldLease[];
  /** Processors ready to take leases, in the order they became ready. */
  readonly accepting: readonly number[];
  /** Processor index → leases handed to it and not settled yet (absent: none). */
  readonly holding: ReadonlyMap<number, number>;
  /** Leases requested from the coordinator and not granted yet. */
  readonly pendingCredit: number;
}

/** Leases handed to one processor by `dispatch`, in queue order. */
export interface Dispatch {
  readonly index: number;
  readonly leases: readonly HeldLease[];
}

export const EMPTY_BOOK: LeaseBook = { queue: [], accepting: [], holding: new Map(), pendingCredit: 0 };

/** Granted leases join the queue and use up requested credit. */
export function addLeases(book: LeaseBook, held: readonly HeldLease[]): LeaseBook {
  return { ...book, queue: book.queue.concat(held), pendingCredit: Math.max(0, book.pendingCredit - held.length) };
}

/** Processor `index` is ready to take leases. */
export function markAccepting(book: LeaseBook, index: number): LeaseBook {
  return book.accepting.includes(index) ? book : { ...book, accepting: [...book.accepting, index] };
}

/** Leases processor `index` holds now. */
export function heldBy(book: LeaseBook, index: number): number {
  return book.holding.get(index) ?? 0;
}

/**
 * Hands queued leases to accepting processors, each up to `perProcessor` held: the processor holding
 * the fewest first (ties: the one ready longest), so idle processors are fed before queues grow.
 */
export function dispatch(
  book: LeaseBook,
  perProcessor: number,
): { readonly book: LeaseBook; readonly dispatches: readonly Dispatch[] } {
  if (book.queue.length === 0 || book.accepting.length === 0) return { book, dispatches: [] };
  const given = new Map<number, HeldLease[]>();
  const holding = new Map(book.holding);
  let taken = 0;
  while (taken < book.queue.length) {
    let best: number | undefined;
    for (const index of book.accepting) {
      const held = holding.get(index) ?? 0;
      if (held < perProcessor && (best === undefined || held < (holding.get(best) ?? 0))) best = index;
    }
    if (best === undefined) break;
    holding.set(best, (holding.get(best) ?? 0) + 1);
    const list = given.get(best);
    const lease = book.queue[taken++] as HeldLease;
    if (list === undefined) given.set(best, [lease]);
    else list.push(lease);
  }
  if (taken === 0) return { book, dispatches: [] };
  const dispatches = [...given].map(([index, leases]) => ({ index, leases }));
  return { book: { ...book, queue: book.queue.slice(taken), holding }, dispatches };
}

/**
 * Processor `index` could not take (or gave back unrun) `leases`: they go back to the front of the
 * queue, and the processor takes no more until it is ready again.
 */
export function bounce(book: LeaseBook, index: number, leases: readonly HeldLease[]): LeaseBook {
  const holding = new Map(book.holding);
  holding.set(index, Math.max(0, heldBy(book, index) - leases.length));
  return { ...book, holding, accepting: book.accepting.filter((i) => i !== index), queue: [...leases, ...book.queue] };
}

/** Leases held by processors ended (a result was sent, or they were revoked or dropped): index → count. */
export function settle(book: LeaseBook, settled: ReadonlyMap<number, number>): LeaseBook {
  if (settled.size === 0) return book;
  const holding = new Map(book.holding);
  for (const [index, count] of settled) holding.set(index, Math.max(0, (holding.get(index) ?? 0) - count));
  return { ...book, holding };
}

/** Processor `index` will never take work again; what it held is no longer counted. */
export function forgetProcessor(book: LeaseBook, index: number): LeaseBook {
  const holding = new Map(book.holding);
  holding.delete(index);
  return { ...book, holding, accepting: book.accepting.filter((i) => i !== index) };
}

/**
 * The coordinator withdrew lease `token`: dropped from the job's queue (`queued` true), or else one of
 * the processors holds it (or nobody does any more) and the caller asks them to drop it.
 */
export function revokeQueued(book: LeaseBook, token: number): { readonly book: LeaseBook; readonly queued: boolean } {
  const at = book.queue.findIndex((held) => held.lease.token === token);
  if (at < 0) return { book, queued: false };
  return { book: { ...book, queue: book.queue.filter((_, i) => i !== at) }, queued: true };
}

/** Leases held by all processors. */
export function heldCount(book: LeaseBook): number {
  let sum = 0;
  for (const count of book.holding.values()) sum += count;
  return sum;
}

/** Processors holding at least one lease: as many mini-batches run (or are about to) right now. */
export function busyProcessors(book: LeaseBook): number {
  let busy = 0;
  for (const count of book.holding.values()) if (count > 0) busy++;
  return busy;
}

/** Leases to ask for now to keep `target` outstanding. */
export function creditToRequest(book: LeaseBook, target: number): number {
  return Math.max(0, target - (book.pendingCredit + book.queue.length + heldCount(book)));
}

/** Records `count` more leases asked for. */
export function requested(book: LeaseBook, count: number): LeaseBook {
  return { ...book, pendingCredit: book.pendingCredit + count };
}

/**
 * Empties the job's queue (returning what it held) and forgets asked credit: after a reconnect the
 * coordinator has re-queued this node's leases and forgotten its credit, and after a release the
 * queue is moot. Processors' own queues are emptied by the processors.
 */
export function clearQueue(book: LeaseBook): { readonly book: LeaseBook; readonly dropped: readonly HeldLease[] } {
  return { book: { ...book, queue: [], pendingCredit: 0 }, dropped: book.queue };
}
