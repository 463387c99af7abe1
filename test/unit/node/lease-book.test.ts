import { describe, expect, it } from 'vitest';
import type { HeldLease } from '../../../src/node/batch-results.js';
import {
  addLeases,
  bounce,
  clearQueue,
  creditToRequest,
  dispatch,
  EMPTY_BOOK,
  finishRun,
  forgetProcessor,
  markIdle,
  requested,
  revoke,
} from '../../../src/node/lease-book.js';
import { leaseOf } from './processor-harness.js';

const held = (id: number): HeldLease => ({ lease: leaseOf(id, [`f${id}`]), receivedAtMs: 0 });
const ids = (list: readonly HeldLease[]): number[] => list.map((entry) => entry.lease.miniBatchId);

describe('lease book', () => {
  it('keeps processors × (1 + prefetch) leases outstanding', () => {
    let book = EMPTY_BOOK;
    expect(creditToRequest(book, 4)).toBe(4);
    book = requested(book, 4);
    expect(creditToRequest(book, 4)).toBe(0);
    book = addLeases(book, [held(0), held(1), held(2)]);
    expect(book.pendingCredit).toBe(1);
    expect(creditToRequest(book, 4)).toBe(0);
    book = markIdle(markIdle(book, 0), 1);
    const first = dispatch(book);
    expect(first.dispatches.map((d) => [d.index, d.held.lease.miniBatchId])).toEqual([
      [0, 0],
      [1, 1],
    ]);
    book = finishRun(first.book, 0);
    expect(creditToRequest(book, 4)).toBe(1);
  });

  it('dispatches first come first served and only while both queue and idle processors exist', () => {
    let book = markIdle(markIdle(markIdle(EMPTY_BOOK, 2), 0), 2);
    expect(book.idle).toEqual([2, 0]);
    expect(dispatch(book).dispatches).toEqual([]);
    book = addLeases(book, [held(5)]);
    const { book: after, dispatches } = dispatch(book);
    expect(dispatches).toEqual([{ index: 2, held: held(5) }]);
    expect(after.idle).toEqual([0]);
    expect(after.running.get(2)).toEqual(held(5));
  });

  it('puts a bounced lease back at the front and takes its processor off the idle list', () => {
    let book = addLeases(markIdle(EMPTY_BOOK, 0), [held(1), held(2)]);
    book = dispatch(book).book;
    book = bounce(markIdle(book, 0), 0, held(1));
    expect(ids(book.queue)).toEqual([1, 2]);
    expect(book.idle).toEqual([]);
    expect(book.running.size).toBe(0);
  });

  it('revokes a queued lease by dropping it, a running one by naming its processor', () => {
    let book = addLeases(markIdle(EMPTY_BOOK, 3), [held(1), held(2)]);
    book = dispatch(book).book;
    const queued = revoke(book, 102);
    expect(ids(queued.book.queue)).toEqual([]);
    expect(queued.runningOn).toBeUndefined();
    const running = revoke(book, 101);
    expect(running.runningOn).toBe(3);
    expect(running.book.running.size).toBe(0);
    expect(revoke(book, 999)).toEqual({ book, runningOn: undefined });
  });

  it('clears the queue and the asked credit, returning what was queued', () => {
    const book = requested(addLeases(forgetProcessor(markIdle(EMPTY_BOOK, 0), 0), [held(1)]), 3);
    expect(book.idle).toEqual([]);
    const { book: cleared, dropped } = clearQueue(book);
    expect(ids(dropped)).toEqual([1]);
    expect(cleared.queue).toEqual([]);
    expect(cleared.pendingCredit).toBe(0);
  });
});
