/**
 * The cluster machine: the registry of attached nodes. One state, `serving`; what moves it:
 * - `node.hello` (first message of an Attach stream) → the node gets an id (node-id.ts), a `welcome`,
 *   a node-session child watching its liveness, and `node.attached` is emitted. A node that reconnects
 *   with its id replaces a stale stream of the same id (that one is lost first).
 * - `node.activity` (any later message of the stream) → forwarded to the node's session, re-arming
 *   its `nodeLostAfter` timer.
 * - `node.disconnected` (stream ended or errored) and `session.expired` (silence) → the node is lost:
 *   its session stops, its stream is closed, and `node.lost` is emitted so that every step run
 *   re-queues its leases at once.
 *
 * The registry is a Map in the context that actions change in place: step runs read it (through
 * NodeDirectory) synchronously from the handlers of the events this machine emits, before XState has
 * published the next snapshot, so it must already be up to date then.
 */
import type { Logger } from 'pino';
import { enqueueActions, setup } from 'xstate';

import type { NodeHello } from '../../gen/parajob/v1/parajob.js';
import type { NodeConnection } from './node-connection.js';
import type { NodeDirectory, NodeInfo } from './node-directory.js';
import { chooseNodeId } from './node-id.js';
import { nodeSessionMachine } from './node-session.machine.js';

/** A registered node: what it said, its stream, and the id of its session child. */
export interface ClusterNode {
  readonly info: NodeInfo;
  readonly connection: NodeConnection;
  readonly sessionId: string;
}

/** Input of the cluster machine: the heartbeat contract (milliseconds) and the root logger. */
export interface ClusterInput {
  readonly heartbeatIntervalMs: number;
  readonly nodeLostAfterMs: number;
  readonly logger: Logger;
}

/** The cluster machine's context. */
export interface ClusterContext extends ClusterInput {
  /** Live nodes by id, in attach order (changed in place: see the module comment). */
  readonly registry: Map<string, ClusterNode>;
  /** Counts sessions, so a replacement session never reuses a child id. */
  sessionSerial: number;
  /** Every node id ever given → the credential it is bound to ('' anonymous); see node-id.ts. */
  readonly idOwners: Map<string, string>;
}

/** Events the cluster machine receives: from node streams and from its session children. */
export type ClusterEvent =
  | { readonly type: 'node.hello'; readonly hello: NodeHello; readonly connection: HelloConnection }
  | { readonly type: 'node.activity'; readonly nodeId: string; readonly connection: NodeConnection }
  | {
      readonly type: 'node.disconnected';
      readonly nodeId: string;
      readonly connection: NodeConnection;
      readonly reason: string;
    }
  | { readonly type: 'session.expired'; readonly nodeId: string };

/** Events the cluster machine emits for step runs (`actor.on(...)`). */
export type ClusterEmitted =
  | { readonly type: 'node.attached'; readonly node: NodeInfo }
  | { readonly type: 'node.lost'; readonly nodeId: string; readonly reason: string };

/** A new stream's connection: it learns its node id when registered (it routes later messages by it). */
export interface HelloConnection extends NodeConnection {
  registered(nodeId: string): void;
}

/** The cluster machine (see the module comment). */
export const clusterMachine = setup({
  types: {} as { context: ClusterContext; input: ClusterInput; events: ClusterEvent; emitted: ClusterEmitted },
  actors: { nodeSession: nodeSessionMachine },
  guards: {
    /** The event comes from the stream currently registered for its node (not a replaced one). */
    isCurrentStream: ({ context, event }) =>
      'connection' in event && 'nodeId' in event && context.registry.get(event.nodeId)?.connection === event.connection,
    isRegistered: ({ context, event }) => 'nodeId' in event && context.registry.has(event.nodeId),
  },
  actions: {
    registerNode: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'node.hello') return;
      const { hello, connection } = event;
      const owner = connection.owner ?? '';
      const nodeId = chooseNodeId(hello.name, hello.nodeId, new Set(context.registry.keys()), owner, (id) =>
        context.idOwners.get(id),
      );
      if (hello.nodeId !== '' && nodeId !== hello.nodeId)
        context.logger.warn(
          { nodeId, claimed: hello.nodeId },
          'a stream claimed a node id bound to another credential: given a new id',
        );
      context.idOwners.set(nodeId, owner);
      const stale = context.registry.get(nodeId);
      if (stale !== undefined) {
        context.registry.delete(nodeId);
        enqueue.stopChild(stale.sessionId);
        stale.connection.close();
        context.logger.warn({ nodeId }, 'node reconnected; its previous stream is dropped');
        enqueue.emit({ type: 'node.lost', nodeId, reason: 'it reconnected on a new stream' });
      }
      context.sessionSerial += 1;
      const sessionId = `session-${context.sessionSerial}`;
      const info: NodeInfo = {
        nodeId,
        compute: hello.compute || 'local',
        cores: hello.cores,
        gpus: hello.gpus,
        host: hello.host,
        pid: hello.pid,
        jobIds: [...hello.jobIds],
        heldLeases: new Map(hello.heldLeases.map((held) => [held.jobId, held.tokens])),
        attachedAtMs: Date.now(),
      };
      context.registry.set(nodeId, { info, connection, sessionId });
      enqueue.spawnChild('nodeSession', { id: sessionId, input: { nodeId, lostAfterMs: context.nodeLostAfterMs } });
      connection.registered(nodeId);
      connection.send({
        kind: {
          $case: 'welcome',
          value: {
            nodeId,
            heartbeatIntervalMs: context.heartbeatIntervalMs,
            // The node kills its command runs once out of touch this long (proto Welcome).
            sessionTimeoutMs: context.nodeLostAfterMs,
          },
        },
      });
      context.logger.info(
        { nodeId, compute: info.compute, cores: info.cores, host: info.host, pid: info.pid, version: hello.version },
        'node attached',
      );
      enqueue.emit({ type: 'node.attached', node: info });
    }),
    refreshSession: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'node.activity') return;
      const node = context.registry.get(event.nodeId);
      if (node !== undefined) enqueue.sendTo(node.sessionId, { type: 'session.activity' });
    }),
    loseNode: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'node.disconnected' && event.type !== 'session.expired') return;
      const node = context.registry.get(event.nodeId);
      if (node === undefined) return;
      const reason = event.type === 'node.disconnected' ? event.reason : `no message for ${context.nodeLostAfterMs} ms`;
      context.registry.delete(event.nodeId);
      enqueue.stopChild(node.sessionId);
      node.connection.close();
      context.logger.warn({ nodeId: event.nodeId, reason }, 'node lost');
      enqueue.emit({ type: 'node.lost', nodeId: event.nodeId, reason });
    }),
  },
}).createMachine({
  id: 'cluster',
  context: ({ input }) => ({ ...input, registry: new Map(), sessionSerial: 0, idOwners: new Map() }),
  initial: 'serving',
  states: {
    serving: {
      on: {
        'node.hello': { actions: 'registerNode' },
        'node.activity': { guard: 'isCurrentStream', actions: 'refreshSession' },
        'node.disconnected': { guard: 'isCurrentStream', actions: 'loseNode' },
        'session.expired': { guard: 'isRegistered', actions: 'loseNode' },
      },
    },
  },
});

/** A NodeDirectory over a cluster machine's registry. */
export function clusterDirectory(registry: ReadonlyMap<string, ClusterNode>): NodeDirectory {
  return {
    liveNodes: () => [...registry.values()].map((node) => node.info),
    send: (nodeId, message) => registry.get(nodeId)?.connection.send(message) ?? false,
  };
}
