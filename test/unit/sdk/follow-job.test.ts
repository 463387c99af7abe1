import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';

import { type JobEvent, type JobMessage, JobState, type JobStatus } from '../../../src/gen/parajob/v1/parajob.js';
import { type FollowDisplay, followJob } from '../../../src/sdk/follow-job.js';
import { jobStatus } from '../cli/fixtures.js';

const status = (state: JobState): JobEvent => ({ kind: { $case: 'status', value: jobStatus({ state }) } });
const message = (text: string): JobEvent => ({ kind: { $case: 'message', value: { level: 'info', text, atMs: 0 } } });

/** A fake Jobs API whose successive watch() calls replay the given event lists (an Error = the stream fails). */
function fakeApi(watches: (JobEvent | Error)[][], current: JobStatus) {
  let call = 0;
  return {
    watchCalls: () => call,
    async *watch(): AsyncGenerator<JobEvent> {
      const events = watches[call++] ?? [];
      for (const event of events) {
        if (event instanceof Error) throw event;
        yield event;
      }
    },
    async get(): Promise<JobStatus> {
      return current;
    },
  };
}

function recordingDisplay() {
  const seen: string[] = [];
  const display: FollowDisplay = {
    update: (s: JobStatus) => seen.push(`status ${s.state}`),
    message: (m: JobMessage) => seen.push(`message ${m.text}`),
  };
  return { display, seen };
}

describe('followJob', () => {
  it('feeds statuses and messages to the display and returns the terminal status', async () => {
    const api = fakeApi(
      [
        [
          status(JobState.JOB_STATE_RUNNING),
          message('hello'),
          status(JobState.JOB_STATE_SUCCEEDED),
          status(JobState.JOB_STATE_RUNNING),
        ],
      ],
      jobStatus(),
    );
    const { display, seen } = recordingDisplay();
    const final = await followJob(api, 'job-1', { display });
    expect(final.state).toBe(JobState.JOB_STATE_SUCCEEDED);
    // Events after the terminal status are not read.
    expect(seen).toEqual([
      `status ${JobState.JOB_STATE_RUNNING}`,
      'message hello',
      `status ${JobState.JOB_STATE_SUCCEEDED}`,
    ]);
  });

  it('re-opens a watch that ended before the job did', async () => {
    const api = fakeApi(
      [[status(JobState.JOB_STATE_RUNNING)], [status(JobState.JOB_STATE_FAILED)]],
      jobStatus({ state: JobState.JOB_STATE_RUNNING }),
    );
    const final = await followJob(api, 'job-1');
    expect(final.state).toBe(JobState.JOB_STATE_FAILED);
    expect(api.watchCalls()).toBe(2);
  });

  it('returns the status from Get when the stream ended and the job is already over', async () => {
    const api = fakeApi([[status(JobState.JOB_STATE_RUNNING)]], jobStatus({ state: JobState.JOB_STATE_CANCELLED }));
    expect((await followJob(api, 'job-1')).state).toBe(JobState.JOB_STATE_CANCELLED);
    expect(api.watchCalls()).toBe(1);
  });

  it('rethrows errors that are not about reachability (an unknown job)', async () => {
    const notFound = Object.assign(new Error('5 NOT_FOUND: no job x'), {
      code: GrpcStatus.NOT_FOUND,
      details: 'no job x',
      metadata: new Metadata(),
    });
    const api = fakeApi([[notFound]], jobStatus());
    await expect(followJob(api, 'x')).rejects.toBe(notFound);
  });

  it('gives up after maxReconnects watches that end early', async () => {
    const running = status(JobState.JOB_STATE_RUNNING);
    const api = fakeApi([[running], [running], [running]], jobStatus({ state: JobState.JOB_STATE_RUNNING }));
    await expect(followJob(api, 'job-1', { maxReconnects: 2 })).rejects.toThrow(/ended the watch of job job-1 3 times/);
  });
});
