import { EventEmitter } from 'node:events';

import { describe, expect, it } from 'vitest';

import { BatchOutcome, type BatchResult, type NodeMessage } from '../../../src/gen/parajob/v1/parajob.js';
import { type MessageSink, NodeOutbox } from '../../../src/node/outbox.js';

/** A sink that accepts `capacity` writes before asking for a drain. */
class FakeSink extends EventEmitter implements MessageSink {
  readonly written: NodeMessage[] = [];
  constructor(private capacity = Infinity) {
    super();
  }
  write(message: NodeMessage): boolean {
    this.written.push(message);
    this.capacity -= 1;
    return this.capacity > 0;
  }
  drain(capacity: number): void {
    this.capacity = capacity;
    this.emit('drain');
  }
  kinds(): string[] {
    return this.written.map((message) => message.kind?.$case ?? '');
  }
}

function result(miniBatchId: number): BatchResult {
  return {
    miniBatchId,
    attempt: 1,
    token: miniBatchId,
    outcome: BatchOutcome.BATCH_OUTCOME_COMPLETED,
    total: 1,
    succeeded: 1,
    returned: 1,
    rows: Buffer.alloc(0),
    rowCount: 0,
    errorKind: '',
    errorMessage: '',
    processName: 'process000',
    pid: 1,
    startedAtMs: 0,
    runMs: 0,
    elapsedMs: 0,
  };
}

const nextTurn = (): Promise<void> => new Promise((resolvePromise) => setImmediate(resolvePromise));
const heartbeat: NodeMessage = { kind: { $case: 'heartbeat', value: { seq: 0, sentAtMs: 0, running: 0 } } };

describe('NodeOutbox', () => {
  it('batches one turn of results and lease requests per job into one message each', async () => {
    const outbox = new NodeOutbox();
    const sink = new FakeSink();
    outbox.attach(sink);
    outbox.sendResult('a', result(1));
    outbox.sendResult('b', result(2));
    outbox.sendResult('a', result(3));
    outbox.requestLeases('a', 1);
    outbox.requestLeases('a', 2);
    expect(sink.written).toHaveLength(0);
    await nextTurn();
    expect(sink.written).toEqual([
      { kind: { $case: 'results', value: { jobId: 'a', results: [result(1), result(3)] } } },
      { kind: { $case: 'results', value: { jobId: 'b', results: [result(2)] } } },
      { kind: { $case: 'leaseRequest', value: { jobId: 'a', count: 3 } } },
    ]);
    outbox.sendResult('a', result(4));
    await nextTurn();
    expect(sink.kinds()).toEqual(['results', 'results', 'leaseRequest', 'results']);
  });

  it('writes pending results before a later event, keeping order', () => {
    const outbox = new NodeOutbox();
    const sink = new FakeSink();
    outbox.attach(sink);
    outbox.sendResult('a', result(1));
    outbox.send({ kind: { $case: 'jobLeft', value: { jobId: 'a', reason: 'released: succeeded' } } });
    expect(sink.kinds()).toEqual(['results', 'jobLeft']);
  });

  it('stops writing when write() returns false and resumes on drain', () => {
    const outbox = new NodeOutbox();
    const sink = new FakeSink(2);
    outbox.attach(sink);
    for (let i = 0; i < 5; i++) outbox.send(heartbeat);
    expect(sink.written).toHaveLength(2);
    expect(outbox.backlog).toBe(3);
    sink.drain(10);
    expect(sink.written).toHaveLength(5);
    expect(outbox.backlog).toBe(0);
  });

  it('keeps results, events and job_left while detached, but not lease requests or heartbeats', async () => {
    const outbox = new NodeOutbox();
    outbox.sendResult('a', result(1));
    outbox.requestLeases('a', 4);
    outbox.send(heartbeat);
    outbox.send({ kind: { $case: 'jobLeft', value: { jobId: 'a', reason: 'x' } } });
    await nextTurn();
    const sink = new FakeSink();
    outbox.attach(sink);
    expect(sink.kinds()).toEqual(['results', 'jobLeft']);
  });

  it('flushes everything, backpressure or not, before a clean close', () => {
    const outbox = new NodeOutbox();
    const sink = new FakeSink(1);
    outbox.attach(sink);
    outbox.send(heartbeat);
    outbox.sendResult('a', result(1));
    outbox.send({ kind: { $case: 'jobLeft', value: { jobId: 'a', reason: 'x' } } });
    expect(sink.written).toHaveLength(1);
    outbox.flushAndDetach(sink);
    expect(sink.kinds()).toEqual(['heartbeat', 'results', 'jobLeft']);
    expect(outbox.attached).toBe(false);
  });

  it('keeps written results until acknowledged and writes the unacknowledged ones again, first, on the next stream', async () => {
    const outbox = new NodeOutbox();
    const first = new FakeSink();
    outbox.attach(first);
    outbox.sendResult('a', result(1));
    outbox.sendResult('a', result(2));
    outbox.sendResult('b', result(3));
    await nextTurn();
    expect(outbox.unacknowledged).toBe(3);
    outbox.acknowledge('a', [1]);
    outbox.acknowledge('b', [99]); // an unknown token changes nothing
    expect(outbox.unacknowledged).toBe(2);
    // The stream breaks; a job_left queued meanwhile goes after the results it follows.
    outbox.detach(first);
    outbox.send({ kind: { $case: 'jobLeft', value: { jobId: 'a', reason: 'x' } } });
    const second = new FakeSink();
    outbox.attach(second);
    expect(second.written).toEqual([
      { kind: { $case: 'results', value: { jobId: 'a', results: [result(2)] } } },
      { kind: { $case: 'results', value: { jobId: 'b', results: [result(3)] } } },
      { kind: { $case: 'jobLeft', value: { jobId: 'a', reason: 'x' } } },
    ]);
    // Written again, so kept again until acknowledged.
    expect(outbox.unacknowledged).toBe(2);
    outbox.acknowledge('a', [2]);
    outbox.acknowledge('b', [3]);
    expect(outbox.unacknowledged).toBe(0);
    outbox.detach(second);
    const third = new FakeSink();
    outbox.attach(third);
    expect(third.written).toEqual([]);
  });
});
