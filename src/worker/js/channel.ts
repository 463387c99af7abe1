/**
 * The worker's ends of the protocol (see ../protocol.ts): decodes the host's frames from file
 * descriptor 3 and writes frames back on file descriptor 4. Only the protocol module is imported, so
 * the worker loads nothing of the node.
 */
import { Socket } from 'node:net';

import { encodeFrame, FrameDecoder, type HostMessage, REPLY_FD, REQUEST_FD, type WorkerMessage } from '../protocol.js';

/** What the worker does with the host's messages and with the end of the socket. */
export interface ChannelHandlers {
  /** Called once per message, in arrival order; the next call waits until the returned promise settles. */
  readonly onMessage: (message: HostMessage) => Promise<void>;
  /** The host closed its end (it is gone, or it wants this worker to stop). */
  readonly onEnd: () => void;
}

/** A framed, ordered, two-way channel to the host. */
export class HostChannel {
  private readonly requests: Socket;
  private readonly replies: Socket;
  private readonly decoder = new FrameDecoder<HostMessage>();
  /** Serialises message handling: the host sends runs ahead (pipelining), and they run strictly one after another. */
  private chain: Promise<void> = Promise.resolve();

  constructor(handlers: ChannelHandlers, requestFd: number = REQUEST_FD, replyFd: number = REPLY_FD) {
    this.requests = new Socket({ fd: requestFd, readable: true, writable: false });
    // Replies are written as soon as send() is called (the socket is idle): a result is with the host
    // before the next run starts, which is how the host tells which run a dead worker was in.
    this.replies = new Socket({ fd: replyFd, readable: false, writable: true });
    this.requests.on('data', (chunk: Buffer) => {
      for (const message of this.decoder.push(chunk)) {
        this.chain = this.chain.then(() => handlers.onMessage(message));
      }
    });
    // EOF or a broken socket both mean the host is gone: finish what is queued, then end.
    const end = (): void => {
      this.chain = this.chain.then(handlers.onEnd, handlers.onEnd);
    };
    this.requests.on('end', end);
    this.requests.on('error', end);
    // A host that is gone is noticed on the request side; a failed reply write has no one to tell.
    this.replies.on('error', () => undefined);
  }

  /**
   * Sends one message to the host; resolves once all of it is with the kernel. Usually at once: a
   * frame larger than the socket's buffer is written in part, the rest later, and the next run must
   * not start before (a crash in it would lose the end of this result, and the host would blame the
   * wrong run) — so the caller awaits it.
   */
  send(message: WorkerMessage): Promise<void> {
    let flushed = false;
    let wake: (() => void) | undefined;
    // The callback runs once the frame is with the kernel (or the write failed: the host is gone,
    // which the request side handles).
    this.replies.write(encodeFrame(message), () => {
      flushed = true;
      wake?.();
    });
    if (this.replies.writableLength === 0) return Promise.resolve();
    return new Promise((resolve) => {
      if (flushed) resolve();
      else wake = resolve;
    });
  }

  /** Sends a last message and calls `done` once it has been handed to the kernel. */
  sendLast(message: WorkerMessage, done: () => void): void {
    this.replies.write(encodeFrame(message), () => done());
  }
}
