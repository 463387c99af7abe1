/**
 * The node's channels to its coordinator, one per address it was given (`--coordinator a:1,b:2`: an
 * active coordinator and its standbys, src/rpc/coordinator-list.ts). The node machine's connect step
 * calls `connect()`, which dials every address and makes the first that answers the current one;
 * the stream and code fetches then use its clients. With one address it waits for that channel, as
 * before.
 */
import type { Dial } from '../auth/dial.js';
import { ClusterClient, CodeClient, InputsClient } from '../gen/parajob/v1/parajob.js';
import { firstReady } from '../rpc/coordinator-list.js';

interface Channels {
  readonly address: string;
  readonly cluster: ClusterClient;
  readonly code: CodeClient;
  readonly inputs: InputsClient;
}

/**
 * gRPC's own reconnect backoff of a refused channel starts at 1 s and grows to 2 min: a standby that
 * takes over would be found late. With several addresses the channels retry briskly instead.
 */
const FAILOVER_CHANNEL_OPTIONS = {
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1_000,
};

/**
 * The Inputs channel's receive window, in bytes (grpc-js's default, 64 KiB, costs a round trip per
 * 64 KiB of an input file). Its own options give it its own connection: input bytes do not queue
 * behind or ahead of the cluster stream.
 */
const INPUT_FLOW_CONTROL_WINDOW = 16 * 1024 * 1024;

/** See the module comment. */
export class CoordinatorDialer {
  private readonly channels: Channels[];
  private current: Channels;

  constructor(addresses: readonly string[], dial: Dial) {
    const options = addresses.length > 1 ? { ...dial.options, ...FAILOVER_CHANNEL_OPTIONS } : dial.options;
    this.channels = addresses.map((address) => ({
      address,
      cluster: new ClusterClient(address, dial.credentials, options),
      code: new CodeClient(address, dial.credentials, options),
      inputs: new InputsClient(address, dial.credentials, {
        ...options,
        'grpc-node.flow_control_window': INPUT_FLOW_CONTROL_WINDOW,
      }),
    }));
    const first = this.channels[0];
    if (first === undefined) throw new TypeError('a node needs at least one coordinator address');
    this.current = first;
  }

  /** The address of the coordinator in use (the last that answered). */
  get address(): string {
    return this.current.address;
  }

  /** The Cluster client of the coordinator in use. */
  get cluster(): ClusterClient {
    return this.current.cluster;
  }

  /** The Code client of the coordinator in use. */
  get code(): CodeClient {
    return this.current.code;
  }

  /** The Inputs client of the coordinator in use (input files the node does not see). */
  get inputs(): InputsClient {
    return this.current.inputs;
  }

  /** Resolves once a coordinator answers (it becomes the one in use); rejects after `timeoutMs`. */
  async connect(timeoutMs: number): Promise<void> {
    const index = await firstReady(
      this.channels.map((channels) => channels.cluster),
      timeoutMs,
    );
    this.current = this.channels[index] as Channels;
  }

  close(): void {
    for (const channels of this.channels) {
      channels.cluster.close();
      channels.code.close();
      channels.inputs.close();
    }
  }
}
