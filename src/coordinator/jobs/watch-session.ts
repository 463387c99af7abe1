/**
 * One Jobs.Watch stream: the job's messages so far and its status at once, then on every change (at most one status per
 * `minIntervalMs`, coalesced to the latest; the final status is always sent, immediately), the job's
 * messages as they come (and command steps' output, when the request asks for logs), and the end of the
 * stream after the terminal status. Respects back-pressure: while `write()` says the stream is full,
 * events wait in order for 'drain' — but a watcher that stops reading costs bounded memory: only the
 * latest status and the last MAX_QUEUED_MESSAGES messages (log lines included) wait, and a stream still
 * blocked after `blockedLimitMs` is ended with RESOURCE_EXHAUSTED.
 */
import { type ServerWritableStream, status as GrpcStatus } from '@grpc/grpc-js';

import type { JobEvent, JobMessage, WatchJobRequest } from '../../gen/parajob/v1/parajob.js';
import type { JobRunListener } from './job-run.js';
import type { JobView } from './job-view.js';

/** At most 5 statuses per second. */
export const WATCH_STATUS_INTERVAL_MS = 200;

/** Messages kept for a blocked watcher (older ones are dropped). */
export const MAX_QUEUED_MESSAGES = 100;

/** A watcher blocked this long is dropped. */
export const WATCH_BLOCKED_LIMIT_MS = 60_000;

/** One Watch stream; it listens to its job from construction until the stream ends (see the module comment). */
export class WatchSession implements JobRunListener {
  private readonly queue: JobEvent[] = [];
  private blocked = false;
  private ended = false;
  private timer: NodeJS.Timeout | undefined;
  private lastSentAtMs = 0;
  private lastStatusJson = '';
  private blockedTimer: NodeJS.Timeout | undefined;
  private readonly unlisten: () => void;

  constructor(
    private readonly call: ServerWritableStream<WatchJobRequest, JobEvent>,
    private readonly job: JobView,
    private readonly minIntervalMs = WATCH_STATUS_INTERVAL_MS,
    private readonly blockedLimitMs = WATCH_BLOCKED_LIMIT_MS,
    private readonly logs = call.request.logs,
  ) {
    this.unlisten = job.listen(this);
    call.on('drain', () => this.drain());
    call.on('cancelled', () => this.dispose());
    call.on('close', () => this.dispose());
    // A stream that attaches late still shows every step's start and end so far.
    for (const earlier of job.messages()) this.message(earlier);
    this.sendStatus();
  }

  changed(): void {
    if (this.ended) return;
    if (this.job.isTerminal) {
      this.sendStatus();
      return;
    }
    if (this.timer !== undefined) return;
    const waitMs = Math.max(0, this.lastSentAtMs + this.minIntervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sendStatus();
    }, waitMs);
  }

  message(message: JobMessage): void {
    this.write({ kind: { $case: 'message', value: message } });
  }

  log(stepName: string, text: string): void {
    if (this.logs) this.write({ kind: { $case: 'stepLog', value: { stepName, text } } });
  }

  private sendStatus(): void {
    if (this.ended) return;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const status = this.job.status();
    const json = JSON.stringify(status);
    if (json !== this.lastStatusJson) {
      this.lastStatusJson = json;
      this.lastSentAtMs = Date.now();
      this.write({ kind: { $case: 'status', value: status } });
    }
    if (this.job.isTerminal) {
      // Written events are flushed before the end of the stream.
      this.drainQueueIntoStream();
      this.call.end();
      this.dispose();
    }
  }

  private write(event: JobEvent): void {
    if (this.ended) return;
    if (!this.blocked) {
      if (!this.call.write(event)) this.becameBlocked();
      return;
    }
    if (event.kind?.$case === 'status') {
      // Only the latest status matters to a watcher that is behind.
      const stale = this.queue.findIndex((queued) => queued.kind?.$case === 'status');
      if (stale >= 0) this.queue.splice(stale, 1);
    } else if (this.queue.filter((queued) => queued.kind?.$case !== 'status').length >= MAX_QUEUED_MESSAGES) {
      // Messages and command-step log lines alike: a watcher that is behind keeps the latest ones.
      const oldest = this.queue.findIndex((queued) => queued.kind?.$case !== 'status');
      this.queue.splice(oldest, 1);
    }
    this.queue.push(event);
  }

  private becameBlocked(): void {
    this.blocked = true;
    this.blockedTimer ??= setTimeout(() => {
      this.blockedTimer = undefined;
      if (!this.blocked || this.ended) return;
      this.dispose();
      this.call.emit(
        'error',
        Object.assign(new Error('watch dropped: the client stopped reading'), {
          code: GrpcStatus.RESOURCE_EXHAUSTED,
          details: `watch dropped: the client read nothing for ${this.blockedLimitMs} ms`,
        }),
      );
    }, this.blockedLimitMs);
  }

  private drain(): void {
    this.blocked = false;
    clearTimeout(this.blockedTimer);
    this.blockedTimer = undefined;
    while (!this.ended && !this.blocked && this.queue.length > 0) {
      if (!this.call.write(this.queue.shift() as JobEvent)) this.becameBlocked();
    }
  }

  /** Before ending: hand every queued event to the stream (it buffers them and sends them before the end). */
  private drainQueueIntoStream(): void {
    while (this.queue.length > 0) this.call.write(this.queue.shift() as JobEvent);
  }

  private dispose(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    clearTimeout(this.blockedTimer);
    this.queue.length = 0;
    this.unlisten();
  }
}
