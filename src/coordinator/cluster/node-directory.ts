/**
 * What a step run knows of the cluster: the live nodes and a way to talk to one. The cluster machine
 * provides it; step-run tests provide a fake. Keeps the step run free of streams and of the registry.
 */
import type { CoordinatorMessage } from '../../gen/parajob/v1/parajob.js';

/** A live node as registered from its hello. */
export interface NodeInfo {
  /** Given by the coordinator in `welcome`. */
  readonly nodeId: string;
  readonly compute: string;
  readonly cores: number;
  readonly gpus: number;
  readonly host: string;
  readonly pid: number;
  /** Jobs the node said (in hello) it still runs processors for: set after a reconnect. */
  readonly jobIds: readonly string[];
  /**
   * Per wire job id, the lease tokens the node said (in hello) it still answers for: a step run resumed
   * after a coordinator restart keeps these leases live. Absent: none.
   */
  readonly heldLeases?: ReadonlyMap<string, readonly number[]>;
  /** Milliseconds since the epoch. */
  readonly attachedAtMs: number;
}

/** The live nodes and a way to message one. */
export interface NodeDirectory {
  /** The live nodes, in attach order. */
  liveNodes(): readonly NodeInfo[];
  /** Sends a message on a live node's stream; false when the node is not live. */
  send(nodeId: string, message: CoordinatorMessage): boolean;
}
