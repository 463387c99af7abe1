/**
 * The per-mini-batch path from processors to the coordinator, kept out of the machines' event queues.
 *
 * A processor that finishes a lease hands how it ended (LeaseEnd) to its `ProcessorSink` (a plain call,
 * not an event), which builds its wire BatchResult and queues it in the outbox at once (results of one event-loop turn travel in one
 * message, outbox.ts). What the job machine needs to know — how many leases each processor settled,
 * and their run times for the prefetch tuner — is added up and delivered as ONE `processor.settled`
 * event per event-loop turn, however many mini-batches finished in it: the machines decide when
 * (credit, dispatch), this carries the what.
 */
import type { JobOutbox } from '../outbox.js';
import { batchResultOf, type LeaseEnd } from './batch-results.js';

/** Where a processor reports the end of every lease it was handed (exactly once per lease). */
export interface ProcessorSink {
  /** Lease ended with a result (any outcome, RETURNED included): it is sent to the coordinator. */
  result(index: number, end: LeaseEnd): void;
  /** `count` leases ended without a result (revoked, or dropped because the processor stops). */
  released(index: number, count: number): void;
}

/** What the job machine hears once per turn in which processors settled leases. */
export interface SettledEvent {
  readonly type: 'processor.settled';
  /** Processor index → leases settled this turn. */
  readonly counts: ReadonlyMap<number, number>;
  /** run() times of this turn's results, in ms, in the order they arrived. */
  readonly runMs: readonly number[];
}

/** A job's sink: results to the outbox now, the tally to the job once per turn. */
export class SettleFeed implements ProcessorSink {
  private counts = new Map<number, number>();
  private runMs: number[] = [];
  private scheduled = false;
  private closed = false;

  /** `notify` receives the turn's tally (the job actor's send). */
  constructor(
    private readonly jobId: string,
    private readonly outbox: JobOutbox,
    private readonly notify: (event: SettledEvent) => void,
  ) {}

  result(index: number, end: LeaseEnd): void {
    if (this.closed) return;
    const result = batchResultOf(end);
    // Tallied (and its delivery scheduled) before the outbox schedules its own turn, so the credit the
    // job asks on hearing the tally usually leaves in the same flush as these results. The tuner wants
    // run()'s time as the worker measured it, fractional (result.runMs is whole ms).
    this.count(index, 1);
    this.runMs.push(end.kind === 'answered' ? end.answer.runMs : result.runMs);
    this.outbox.sendResult(this.jobId, result);
  }

  released(index: number, count: number): void {
    if (this.closed || count <= 0) return;
    this.count(index, count);
  }

  /** The job has left: later reports are dropped (the coordinator re-queued its leases). */
  close(): void {
    this.closed = true;
  }

  private count(index: number, n: number): void {
    this.counts.set(index, (this.counts.get(index) ?? 0) + n);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.deliver());
  }

  private deliver(): void {
    this.scheduled = false;
    if (this.closed) return;
    const event: SettledEvent = { type: 'processor.settled', counts: this.counts, runMs: this.runMs };
    this.counts = new Map();
    this.runMs = [];
    this.notify(event);
  }
}
