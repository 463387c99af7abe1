/**
 * POST /api/jobs/:job/rerun as the WebApi answers it: the new job's id, a refusal as 409 with its
 * reason, 404 for an unknown job, and 501 while the coordinator offers no rerun.
 */
import { describe, expect, it } from 'vitest';

import { WebApi } from '../../../src/web/api.js';
import type { WebJob, WebSource } from '../../../src/web/source.js';

function source(rerun?: WebSource['rerun']): WebSource {
  const job = { jobId: 'job-1' } as WebJob;
  return {
    jobs: () => [job],
    job: (jobId) => (jobId === 'job-1' ? job : undefined),
    nodes: () => [],
    coordinatorResources: () => undefined,
    onAttempt: () => () => undefined,
    onProcessorRestart: () => () => undefined,
    ...(rerun === undefined ? {} : { rerun }),
  };
}

describe('the rerun route', () => {
  it("answers with the new job's id, passing fromScratch on", async () => {
    const calls: [string, boolean][] = [];
    const api = new WebApi(
      source(async (jobId, fromScratch) => {
        calls.push([jobId, fromScratch]);
        return { jobId: 'job-2' };
      }),
    );
    expect(await api.rerun('job-1', new URLSearchParams())).toEqual({ status: 200, body: { jobId: 'job-2' } });
    await api.rerun('job-1', new URLSearchParams('fromScratch=true'));
    expect(calls).toEqual([
      ['job-1', false],
      ['job-1', true],
    ]);
  });

  it('answers a refusal with 409 and its reason, an unknown job with 404', async () => {
    const api = new WebApi(source(() => Promise.reject(new Error('job job-1 succeeded: there is nothing to rerun'))));
    expect(await api.rerun('job-1', new URLSearchParams())).toEqual({
      status: 409,
      body: { error: 'job job-1 succeeded: there is nothing to rerun' },
    });
    expect((await api.rerun('nope', new URLSearchParams())).status).toBe(404);
  });

  it('answers 501 when the coordinator has no rerun', async () => {
    const answer = await new WebApi(source()).rerun('job-1', new URLSearchParams());
    expect(answer).toMatchObject({ status: 501, body: { error: expect.stringContaining('cannot rerun') } });
  });
});
