import { describe, expect, it } from 'vitest';

import {
  addLeases,
  bounce,
  busyProcessors,
  clearQueue,
  creditToRequest,
  dispatch,
  EMPTY_BOOK,
  forgetProcessor,
  heldBy,
  markAccepting,
  requested,
  revokeQueued,
  settle,
} from '../../../src/node/job/lease-book.js';
import type { HeldLease } from '../../../src/node/processor/batch-results.js';
import { leaseOf } from './processor-harness.js';

const held = (id: number): HeldLease => ({ lease: leaseOf(id, [`f${id}`]), receivedAtMs: 0 });
const ids = (list: readonly HeldLease[]): number[] => list.map((entry) => entry.lease.miniBatchId);
const given = (dispatches: readonly { index: number; leases: readonly HeldLease[] }[]) =>
  dispatches.map((d) => [d.index, ids(d.leases)]);

describe('lease book', () => {
  it('keeps processors × (1 + prefetch) leases outstanding, counting what processors hold', () => {
    let book = EMPTY_BOOK;
    expect(creditToRequest(book, 4)).toBe(4);
    book = requested(book, 4);
    expect(creditToRequest(book, 4)).toBe(0);
    book = addLeases(book, [held(0), held(1), held(2)]);
    expect(book.pendingCredit).toBe(1);
    expect(creditToRequest(book, 4)).toBe(0);
    book = markAccepting(markAccepting(book, 0), 1);
    const first = dispatch(book, 1);
    expect(given(first.dispatches)).toEqual([
      [0, [0]],
      [1, [1]],
    ]);
    expect(ids(first.book.queue)).toEqual([2]);
    expect(creditToRequest(first.book, 4)).toBe(0);
    book = settle(first.book, new Map([[0, 1]]));
    expect(heldBy(book, 0)).toBe(0);
    expect(busyProcessors(book)).toBe(1);
    expect(creditToRequest(book, 4)).toBe(1);
  });

  it('feeds the processor holding the fewest first, up to the per-processor limit, in ready order', () => {
    let book = markAccepting(markAccepting(markAccepting(EMPTY_BOOK, 2), 0), 2);
    expect(book.accepting).toEqual([2, 0]);
    expect(dispatch(book, 3).dispatches).toEqual([]);
    book = addLeases(book, [held(5)]);
    const one = dispatch(book, 3);
    expect(given(one.dispatches)).toEqual([[2, [5]]]);
    expect(heldBy(one.book, 2)).toBe(1);

    const many = dispatch(addLeases(one.book, [6, 7, 8, 9, 10, 11].map(held)), 3);
    // Processor 0 (holding none) first, then both in turn up to 3 each; one lease stays queued.
    expect(given(many.dispatches)).toEqual([
      [0, [6, 8, 10]],
      [2, [7, 9]],
    ]);
    expect(ids(many.book.queue)).toEqual([11]);
    expect([heldBy(many.book, 0), heldBy(many.book, 2)]).toEqual([3, 3]);
  });

  it('puts bounced leases back at the front and takes their processor off the ready list', () => {
    let book = addLeases(markAccepting(EMPTY_BOOK, 0), [held(1), held(2), held(3)]);
    book = dispatch(book, 2).book;
    book = bounce(book, 0, [held(1), held(2)]);
    expect(ids(book.queue)).toEqual([1, 2, 3]);
    expect(book.accepting).toEqual([]);
    expect(heldBy(book, 0)).toBe(0);
    expect(dispatch(book, 2).dispatches).toEqual([]);
  });

  it('revokes a lease of its own queue; one held by a processor is not its to drop', () => {
    let book = addLeases(markAccepting(EMPTY_BOOK, 3), [held(1), held(2)]);
    book = dispatch(book, 1).book;
    const queued = revokeQueued(book, 102);
    expect(queued.queued).toBe(true);
    expect(ids(queued.book.queue)).toEqual([]);
    expect(revokeQueued(book, 101)).toEqual({ book, queued: false });
  });

  it('forgets a processor and clears the queue and the asked credit, returning what was queued', () => {
    let book = dispatch(addLeases(markAccepting(EMPTY_BOOK, 0), [held(0)]), 1).book;
    book = requested(addLeases(forgetProcessor(book, 0), [held(1)]), 3);
    expect(book.accepting).toEqual([]);
    expect(heldBy(book, 0)).toBe(0);
    const { book: cleared, dropped } = clearQueue(book);
    expect(ids(dropped)).toEqual([1]);
    expect(cleared.queue).toEqual([]);
    expect(cleared.pendingCredit).toBe(0);
  });
});
