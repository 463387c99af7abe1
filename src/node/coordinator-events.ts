/**
 * What the coordinator says to a node, as typed events (cluster-stream.ts turns each CoordinatorMessage
 * into one), and the replies a node makes at once, without a job or command to ask: plain data built by
 * pure functions, sent by the node machine's named actions.
 */
import type {
  CommandRun,
  CoordinatorMessage,
  HostSample,
  JobAssignment,
  Lease,
  NodeMessage,
} from '../gen/parajob/v1/parajob.js';
import { NOT_RUN, returnedResult } from './processor/batch-results.js';

/** One coordinator message other than `welcome`, as a node machine event. */
export type CoordinatorEvent =
  | { readonly type: 'coordinator.assign'; readonly assignment: JobAssignment }
  | { readonly type: 'coordinator.leases'; readonly jobId: string; readonly leases: readonly Lease[] }
  | { readonly type: 'coordinator.revoke'; readonly jobId: string; readonly token: number }
  | { readonly type: 'coordinator.release'; readonly jobId: string; readonly reason: string }
  | { readonly type: 'coordinator.commandRun'; readonly run: CommandRun }
  | { readonly type: 'coordinator.commandCancel'; readonly jobId: string; readonly reason: string }
  | { readonly type: 'coordinator.resultsAck'; readonly jobId: string; readonly tokens: readonly number[] };

/** The event for `message`; undefined for `welcome` (the stream handles it) and for an empty message. */
export function coordinatorEventOf(message: CoordinatorMessage): CoordinatorEvent | undefined {
  const kind = message.kind;
  switch (kind?.$case) {
    case 'assign':
      return { type: 'coordinator.assign', assignment: kind.value };
    case 'leases':
      return { type: 'coordinator.leases', jobId: kind.value.jobId, leases: kind.value.leases };
    case 'revoke':
      return { type: 'coordinator.revoke', jobId: kind.value.jobId, token: kind.value.token };
    case 'release':
      return { type: 'coordinator.release', jobId: kind.value.jobId, reason: kind.value.reason };
    case 'commandRun':
      return { type: 'coordinator.commandRun', run: kind.value };
    case 'commandCancel':
      return { type: 'coordinator.commandCancel', jobId: kind.value.jobId, reason: kind.value.reason };
    case 'resultsAck':
      return { type: 'coordinator.resultsAck', jobId: kind.value.jobId, tokens: kind.value.tokens };
    default:
      return undefined;
  }
}

/** Leases for a job this node does not serve, handed straight back to the queue. */
export function unservedLeaseReplies(jobId: string, leases: readonly Lease[], nowMs: number) {
  return leases.map((lease) => ({
    jobId,
    result: returnedResult({ lease, receivedAtMs: nowMs }, NOT_RUN, 'node does not serve this job'),
  }));
}

/** A release for a job not running here: nothing to stop, so the coordinator need not wait for this node. */
export function notRunningJobLeft(jobId: string): NodeMessage {
  return { kind: { $case: 'jobLeft', value: { jobId, reason: 'released: not running here' } } };
}

/** A cancel for a command not running here: it ended, as far as this node knows. */
export function notRunningCommandEnded(jobId: string, nowMs: number): NodeMessage {
  return {
    kind: {
      $case: 'commandEnded',
      value: {
        jobId,
        exitCode: -1,
        signal: '',
        timedOut: false,
        cancelled: true,
        errorMessage: 'not running here',
        outputTail: '',
        // No run's attempt: the answer to a cancel, whichever run it meant.
        attempt: 0,
        startedAtMs: 0,
        endedAtMs: nowMs,
      },
    },
  };
}

/** A heartbeat: its sequence number, when it was sent and how many mini-batches run on this node. */
export function heartbeat(seq: number, running: number, nowMs: number, host?: HostSample): NodeMessage {
  return { kind: { $case: 'heartbeat', value: { seq, sentAtMs: nowMs, running, host } } };
}
