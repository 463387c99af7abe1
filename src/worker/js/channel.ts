/**
 * The worker's end of the protocol socket (file descriptor 3, see ../protocol.ts): decodes frames
 * from the host and writes frames back. Only the protocol module is imported, so the worker loads
 * nothing of the node.
 */
import { Socket } from 'node:net';
import { FrameDecoder, PROTOCOL_FD, encodeFrame, type HostMessage, type WorkerMessage } from '../protocol.js';

/** What the worker does with the host's messages and with the end of the socket. */
export interface ChannelHandlers {
  /** Called once per message, in arrival order; the next call waits until the returned promise settles. */
  readonly onMessage: (message: HostMessage) => Promise<void>;
  /** The host closed its end (it is gone, or it wants this worker to stop). */
  readonly onEnd: () => void;
}

/** A framed, ordered, two-way channel on the protocol socket. */
export class HostChannel {
  private readonly socket: Socket;
  private readonly decoder = new FrameDecoder<HostMessage>();
  /** Serialises message handling: the host sends one request at a time, but a misbehaving one must not overlap runs. */
  private chain: Promise<void> = Promise.resolve();

  constructor(handlers: ChannelHandlers, fd: number = PROTOCOL_FD) {
    this.socket = new Socket({ fd, readable: true, writable: true });
    this.socket.on('data', (chunk: Buffer) => {
      for (const message of this.decoder.push(chunk)) {
        this.chain = this.chain.then(() => handlers.onMessage(message));
      }
    });
    // EOF or a broken socket both mean the host is gone: finish what is queued, then end.
    const end = (): void => {
      this.chain = this.chain.then(handlers.onEnd, handlers.onEnd);
    };
    this.socket.on('end', end);
    this.socket.on('error', end);
  }

  /** Sends one message to the host. */
  send(message: WorkerMessage): void {
    this.socket.write(encodeFrame(message));
  }

  /** Sends a last message and calls `done` once it has been handed to the kernel. */
  sendLast(message: WorkerMessage, done: () => void): void {
    this.socket.write(encodeFrame(message), () => done());
  }
}
