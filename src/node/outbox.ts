/**
 * Everything the node says on its stream goes through the outbox, which
 * - batches results and lease requests per job per event-loop turn (one `results` and one
 *   `lease_request` message per job per turn: parajob.proto `BatchResults`, `LeaseRequest`),
 * - keeps order (a job's results are written before its later events and its job_left),
 * - respects `write()` returning false (waits for 'drain'),
 * - keeps results, processor events and job_left while no stream is attached and writes them after
 *   the next welcome; lease requests and heartbeats belong to one stream's session and are dropped;
 * - keeps every result it wrote until the coordinator acknowledges it (parajob.proto `ResultsAck`: its
 *   rows are on disk and its outcome journaled) and writes the unacknowledged ones again, first, on the
 *   next stream: a result written to a stream that broke, or to a coordinator that crashed before
 *   making it durable, is not lost (a duplicate is fenced by the coordinator, never counted twice);
 * - keeps the book of the leases the node answers for (held-leases.ts), which the hello reports.
 */
import type { BatchResult, NodeMessage } from '../gen/parajob/v1/parajob.js';
import { HeldLeaseBook } from './held-leases.js';

/** The part of a grpc-js client duplex stream the outbox writes to. */
export interface MessageSink {
  write(message: NodeMessage): boolean;
  once(event: 'drain', listener: () => void): unknown;
  removeListener(event: 'drain', listener: () => void): unknown;
}

/** What jobs use to talk to the coordinator. */
export interface JobOutbox {
  /** Queues one result; all of a job's results of this turn travel in one message. */
  sendResult(jobId: string, result: BatchResult): void;
  /** Asks for `count` more leases; requests of one turn add up into one message. */
  requestLeases(jobId: string, count: number): void;
  /** Sends a processor event, job_left or heartbeat, after everything queued before it. */
  send(message: NodeMessage): void;
}

/**
 * Observers of the outbox (fault injection: src/node/node-chaos.ts). `allows` may veto a message
 * handed to `send` (it is dropped); `resultRoom` caps how many more results may be written (a
 * results message is cut to fit, and nothing at all is written once it is 0: the node is about to
 * die); `written` hears of every message after it is written to a stream.
 */
export interface OutboxHooks {
  allows(message: NodeMessage): boolean;
  resultRoom(): number;
  written(message: NodeMessage): void;
}

/** Lease requests and heartbeats mean nothing on a later stream. */
function isSessionBound(message: NodeMessage): boolean {
  return message.kind?.$case === 'leaseRequest' || message.kind?.$case === 'heartbeat';
}

/** The node's single outbox; see the module comment. */
export class NodeOutbox implements JobOutbox {
  private sink: MessageSink | undefined;
  private readonly ready: NodeMessage[] = [];
  private readonly results = new Map<string, BatchResult[]>();
  private readonly credit = new Map<string, number>();
  private turnScheduled = false;
  private drainListener: (() => void) | undefined;
  /** Results written and not yet acknowledged, per job, by token (in the order written). */
  private readonly unacked = new Map<string, Map<number, BatchResult>>();
  /** The leases the node answers for (said in hello); an acknowledged result settles its lease. */
  readonly held = new HeldLeaseBook();

  constructor(private readonly hooks?: OutboxHooks) {}

  /** The coordinator is done with these results of `jobId` (ResultsAck): they are not sent again. */
  acknowledge(jobId: string, tokens: readonly number[]): void {
    this.held.settled(jobId, tokens);
    const written = this.unacked.get(jobId);
    if (written === undefined) return;
    for (const token of tokens) written.delete(token);
    if (written.size === 0) this.unacked.delete(jobId);
  }

  /** Results written and not acknowledged yet (tests and diagnostics). */
  get unacknowledged(): number {
    let count = 0;
    for (const written of this.unacked.values()) count += written.size;
    return count;
  }

  sendResult(jobId: string, result: BatchResult): void {
    const batch = this.results.get(jobId);
    if (batch === undefined) this.results.set(jobId, [result]);
    else batch.push(result);
    this.scheduleTurn();
  }

  requestLeases(jobId: string, count: number): void {
    if (count <= 0) return;
    this.credit.set(jobId, (this.credit.get(jobId) ?? 0) + count);
    this.scheduleTurn();
  }

  send(message: NodeMessage): void {
    if (this.hooks !== undefined && !this.hooks.allows(message)) return;
    this.collectTurn();
    if (this.sink === undefined && isSessionBound(message)) return;
    this.ready.push(message);
    this.pump();
  }

  /**
   * Starts writing to a freshly registered stream: the results written to an earlier stream and not
   * acknowledged first (they were written before anything still queued), then the kept messages.
   */
  attach(sink: MessageSink): void {
    this.detach();
    const resend: NodeMessage[] = [];
    for (const [jobId, written] of this.unacked)
      resend.push({ kind: { $case: 'results', value: { jobId, results: [...written.values()] } } });
    this.unacked.clear();
    this.ready.unshift(...resend);
    this.sink = sink;
    this.pump();
  }

  /**
   * Stops writing to `sink` (the current one when omitted), its session's lease requests and
   * heartbeats are dropped. Messages handed to a stream that then broke are not recovered.
   */
  detach(sink?: MessageSink): void {
    if (this.sink === undefined || (sink !== undefined && sink !== this.sink)) return;
    if (this.drainListener !== undefined) this.sink.removeListener('drain', this.drainListener);
    this.drainListener = undefined;
    this.sink = undefined;
    this.credit.clear();
    const kept = this.ready.filter((message) => !isSessionBound(message));
    this.ready.length = 0;
    this.ready.push(...kept);
  }

  /**
   * Writes everything still queued to `sink` regardless of backpressure (the stream is about to be
   * half-closed; grpc-js buffers the writes before its end), then detaches.
   */
  flushAndDetach(sink: MessageSink): void {
    if (this.sink !== sink) return;
    this.collectTurn();
    if (this.drainListener !== undefined) sink.removeListener('drain', this.drainListener);
    this.drainListener = undefined;
    for (let message = this.takeNext(); message !== undefined; message = this.takeNext()) {
      sink.write(message);
      this.noteWritten(message);
    }
    this.detach(sink);
  }

  /** True while a stream is attached. */
  get attached(): boolean {
    return this.sink !== undefined;
  }

  /** Messages waiting to be written (for heartbeats deciding whether to skip, and tests). */
  get backlog(): number {
    return this.ready.length + this.results.size + this.credit.size;
  }

  private scheduleTurn(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    setImmediate(() => {
      this.collectTurn();
      this.pump();
    });
  }

  /** Moves this turn's batched results and credit into the ordered queue. */
  private collectTurn(): void {
    this.turnScheduled = false;
    for (const [jobId, results] of this.results)
      this.ready.push({ kind: { $case: 'results', value: { jobId, results } } });
    this.results.clear();
    if (this.sink !== undefined) {
      for (const [jobId, count] of this.credit)
        this.ready.push({ kind: { $case: 'leaseRequest', value: { jobId, count } } });
    }
    this.credit.clear();
  }

  private pump(): void {
    const sink = this.sink;
    if (sink === undefined || this.drainListener !== undefined) return;
    for (let message = this.takeNext(); message !== undefined; message = this.takeNext()) {
      const flowing = sink.write(message);
      this.noteWritten(message);
      if (!flowing) {
        this.drainListener = () => {
          this.drainListener = undefined;
          this.pump();
        };
        sink.once('drain', this.drainListener);
        return;
      }
    }
  }

  /** A written results message waits for its ack; the hooks hear of every written message. */
  private noteWritten(message: NodeMessage): void {
    if (message.kind?.$case === 'results') {
      const { jobId, results } = message.kind.value;
      let written = this.unacked.get(jobId);
      if (written === undefined) this.unacked.set(jobId, (written = new Map()));
      for (const result of results) written.set(result.token, result);
    }
    this.hooks?.written(message);
  }

  /**
   * The next message to write, within the hooks' result room: a results message larger than the room
   * is cut, its first results written now and the rest left at the head of the queue; with no room
   * left nothing is written (and the queue keeps what it holds).
   */
  private takeNext(): NodeMessage | undefined {
    const message = this.ready[0];
    if (message === undefined) return undefined;
    const room = this.hooks?.resultRoom() ?? Number.POSITIVE_INFINITY;
    if (room <= 0) return undefined;
    if (message.kind?.$case !== 'results' || message.kind.value.results.length <= room) return this.ready.shift();
    const { jobId, results } = message.kind.value;
    this.ready[0] = { kind: { $case: 'results', value: { jobId, results: results.slice(room) } } };
    return { kind: { $case: 'results', value: { jobId, results: results.slice(0, room) } } };
  }
}
