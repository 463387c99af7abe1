import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';

import { parseNodeChaosPlan } from '../../../src/chaos/node-plan.js';
import type { BatchResult, NodeMessage } from '../../../src/gen/parajob/v1/parajob.js';
import { NodeChaosAgent } from '../../../src/node/node-chaos.js';
import { type MessageSink, NodeOutbox } from '../../../src/node/outbox.js';

const silent = pino({ level: 'silent' });

function resultsMessage(count: number): NodeMessage {
  return {
    kind: {
      $case: 'results',
      value: { jobId: 'j', results: Array.from({ length: count }, () => ({}) as BatchResult) },
    },
  };
}

const heartbeat: NodeMessage = { kind: { $case: 'heartbeat', value: { seq: 0, sentAtMs: 0, running: 0 } } };

describe('NodeChaosAgent', () => {
  it('kills the node once the cue count of results has been written, once', async () => {
    const kill = vi.fn();
    const agent = new NodeChaosAgent(parseNodeChaosPlan('kill-node:after=3'), silent, { kill });
    agent.written(resultsMessage(2));
    agent.written(heartbeat);
    await new Promise((resolve) => setImmediate(resolve));
    expect(kill).not.toHaveBeenCalled();
    agent.written(resultsMessage(2));
    agent.written(resultsMessage(1));
    await vi.waitFor(() => expect(kill).toHaveBeenCalledTimes(1));
  });

  it('drops heartbeats (only) during a mute window that opens on its cue', () => {
    let now = 1_000;
    const agent = new NodeChaosAgent(parseNodeChaosPlan('mute-heartbeats:after=2:for=500'), silent, {
      nowMs: () => now,
      kill: () => undefined,
    });
    expect(agent.allows(heartbeat)).toBe(true);
    agent.written(resultsMessage(2));
    expect(agent.allows(heartbeat)).toBe(false);
    expect(agent.allows(resultsMessage(1))).toBe(true);
    now += 499;
    expect(agent.allows(heartbeat)).toBe(false);
    now += 1;
    expect(agent.allows(heartbeat)).toBe(true);
  });

  it('sits in the outbox: a vetoed heartbeat is never written, written results are counted', async () => {
    const kill = vi.fn();
    const outbox = new NodeOutbox(
      new NodeChaosAgent(parseNodeChaosPlan('kill-node:after=2; mute-heartbeats:after=0:for=60000'), silent, { kill }),
    );
    const written: NodeMessage[] = [];
    const sink: MessageSink = {
      write: (message) => (written.push(message), true),
      once: () => undefined,
      removeListener: () => undefined,
    };
    outbox.attach(sink);
    outbox.send(heartbeat);
    outbox.sendResult('j', {} as BatchResult);
    outbox.sendResult('j', {} as BatchResult);
    await vi.waitFor(() => expect(kill).toHaveBeenCalledTimes(1));
    expect(written.map((message) => message.kind?.$case)).toEqual(['results']);
  });

  it('lets exactly the cue count of results leave, even when the cue falls inside one batch', async () => {
    const kill = vi.fn();
    const outbox = new NodeOutbox(new NodeChaosAgent(parseNodeChaosPlan('kill-node:after=3'), silent, { kill }));
    const written: NodeMessage[] = [];
    const sink: MessageSink = {
      write: (message) => (written.push(message), true),
      once: () => undefined,
      removeListener: () => undefined,
    };
    outbox.attach(sink);
    outbox.sendResult('j', {} as BatchResult);
    await new Promise((resolve) => setImmediate(resolve));
    for (let i = 0; i < 4; i++) outbox.sendResult('j', {} as BatchResult);
    await vi.waitFor(() => expect(kill).toHaveBeenCalledTimes(1));
    outbox.send(heartbeat);
    outbox.flushAndDetach(sink);
    const counts = written.map((message) =>
      message.kind?.$case === 'results' ? message.kind.value.results.length : 0,
    );
    expect(counts).toEqual([1, 2]);
  });
});
