// JobsApi (src/rpc/jobs-client.ts) against a real grpc-js server on 127.0.0.1:0 with a scripted Jobs service.
import { Server, ServerCredentials, type ServerWritableStream, status as GrpcStatus } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  type JobEvent,
  type JobsServer,
  JobsService,
  JobState,
  type SubmitJobRequest,
  type WatchJobRequest,
} from '../../../src/gen/parajob/v1/parajob.js';
import { isServiceError, isUnreachable, JobsApi } from '../../../src/rpc/jobs-client.js';
import { CHANNEL_OPTIONS } from '../../../src/rpc/options.js';
import { jobStatus } from './fixtures.js';

let server: Server;
let address: string;
const submitted: SubmitJobRequest[] = [];
let openWatch: ServerWritableStream<WatchJobRequest, JobEvent> | undefined;
let watchCancelled: Promise<void>;
let onWatchCancelled: () => void = () => undefined;

const implementation: JobsServer = {
  submit: (call, callback) => {
    submitted.push(call.request);
    callback(null, {
      jobId: 'job-42',
      runDir: call.request.runDir || '/runs/job-42',
      warnings: ['environment is ignored'],
    });
  },
  get: (call, callback) => {
    if (call.request.jobId !== 'job-42')
      return callback({ code: GrpcStatus.NOT_FOUND, details: `no job ${call.request.jobId}` }, null);
    callback(null, jobStatus({ jobId: 'job-42' }));
  },
  list: (_call, callback) => callback(null, { jobs: [jobStatus({ jobId: 'a' }), jobStatus({ jobId: 'b' })] }),
  cancel: (call, callback) =>
    callback(
      null,
      jobStatus({ jobId: call.request.jobId, state: JobState.JOB_STATE_CANCELLED, stateReason: call.request.reason }),
    ),
  rerun: (call, callback) =>
    callback(null, {
      jobId: `${call.request.jobId}-rerun${call.request.fromScratch ? '-scratch' : ''}`,
      runDir: '/runs/r',
      warnings: [],
    }),
  delete: (call, callback) => callback(null, { jobId: call.request.jobId, runDir: '/runs/d', runDirRemoved: true }),
  watch: (call) => {
    if (call.request.jobId === 'endless') {
      // Stays open until the client cancels.
      openWatch = call;
      call.on('cancelled', () => onWatchCancelled());
      call.write({ kind: { $case: 'status', value: jobStatus({ jobId: 'endless' }) } });
      return;
    }
    call.write({ kind: { $case: 'status', value: jobStatus({ state: JobState.JOB_STATE_RUNNING }) } });
    call.write({ kind: { $case: 'message', value: { level: 'warn', text: 'slow node', atMs: 1 } } });
    call.write({ kind: { $case: 'status', value: jobStatus({ state: JobState.JOB_STATE_SUCCEEDED }) } });
    call.end();
  },
};

beforeAll(async () => {
  server = new Server(CHANNEL_OPTIONS);
  server.addService(JobsService, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  address = `127.0.0.1:${port}`;
});

afterAll(() => {
  server.forceShutdown();
});

describe('JobsApi', () => {
  it('submits, gets, lists and cancels', async () => {
    const api = new JobsApi(address);
    try {
      const response = await api.submit({ specYaml: 'type: parallel', specPath: '/x/job.yml', code: [] });
      expect(response).toEqual({ jobId: 'job-42', runDir: '/runs/job-42', warnings: ['environment is ignored'] });
      expect(submitted.at(-1)).toMatchObject({
        specYaml: 'type: parallel',
        specPath: '/x/job.yml',
        runDir: '',
        jobId: '',
      });
      expect((await api.get('job-42')).jobId).toBe('job-42');
      expect((await api.list()).map((job) => job.jobId)).toEqual(['a', 'b']);
      const cancelled = await api.cancel('job-42', 'because');
      expect(cancelled.state).toBe(JobState.JOB_STATE_CANCELLED);
      expect(cancelled.stateReason).toBe('because');
    } finally {
      api.close();
    }
  });

  it('reruns (from scratch when asked) and deletes', async () => {
    const api = new JobsApi(address);
    try {
      expect((await api.rerun('job-42')).jobId).toBe('job-42-rerun');
      expect((await api.rerun('job-42', true)).jobId).toBe('job-42-rerun-scratch');
      expect(await api.delete('job-42')).toEqual({ jobId: 'job-42', runDir: '/runs/d', runDirRemoved: true });
    } finally {
      api.close();
    }
  });

  it('rejects an unknown job with NOT_FOUND and its details', async () => {
    const api = new JobsApi(address);
    try {
      const error: unknown = await api.get('nope').catch((e: unknown) => e);
      expect(isServiceError(error) && error.code).toBe(GrpcStatus.NOT_FOUND);
      expect(isServiceError(error) && error.details).toBe('no job nope');
      expect(isUnreachable(error)).toBe(false);
    } finally {
      api.close();
    }
  });

  it('watches: yields every event in order and ends with the stream', async () => {
    const api = new JobsApi(address);
    try {
      const kinds: string[] = [];
      for await (const event of api.watch('job-42'))
        kinds.push(
          event.kind?.$case === 'status' ? `status ${event.kind.value.state}` : `message ${event.kind?.value.text}`,
        );
      expect(kinds).toEqual([
        `status ${JobState.JOB_STATE_RUNNING}`,
        'message slow node',
        `status ${JobState.JOB_STATE_SUCCEEDED}`,
      ]);
    } finally {
      api.close();
    }
  });

  it('ends a watch quietly when its signal aborts, cancelling the call on the server', async () => {
    watchCancelled = new Promise((resolve) => (onWatchCancelled = resolve));
    const api = new JobsApi(address);
    const abort = new AbortController();
    try {
      const seen: JobEvent[] = [];
      for await (const event of api.watch('endless', abort.signal)) {
        seen.push(event);
        abort.abort();
      }
      expect(seen).toHaveLength(1);
      await watchCancelled;
      expect(openWatch?.cancelled).toBe(true);
    } finally {
      api.close();
    }
  });

  it('reports an address where nothing listens as unreachable', async () => {
    const api = new JobsApi('127.0.0.1:1', { deadlineMs: 5_000 });
    try {
      const error: unknown = await api.list().catch((e: unknown) => e);
      expect(isUnreachable(error)).toBe(true);
    } finally {
      api.close();
    }
  });
});
