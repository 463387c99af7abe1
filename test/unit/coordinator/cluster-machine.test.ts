import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor } from 'xstate';

import {
  clusterDirectory,
  type ClusterEmitted,
  clusterMachine,
  type HelloConnection,
} from '../../../src/coordinator/cluster/cluster.machine.js';
import { chooseNodeId } from '../../../src/coordinator/cluster/node-id.js';
import type { CoordinatorMessage, NodeHello } from '../../../src/gen/parajob/v1/parajob.js';

class FakeConnection implements HelloConnection {
  static serials = 0;
  readonly serial = ++FakeConnection.serials;
  readonly sent: CoordinatorMessage[] = [];
  nodeId: string | undefined;
  isOpen = true;
  registered(nodeId: string): void {
    this.nodeId = nodeId;
  }
  send(message: CoordinatorMessage): boolean {
    this.sent.push(message);
    return this.isOpen;
  }
  close(): void {
    this.isOpen = false;
  }
}

function hello(name: string, nodeId = ''): NodeHello {
  return {
    name,
    compute: 'local',
    cores: 4,
    gpus: 0,
    host: 'h',
    pid: 1,
    version: 'v',
    nodeId,
    jobIds: [],
    heldLeases: [],
  };
}

describe('chooseNodeId', () => {
  it.each([
    { name: 'n1', previous: '', live: [], id: 'n1' },
    { name: 'n1', previous: '', live: ['n1'], id: 'n1-2' },
    { name: 'n1', previous: '', live: ['n1', 'n1-2'], id: 'n1-3' },
    { name: '', previous: '', live: [], id: 'node' },
    { name: 'my host/1', previous: '', live: [], id: 'my-host-1' },
    { name: 'other', previous: 'n1', live: ['n1'], id: 'n1' },
  ])('$name (previous $previous, live $live) → $id', ({ name, previous, live, id }) => {
    expect(chooseNodeId(name, previous, new Set(live))).toBe(id);
  });

  it.each([
    { name: 'x', previous: 'n1', owner: 'B', owners: { n1: 'A' }, id: 'x' },
    { name: 'n1', previous: 'n1', owner: 'B', owners: { n1: 'A' }, id: 'n1-2' },
    { name: 'n1', previous: 'n1', owner: 'A', owners: { n1: 'A' }, id: 'n1' },
    { name: 'n1', previous: '', owner: 'B', owners: { n1: 'A', 'n1-2': 'C' }, id: 'n1-3' },
  ])('an id bound to another credential is never handed over: $owner asking $previous/$name → $id', (row) => {
    const owners = new Map(Object.entries(row.owners));
    expect(chooseNodeId(row.name, row.previous, new Set(), row.owner, (id) => owners.get(id))).toBe(row.id);
  });
});

describe('cluster machine', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function start() {
    const actor = createActor(clusterMachine, {
      input: { heartbeatIntervalMs: 100, nodeLostAfterMs: 300, logger: pino({ level: 'silent' }) },
    });
    const emitted: ClusterEmitted[] = [];
    actor.on('*', (event) => emitted.push(event));
    actor.subscribe({ error: () => undefined });
    actor.start();
    return { actor, emitted, directory: clusterDirectory(() => actor.getSnapshot().context.registry) };
  }

  it('welcomes a node (telling it the session timeout), keeps it while it talks, and loses it after nodeLostAfterMs of silence', async () => {
    const { actor, emitted, directory } = start();
    const connection = new FakeConnection();
    actor.send({ type: 'node.hello', hello: hello('n1'), connection });
    expect(connection.sent[0]).toEqual({
      kind: { $case: 'welcome', value: { nodeId: 'n1', heartbeatIntervalMs: 100, sessionTimeoutMs: 300 } },
    });
    expect(directory.liveNodes().map((node) => node.nodeId)).toEqual(['n1']);

    for (let i = 0; i < 5; i++) {
      await vi.advanceTimersByTimeAsync(250);
      actor.send({ type: 'node.activity', nodeId: 'n1', connection });
    }
    expect(emitted.map((event) => event.type)).toEqual(['node.attached']);

    await vi.advanceTimersByTimeAsync(300);
    expect(emitted.at(-1)).toEqual({ type: 'node.lost', nodeId: 'n1', reason: 'no message for 300 ms' });
    expect(directory.liveNodes()).toEqual([]);
    expect(connection.isOpen).toBe(false);
  });

  it('loses a node whose stream ended, but ignores the end of a stream it replaced', () => {
    const { actor, emitted } = start();
    const first = new FakeConnection();
    actor.send({ type: 'node.hello', hello: hello('n1'), connection: first });
    const second = new FakeConnection();
    actor.send({ type: 'node.hello', hello: hello('n1', 'n1'), connection: second });
    expect(second.nodeId).toBe('n1');
    expect(first.isOpen).toBe(false);
    expect(emitted.map((event) => event.type)).toEqual(['node.attached', 'node.lost', 'node.attached']);

    actor.send({ type: 'node.disconnected', nodeId: 'n1', connection: first, reason: 'old stream' });
    expect(emitted).toHaveLength(3);
    actor.send({ type: 'node.disconnected', nodeId: 'n1', connection: second, reason: 'stream ended' });
    expect(emitted.at(-1)).toEqual({ type: 'node.lost', nodeId: 'n1', reason: 'stream ended' });
  });

  it('gives a second node with the same name a suffixed id', () => {
    const { actor } = start();
    const a = new FakeConnection();
    const b = new FakeConnection();
    actor.send({ type: 'node.hello', hello: hello('worker'), connection: a });
    actor.send({ type: 'node.hello', hello: hello('worker'), connection: b });
    expect([a.nodeId, b.nodeId]).toEqual(['worker', 'worker-2']);
  });
});
