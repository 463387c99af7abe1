/**
 * The coordinator's end of one node's Attach stream: sends CoordinatorMessages respecting
 * back-pressure (when `write()` returns false, later messages wait in order for 'drain'), and closes.
 */
import type { ServerDuplexStream } from '@grpc/grpc-js';

import type { CoordinatorMessage, NodeMessage } from '../../gen/parajob/v1/parajob.js';

/** What the cluster and step runs need of a node's stream. */
export interface NodeConnection {
  /** Process-unique number of the stream (a reconnecting node gets a new connection). */
  readonly serial: number;
  /** Queues a message; false when the stream is closed. */
  send(message: CoordinatorMessage): boolean;
  /** Ends the stream (idempotent). */
  close(): void;
  readonly isOpen: boolean;
  /**
   * Who opened the stream: the id of the credential it authenticated with (src/auth), '' or
   * undefined when anonymous. A node id stays bound to the credential that first registered it.
   */
  readonly owner?: string;
}

let nextSerial = 1;

/** A NodeConnection over a grpc-js server duplex stream. */
export class GrpcNodeConnection implements NodeConnection {
  readonly serial = nextSerial++;
  private readonly outbox: CoordinatorMessage[] = [];
  private blocked = false;
  private open = true;
  private registeredId: string | undefined;

  constructor(
    private readonly call: ServerDuplexStream<NodeMessage, CoordinatorMessage>,
    readonly owner = '',
  ) {
    call.on('drain', () => this.drain());
    call.on('close', () => {
      this.open = false;
    });
  }

  /** The node id given in `welcome`; undefined until the hello is registered. */
  get nodeId(): string | undefined {
    return this.registeredId;
  }

  registered(nodeId: string): void {
    this.registeredId = nodeId;
  }

  get isOpen(): boolean {
    return this.open;
  }

  send(message: CoordinatorMessage): boolean {
    if (!this.open) return false;
    if (this.blocked) this.outbox.push(message);
    else if (!this.call.write(message)) this.blocked = true;
    return true;
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.outbox.length = 0;
    this.call.end();
  }

  private drain(): void {
    this.blocked = false;
    while (this.open && !this.blocked && this.outbox.length > 0) {
      if (!this.call.write(this.outbox.shift() as CoordinatorMessage)) this.blocked = true;
    }
  }
}
