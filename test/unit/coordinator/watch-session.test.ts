/** A watcher that stops reading costs bounded memory and is dropped when it stays blocked. */
import { EventEmitter } from 'node:events';

import type { ServerWritableStream } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { JobRun } from '../../../src/coordinator/jobs/job-run.js';
import { MAX_QUEUED_MESSAGES, WatchSession } from '../../../src/coordinator/jobs/watch-session.js';
import type { JobEvent, JobStatus, WatchJobRequest } from '../../../src/gen/parajob/v1/parajob.js';

class FakeCall extends EventEmitter {
  readonly request = { jobId: 'j', logs: true };
  readonly written: JobEvent[] = [];
  full = false;
  write(event: JobEvent): boolean {
    this.written.push(event);
    return !this.full;
  }
  end(): void {}
}

function fakeJob(): { job: JobRun; bump(): void } {
  let version = 0;
  const job = {
    listen: () => () => undefined,
    messages: () => [],
    isTerminal: false,
    status: () => ({ jobId: 'j', name: `v${version}` }) as unknown as JobStatus,
  };
  return { job: job as unknown as JobRun, bump: () => (version += 1) };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('WatchSession with a client that stops reading', () => {
  it('keeps only the latest status and the last messages, then drops the stream', () => {
    const call = new FakeCall();
    const { job, bump } = fakeJob();
    call.full = true;
    const session = new WatchSession(call as unknown as ServerWritableStream<WatchJobRequest, JobEvent>, job, 0, 5_000);
    expect(call.written).toHaveLength(1); // the first status; the stream is now full
    for (let i = 0; i < 1_000; i++) {
      bump();
      session.changed();
      vi.advanceTimersByTime(1);
      session.message({ text: `m${i}` } as never);
      session.log('prep', `line ${i}\n`);
    }
    const errors: { code?: number }[] = [];
    call.on('error', (error: { code?: number }) => errors.push(error));
    // Still blocked when the limit passes: dropped with RESOURCE_EXHAUSTED.
    vi.advanceTimersByTime(5_000);
    expect(errors).toEqual([expect.objectContaining({ code: status.RESOURCE_EXHAUSTED })]);
    // Nothing more is written after the drop, even if the client drains now.
    call.full = false;
    call.emit('drain');
    expect(call.written).toHaveLength(1);
  });

  it('a watcher that drains in time gets the latest status and at most the last messages', () => {
    const call = new FakeCall();
    const { job, bump } = fakeJob();
    call.full = true;
    const session = new WatchSession(call as unknown as ServerWritableStream<WatchJobRequest, JobEvent>, job, 0, 5_000);
    for (let i = 0; i < 1_000; i++) {
      bump();
      session.changed();
      vi.advanceTimersByTime(1);
      session.message({ text: `m${i}` } as never);
      session.log('prep', `line ${i}\n`);
    }
    call.full = false;
    call.emit('drain');
    const after = call.written.slice(1);
    expect(after.filter((event) => event.kind?.$case === 'status')).toHaveLength(1);
    // Messages and command-step log lines share the bound; the latest ones are kept, in order.
    expect(after.filter((event) => event.kind?.$case !== 'status')).toHaveLength(MAX_QUEUED_MESSAGES);
    expect(after.at(-2)).toMatchObject({ kind: { $case: 'message', value: { text: 'm999' } } });
    expect(after.at(-1)).toMatchObject({ kind: { $case: 'stepLog', value: { stepName: 'prep', text: 'line 999\n' } } });
  });
});

describe('WatchSession attaching late', () => {
  it("starts with the job's messages so far, then the status", () => {
    const call = new FakeCall();
    const { job } = fakeJob();
    const earlier = [
      { level: 'info', text: "step 'a' started (command)", atMs: 1 },
      { level: 'info', text: "step 'a' succeeded in 0.1s", atMs: 2 },
    ];
    const withHistory = Object.assign(Object.create(job) as JobRun, { messages: () => earlier });
    new WatchSession(call as unknown as ServerWritableStream<WatchJobRequest, JobEvent>, withHistory, 0, 5_000);
    expect(call.written.map((event) => event.kind?.$case)).toEqual(['message', 'message', 'status']);
    expect(
      call.written.slice(0, 2).map((event) => (event.kind?.$case === 'message' ? event.kind.value.text : '')),
    ).toEqual(earlier.map((message) => message.text));
  });
});
