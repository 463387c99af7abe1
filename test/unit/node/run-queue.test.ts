import { describe, expect, it } from 'vitest';

import type { HeldLease } from '../../../src/node/processor/batch-results.js';
import {
  addLeases,
  EMPTY_RUN_QUEUE,
  endCurrent,
  keepTable,
  locate,
  markStarted,
  pipeline,
  recall,
  revoke,
  type RunQueue,
  settle,
  takeNext,
  takeQueue,
} from '../../../src/node/processor/run-queue.js';
import { leaseOf } from './processor-harness.js';

const held = (id: number): HeldLease => ({ lease: leaseOf(id, [`f${id}`]), receivedAtMs: 0 });
const ids = (list: readonly { readonly lease: { readonly miniBatchId: number } }[]): number[] =>
  list.map((entry) => entry.lease.miniBatchId);
const answer = (id: number, runMs = 1) => ({ miniBatchId: id, attempt: 1, runMs });
const everything = { closing: false, pipelinable: () => true };

/** A queue whose current run (id `current`) is with the worker and whose last run was short. */
function running(current: number, ahead: number[], queue: number[]): RunQueue {
  return {
    current: { held: held(current), startedAtMs: 10, sent: true, revoked: false },
    ahead: ahead.map((id) => ({ held: held(id), revoked: false })),
    queue: queue.map(held),
    lastRunShort: true,
  };
}

describe('run queue', () => {
  it('queues leases in order and takes the head as the current run, unsent, timed from now', () => {
    const runs = takeNext(addLeases(addLeases(EMPTY_RUN_QUEUE, [held(1), held(2)]), [held(3)]), 500);
    expect(runs.current).toEqual({ held: held(1), startedAtMs: 500, sent: false, revoked: false });
    expect(ids(runs.queue)).toEqual([2, 3]);
    expect(takeNext(EMPTY_RUN_QUEUE, 1)).toBe(EMPTY_RUN_QUEUE);
  });

  it('keeps a loaded table on the current run and restamps its start when running begins', () => {
    const table = { rowCount: 2, json: new Uint8Array([1]) };
    const runs = markStarted(keepTable(takeNext(addLeases(EMPTY_RUN_QUEUE, [held(1)]), 5), table), 9);
    expect(runs.current).toMatchObject({ table, startedAtMs: 9 });
    expect(keepTable(EMPTY_RUN_QUEUE, table)).toBe(EMPTY_RUN_QUEUE);
  });

  it.each([
    // [case, last run short, closing, pipelinable ids, sent ids, ahead after, queue after]
    ['a first run of a worker: only the current run', false, false, [2, 3], [1], [], [2, 3]],
    ['short runs: the whole queue behind it', true, false, [2, 3], [1, 2, 3], [2, 3], []],
    ['up to the first lease that needs loading', true, false, [2], [1, 2], [2], [3]],
    ['a worker told to stop: nothing new behind it', true, true, [2, 3], [1], [], [2, 3]],
  ] as const)('pipeline, %s', (_, lastRunShort, closing, pipelinable, sent, ahead, queue) => {
    const start = { ...takeNext(addLeases(EMPTY_RUN_QUEUE, [held(1), held(2), held(3)]), 0), lastRunShort };
    const loadsFirst = (h: HeldLease): boolean => !(pipelinable as readonly number[]).includes(h.lease.miniBatchId);
    const out = pipeline(start, { closing, pipelinable: (h) => !loadsFirst(h) });
    expect(ids(out.send.map((run) => run.held))).toEqual(sent);
    expect(out.runs.current?.sent).toBe(true);
    expect(ids(out.runs.ahead.map((run) => run.held))).toEqual(ahead);
    expect(ids(out.runs.queue)).toEqual(queue);
  });

  it('sends nothing for a current run already with the worker and an empty queue', () => {
    const runs = running(1, [2], []);
    expect(pipeline(runs, everything)).toEqual({ runs, send: [] });
  });

  it('settles answers in order: each ends the current run, the first ahead becomes current, timed from now', () => {
    const { runs, settled, strays } = settle(running(1, [2, 3], [4]), [answer(1), answer(2, 50)], 700);
    expect(settled.map(({ run, answer: a }) => [run.held.lease.miniBatchId, a.miniBatchId])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(settled[0]?.run.startedAtMs).toBe(10);
    expect(strays).toEqual([]);
    expect(runs.current).toEqual({ held: held(3), startedAtMs: 700, sent: true, revoked: false });
    expect(ids(runs.ahead.map((run) => run.held))).toEqual([]);
    expect(ids(runs.queue)).toEqual([4]);
    // The last answer took 50 ms, beyond SHORT_RUN_MS: nothing more is pipelined behind the next run.
    expect(runs.lastRunShort).toBe(false);
  });

  it('drops an answer that is not the current run as a stray, changing nothing', () => {
    const before = running(1, [], []);
    const out = settle(before, [answer(9)], 1);
    expect(out.runs).toBe(before);
    expect(out.strays).toEqual([{ answer: answer(9), expected: 1 }]);
    expect(settle(EMPTY_RUN_QUEUE, [answer(1)], 1).strays).toEqual([{ answer: answer(1), expected: undefined }]);
  });

  it.each([
    // [case, token, place, released, current after, ahead after (id:revoked), queue after]
    ['the current run ends, released', 101, 'current', 1, undefined, ['2:false', '3:false'], [4]],
    ['a run ahead is marked: its worker has it', 103, 'ahead', 0, 1, ['2:false', '3:true'], [4]],
    ['a queued lease is dropped, released', 104, 'queued', 1, 1, ['2:false', '3:false'], []],
    ['a lease it does not hold changes nothing', 199, undefined, 0, 1, ['2:false', '3:false'], [4]],
  ] as const)('revoke: %s', (_, token, place, released, current, ahead, queue) => {
    const before = running(1, [2, 3], [4]);
    expect(locate(before, token)).toBe(place);
    const out = revoke(before, token);
    expect(out.released).toBe(released);
    expect(out.runs.current?.held.lease.miniBatchId).toBe(current);
    expect(out.runs.ahead.map((run) => `${run.held.lease.miniBatchId}:${run.revoked}`)).toEqual(ahead);
    expect(ids(out.runs.queue)).toEqual(queue);
  });

  it('a revoked run ahead stays revoked when it becomes current', () => {
    const { runs } = settle(revoke(running(1, [2], []), 102).runs, [answer(1)], 5);
    expect(runs.current).toMatchObject({ held: held(2), revoked: true });
  });

  it('recalls the runs ahead of a dead worker to the front of the queue, releasing the revoked ones', () => {
    const before = revoke(running(1, [2, 3, 4], [5]), 103).runs;
    const { runs, released } = recall(endCurrent(before));
    expect(released).toBe(1);
    expect(runs.current).toBeUndefined();
    expect(runs.ahead).toEqual([]);
    expect(ids(runs.queue)).toEqual([2, 4, 5]);
    // The next worker's pace is unknown.
    expect(runs.lastRunShort).toBe(false);
    expect(recall(running(1, [], [])).runs.lastRunShort).toBe(false);
  });

  it('takes the whole queue, leaving the current run and the runs ahead', () => {
    const { runs, taken } = takeQueue(running(1, [2], [3, 4]));
    expect(ids(taken)).toEqual([3, 4]);
    expect(runs.queue).toEqual([]);
    expect(runs.current?.held.lease.miniBatchId).toBe(1);
    expect(runs.ahead).toHaveLength(1);
    const empty = running(1, [], []);
    expect(takeQueue(empty)).toEqual({ runs: empty, taken: [] });
  });
});
