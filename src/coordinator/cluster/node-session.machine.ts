/**
 * The node-session machine: the liveness of one attached node, a child of the cluster machine.
 *
 *   alive ──nodeLostAfter with no message──▶ expired (final; tells the cluster `session.expired`)
 *     ▲ │
 *     └─┘ session.activity (any message from the node re-enters `alive`, re-arming the timer)
 *
 * A node sends a heartbeat every heartbeat interval, so silence for nodeLostAfterMs (3 intervals by
 * default) means the process is hung or the network is gone even though TCP keepalive may not notice.
 */
import { sendParent, setup } from 'xstate';

/** Input of a node session. */
export interface NodeSessionInput {
  readonly nodeId: string;
  /** Silence after which the node is lost, in milliseconds. */
  readonly lostAfterMs: number;
}

/** The node-session machine (see the module comment). */
export const nodeSessionMachine = setup({
  types: {} as {
    context: NodeSessionInput;
    input: NodeSessionInput;
    events: { readonly type: 'session.activity' };
  },
  delays: {
    nodeLostAfter: ({ context }) => context.lostAfterMs,
  },
  actions: {
    reportExpired: sendParent(({ context }) => ({ type: 'session.expired', nodeId: context.nodeId })),
  },
}).createMachine({
  id: 'nodeSession',
  context: ({ input }) => input,
  initial: 'alive',
  states: {
    alive: {
      on: { 'session.activity': { target: 'alive', reenter: true } },
      after: { nodeLostAfter: 'expired' },
    },
    expired: { type: 'final', entry: 'reportExpired' },
  },
});
