/**
 * The node's `Cluster.Attach` stream as an XState callback actor, invoked by the node machine while
 * attached: it opens the stream, writes `hello`, hands the stream to the outbox on `welcome`, and
 * turns what the coordinator says (typed, coordinator-events.ts), and the stream's end, into events.
 * Stopping the actor half-closes the stream after the outbox's last writes (job_left on a clean stop),
 * and cancels it if the coordinator does not finish it soon after.
 */
import { fromCallback } from 'xstate';

import type { ClusterClient, CoordinatorMessage, NodeHello } from '../gen/parajob/v1/parajob.js';
import { type CoordinatorEvent, coordinatorEventOf } from './coordinator-events.js';
import type { NodeOutbox } from './outbox.js';

/** How long a half-closed stream may take to finish before it is cancelled. */
const CLOSE_GRACE_MS = 2_000;

export interface ClusterStreamInput {
  readonly client: ClusterClient;
  readonly hello: NodeHello;
  readonly outbox: NodeOutbox;
  /** Receives a promise that settles when this stream has fully ended (for a clean stop). */
  readonly track: (ended: Promise<void>) => void;
}

/** Events the actor sends to the node machine. */
export type ClusterStreamEvent =
  | {
      readonly type: 'stream.welcome';
      readonly nodeId: string;
      readonly heartbeatIntervalMs: number;
      /** 0: not told. */
      readonly sessionTimeoutMs: number;
    }
  | CoordinatorEvent
  | { readonly type: 'stream.closed'; readonly reason: string };

/** The callback actor logic; see the module comment. */
export const clusterStreamActor = fromCallback<{ readonly type: 'stream.noop' }, ClusterStreamInput>(
  ({ input, sendBack }) => {
    let open = true;
    let ended = false;
    const emit = (event: ClusterStreamEvent): void => {
      if (open) sendBack(event);
    };
    const call = input.client.attach();
    input.track(
      new Promise<void>((resolvePromise) => {
        call.on('status', () => resolvePromise());
        call.on('close', () => resolvePromise());
      }),
    );
    call.on('data', (message: CoordinatorMessage) => {
      if (message.kind?.$case === 'welcome') {
        input.outbox.attach(call);
        emit({
          type: 'stream.welcome',
          nodeId: message.kind.value.nodeId,
          heartbeatIntervalMs: message.kind.value.heartbeatIntervalMs,
          sessionTimeoutMs: message.kind.value.sessionTimeoutMs,
        });
      } else {
        const event = coordinatorEventOf(message);
        if (event !== undefined) emit(event);
      }
    });
    call.on('error', (error: Error) => {
      ended = true;
      input.outbox.detach(call);
      emit({ type: 'stream.closed', reason: error.message });
    });
    call.on('end', () => {
      ended = true;
      input.outbox.detach(call);
      emit({ type: 'stream.closed', reason: 'the coordinator ended the stream' });
    });
    call.write({ kind: { $case: 'hello', value: input.hello } });
    return () => {
      open = false;
      if (ended) return;
      input.outbox.flushAndDetach(call);
      call.end();
      setTimeout(() => call.cancel(), CLOSE_GRACE_MS).unref();
    };
  },
);
