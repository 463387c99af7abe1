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
 * Each action is a step: it computes the new registry (pure: admitNode, without), assigns it, then
 * enqueues its effects as named actions with params (close a stream, welcome a node, log) and its emits.
 * Step runs read the registry (through clusterDirectory) from the handlers of the events this machine
 * emits; XState runs those handlers after it has stored the next snapshot, so they see the new registry.
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
  /** Live nodes by id, in attach order (replaced, never changed: see the module comment). */
  readonly registry: ReadonlyMap<string, ClusterNode>;
  /** Counts sessions, so a replacement session never reuses a child id. */
  readonly sessionSerial: number;
  /** Every node id ever given → the credential it is bound to ('' anonymous); see node-id.ts. */
  readonly idOwners: ReadonlyMap<string, string>;
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

/** A hello's connection and what it said (the params of registerNode). */
interface HelloParams {
  readonly hello: NodeHello;
  readonly connection: HelloConnection;
}

/** What a hello changes: the node registered, and the stream it replaces (its id's previous one). */
interface Admission {
  readonly node: ClusterNode;
  readonly connection: HelloConnection;
  readonly version: string;
  readonly stale: ClusterNode | undefined;
  /** The id the stream claimed, when it is bound to another credential (the node got a new id). */
  readonly refusedClaim: string | undefined;
  readonly sessionSerial: number;
  readonly idOwners: ReadonlyMap<string, string>;
}

/** Admits a hello (pure): its node id (node-id.ts), its session id and its NodeInfo. */
function admitNode(context: ClusterContext, { hello, connection }: HelloParams, nowMs: number): Admission {
  const owner = connection.owner ?? '';
  const nodeId = chooseNodeId(hello.name, hello.nodeId, new Set(context.registry.keys()), owner, (id) =>
    context.idOwners.get(id),
  );
  const sessionSerial = context.sessionSerial + 1;
  const info: NodeInfo = {
    nodeId,
    compute: hello.compute || 'local',
    cores: hello.cores,
    gpus: hello.gpus,
    host: hello.host,
    pid: hello.pid,
    jobIds: [...hello.jobIds],
    heldLeases: new Map(hello.heldLeases.map((held) => [held.jobId, held.tokens])),
    attachedAtMs: nowMs,
  };
  return {
    node: { info, connection, sessionId: `session-${sessionSerial}` },
    connection,
    version: hello.version,
    stale: context.registry.get(nodeId),
    refusedClaim: hello.nodeId !== '' && nodeId !== hello.nodeId ? hello.nodeId : undefined,
    sessionSerial,
    idOwners: new Map(context.idOwners).set(nodeId, owner),
  };
}

/** The registry without one node (pure). */
function without(registry: ReadonlyMap<string, ClusterNode>, nodeId: string): ReadonlyMap<string, ClusterNode> {
  const next = new Map(registry);
  next.delete(nodeId);
  return next;
}

/** Why a node went silent, for node.lost. */
function silenceReason(context: ClusterContext): string {
  return `no message for ${context.nodeLostAfterMs} ms`;
}

/** node.lost's reason when a node's id attaches on a new stream. */
const RECONNECTED = 'it reconnected on a new stream';

// Effects: they read their arguments and change nothing in the context.

/** Tells the stream its node id (it routes later messages by it) and the node its id and heartbeat. */
function welcomeNode(context: ClusterContext, admission: Admission): void {
  const { connection, version } = admission;
  const { nodeId, compute, cores, host, pid } = admission.node.info;
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
  context.logger.info({ nodeId, compute, cores, host, pid, version }, 'node attached');
}

/** Closes a lost node's stream and says why it was lost. */
function closeLostStream(context: ClusterContext, node: ClusterNode, reason: string): void {
  node.connection.close();
  context.logger.warn({ nodeId: node.info.nodeId, reason }, 'node lost');
}

/** Closes the stream a reconnected node left behind. */
function closeReplacedStream(context: ClusterContext, node: ClusterNode): void {
  node.connection.close();
  context.logger.warn({ nodeId: node.info.nodeId }, 'node reconnected; its previous stream is dropped');
}

function logRefusedClaim(context: ClusterContext, nodeId: string, claimed: string): void {
  context.logger.warn({ nodeId, claimed }, 'a stream claimed a node id bound to another credential: given a new id');
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
    /**
     * A step: admits the hello (pure), then assigns the registry (the stale stream of the node's id
     * out, the node in, last in attach order), and enqueues the effects: the stale stream's loss, the
     * node's session and welcome, node.attached.
     */
    registerNode: enqueueActions(({ context, enqueue }, params: HelloParams) => {
      const admission = admitNode(context, params, Date.now());
      const { node, stale, refusedClaim } = admission;
      const nodeId = node.info.nodeId;
      if (refusedClaim !== undefined) enqueue(() => logRefusedClaim(context, nodeId, refusedClaim));
      enqueue.assign({
        registry: new Map(without(context.registry, nodeId)).set(nodeId, node),
        idOwners: admission.idOwners,
        sessionSerial: admission.sessionSerial,
      });
      if (stale !== undefined) {
        enqueue.stopChild(stale.sessionId);
        enqueue(() => closeReplacedStream(context, stale));
        enqueue.emit({ type: 'node.lost', nodeId, reason: RECONNECTED });
      }
      enqueue.spawnChild('nodeSession', {
        id: node.sessionId,
        input: { nodeId, lostAfterMs: context.nodeLostAfterMs },
      });
      enqueue(() => welcomeNode(context, admission));
      enqueue.emit({ type: 'node.attached', node: node.info });
    }),
    refreshSession: enqueueActions(({ context, enqueue }, params: { readonly nodeId: string }) => {
      const node = context.registry.get(params.nodeId);
      if (node !== undefined) enqueue.sendTo(node.sessionId, { type: 'session.activity' });
    }),
    /** A step: the node leaves the registry; its session stops, its stream closes, step runs hear node.lost. */
    loseNode: enqueueActions(({ context, enqueue }, params: { readonly nodeId: string; readonly reason: string }) => {
      const node = context.registry.get(params.nodeId);
      if (node === undefined) return;
      enqueue.assign({ registry: without(context.registry, params.nodeId) });
      enqueue.stopChild(node.sessionId);
      enqueue(() => closeLostStream(context, node, params.reason));
      enqueue.emit({ type: 'node.lost', nodeId: params.nodeId, reason: params.reason });
    }),
  },
}).createMachine({
  id: 'cluster',
  context: ({ input }) => ({ ...input, registry: new Map(), sessionSerial: 0, idOwners: new Map() }),
  initial: 'serving',
  states: {
    serving: {
      on: {
        'node.hello': { actions: { type: 'registerNode', params: ({ event }) => event } },
        'node.activity': {
          guard: 'isCurrentStream',
          actions: { type: 'refreshSession', params: ({ event }) => event },
        },
        'node.disconnected': { guard: 'isCurrentStream', actions: { type: 'loseNode', params: ({ event }) => event } },
        'session.expired': {
          guard: 'isRegistered',
          actions: {
            type: 'loseNode',
            params: ({ context, event }) => ({ nodeId: event.nodeId, reason: silenceReason(context) }),
          },
        },
      },
    },
  },
});

/** A NodeDirectory over a cluster machine's registry (read at each call: the machine replaces it). */
export function clusterDirectory(registry: () => ReadonlyMap<string, ClusterNode>): NodeDirectory {
  return {
    liveNodes: () => [...registry().values()].map((node) => node.info),
    send: (nodeId, message) => registry().get(nodeId)?.connection.send(message) ?? false,
  };
}
