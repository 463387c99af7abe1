/**
 * ParajobClient against a real cluster: a `parajob coordinator` and two `parajob node` processes
 * over loopback gRPC; jobs built in code are submitted, streamed, waited for and cancelled.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  Input,
  JobNotFoundError,
  JobState,
  type JobStreamEvent,
  Output,
  ParajobClient,
  parallelRunFunction,
  pipeline,
  type PipelineInput,
  UnavailableError,
  ValidationError,
} from '../../src/sdk/index.js';
import { assertBuilt, killAllCli, startCoordinatorCli, startNodesCli } from '../helpers/cli-process.js';
import { makeInputFiles, makeTempDir, writeText } from '../helpers/input-files.js';
import { LIST_FILES_SCRIPT } from '../helpers/job-yaml.js';

const FILES = 60;

/** A run() that waits until the job is cancelled (bounded), so a cancel finds it running. */
const SLOW_SCRIPT = `export async function run(miniBatch) {
  await new Promise((resolve) => setTimeout(resolve, 60_000));
  return miniBatch;
}
`;

function listing(dir: string, code: string) {
  const list = parallelRunFunction({
    name: 'list_files',
    inputs: { docs: Input({ type: 'uri_folder' }) },
    outputs: { rows: Output({ type: 'uri_file' }) },
    inputData: '${{inputs.docs}}',
    miniBatchSize: 7,
    instanceCount: 2,
    maxConcurrencyPerInstance: 2,
    task: { code, entryScript: 'list.mjs', appendRowTo: '${{outputs.rows}}' },
  });
  return pipeline(
    { name: 'sdk_listing', defaultCompute: 'cpu-cluster', baseDir: dir },
    ({ docs }: { docs: PipelineInput<'uri_folder'> }) => ({ listed: list({ docs }).outputs.rows }),
  )({ docs: Input({ type: 'uri_folder', path: './data' }) });
}

describe('ParajobClient with a coordinator and two nodes', () => {
  let dir: string;
  let client: ParajobClient;

  beforeAll(async () => {
    assertBuilt();
    dir = await makeTempDir('parajob-sdk-client-');
    await makeInputFiles(join(dir, 'data'), FILES);
    await writeText(dir, 'code/list.mjs', LIST_FILES_SCRIPT);
    await writeText(dir, 'slow/list.mjs', SLOW_SCRIPT);
    const { address } = await startCoordinatorCli(join(dir, 'coordinator'));
    await startNodesCli(address, ['n1', 'n2'], { dir, compute: 'cpu-cluster' });
    client = new ParajobClient({ env: { PARAJOB_COORDINATOR: address } });
  });

  afterAll(async () => {
    client?.close();
    await killAllCli();
  });

  it('submits a pipeline built in code and streams it to success: step start and end, progress, final status', async () => {
    const submitted = await client.jobs.createOrUpdate(listing(dir, './code'), { experimentName: 'sdk-tests' });
    expect(submitted.jobId).toMatch(/^\S+$/);
    const events: JobStreamEvent[] = [];
    for await (const event of client.jobs.stream(submitted.jobId)) events.push(event);
    const types = events.map((event) => event.type);
    expect(types.indexOf('stepStarted')).toBeGreaterThanOrEqual(0);
    expect(types.indexOf('stepEnded')).toBeGreaterThan(types.indexOf('stepStarted'));
    expect(types).toContain('progress');
    const last = events.at(-1);
    expect(last?.type === 'status' && last.status.state).toBe(JobState.JOB_STATE_SUCCEEDED);

    const rows = (await readFile(join(submitted.runDir, 'outputs', 'rows', 'parallel_run_step.txt'), 'utf8'))
      .split('\n')
      .filter(Boolean);
    expect(rows).toHaveLength(FILES);
    expect((await client.jobs.get(submitted.jobId)).state).toBe(JobState.JOB_STATE_SUCCEEDED);
    expect((await client.jobs.list()).map((job) => job.jobId)).toContain(submitted.jobId);
  });

  it('cancels a running job: wait resolves with the cancelled status', async () => {
    const { jobId } = await client.jobs.createOrUpdate(listing(dir, './slow'));
    for await (const event of client.jobs.stream(jobId)) if (event.type === 'stepStarted') break;
    await client.jobs.cancel(jobId, 'cancelled by the SDK test');
    const final = await client.jobs.wait(jobId);
    expect(final.state).toBe(JobState.JOB_STATE_CANCELLED);
  });

  it('throws typed errors: an unknown id, an invalid job, no coordinator', async () => {
    await expect(client.jobs.get('no-such-job')).rejects.toBeInstanceOf(JobNotFoundError);
    await expect(client.jobs.createOrUpdate(join(dir, 'missing.yml'))).rejects.toThrow(/cannot read the job file/);
    const job = listing(dir, './code');
    job.jobs.list_files!.resources = { instanceCount: 0 };
    const invalid = await client.jobs.createOrUpdate(job).catch((error: unknown) => error);
    expect(invalid).toBeInstanceOf(ValidationError);
    expect((invalid as ValidationError).diagnostics).toEqual([
      expect.stringMatching(
        /^pipeline sdk_listing \(built in code\): jobs\.list_files\.resources\.instance_count: expected an integer ≥ 1/,
      ),
    ]);
    const nowhere = new ParajobClient({ address: '127.0.0.1:1', deadlineMs: 5_000 });
    await expect(nowhere.jobs.list()).rejects.toBeInstanceOf(UnavailableError);
    nowhere.close();
  });
});
