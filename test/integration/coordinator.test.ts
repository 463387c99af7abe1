/**
 * The coordinator in-process over real loopback gRPC, with fake nodes written against the generated
 * ClusterClient: a job runs to the end, its append_row file holds every line exactly once and its CSV
 * report agrees; a node whose stream dies mid-job has its leases re-queued to the other node.
 */
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { credentials } from '@grpc/grpc-js';
import { parse as parseCsv } from 'csv-parse/sync';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { takeSnapshot } from '../../src/code/snapshot.js';
import { type Coordinator, startCoordinator } from '../../src/coordinator/index.js';
import {
  type JobEvent,
  JobsClient,
  JobState,
  type SubmitJobRequest,
  type SubmitJobResponse,
} from '../../src/gen/parajob/v1/parajob.js';
import { CHANNEL_OPTIONS, deadlineIn } from '../../src/rpc/options.js';
import { echoFiles, FakeNode } from '../unit/coordinator/support/fake-node.js';

const FILE_COUNT = 25;
const FILES_PER_MINI_BATCH = 2;
const MINI_BATCHES = Math.ceil(FILE_COUNT / FILES_PER_MINI_BATCH);
const WAIT_MS = 20_000;

interface Fixture {
  readonly dir: string;
  readonly dataDir: string;
  readonly specPath: string;
  readonly files: string[];
}

function createFixture(): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'parajob-coordinator-'));
  mkdirSync(join(dir, 'code'));
  writeFileSync(join(dir, 'code', 'score.js'), 'export function run(batch) { return batch; }\n');
  mkdirSync(join(dir, 'data', 'nested'), { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < FILE_COUNT; i++) {
    const relative =
      i % 5 === 0 ? join('nested', `f${String(i).padStart(2, '0')}.txt`) : `f${String(i).padStart(2, '0')}.txt`;
    writeFileSync(join(dir, 'data', relative), `${i}\n`);
    files.push(join(dir, 'data', relative));
  }
  const specPath = join(dir, 'job.yml');
  writeFileSync(
    specPath,
    `type: parallel
name: echo-files
compute: local
inputs:
  data:
    type: uri_folder
    path: ./data
outputs:
  out:
    type: uri_folder
input_data: \${{inputs.data}}
mini_batch_size: "${FILES_PER_MINI_BATCH}"
resources:
  instance_count: 2
retry_settings:
  max_retries: 1
  timeout: 30
task:
  type: run_function
  code: ./code
  entry_script: score.js
  append_row_to: \${{outputs.out}}
`,
  );
  return { dir, dataDir: join(dir, 'coordinator'), specPath, files };
}

async function submit(client: JobsClient, fixture: Fixture): Promise<SubmitJobResponse> {
  const request: SubmitJobRequest = {
    specYaml: readFileSync(fixture.specPath, 'utf8'),
    specPath: fixture.specPath,
    code: [await takeSnapshot(join(fixture.dir, 'code'))],
    runDir: '',
    jobId: '',
    chaos: '',
  };
  return new Promise((resolve, reject) => {
    client.submit(request, { deadline: deadlineIn(10_000) } as never, (error, response) =>
      error ? reject(error) : resolve(response),
    );
  });
}

/** Every event of a Watch stream until the coordinator ends it (bounded by WAIT_MS). */
function watchToEnd(
  client: JobsClient,
  jobId: string,
  onEvent: (event: JobEvent) => void = () => undefined,
): Promise<JobEvent[]> {
  const events: JobEvent[] = [];
  const stream = client.watch({ jobId, logs: false });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.cancel();
      reject(
        new Error(
          `the Watch stream did not end within ${WAIT_MS} ms; last events: ${JSON.stringify(events.slice(-3))}`,
        ),
      );
    }, WAIT_MS);
    stream.on('data', (event: JobEvent) => {
      events.push(event);
      onEvent(event);
    });
    stream.on('end', () => {
      clearTimeout(timer);
      resolve(events);
    });
    stream.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function statuses(events: readonly JobEvent[]) {
  return events.flatMap((event) => (event.kind?.$case === 'status' ? [event.kind.value] : []));
}

interface CsvRow {
  readonly 'Mini-batch Id': string;
  readonly Attempt: string;
  readonly Node: string;
  readonly Status: string;
}

function readCsv(runDir: string): CsvRow[] {
  return parseCsv(readFileSync(join(runDir, 'logs', 'sys', 'job_report', 'processed_mini-batches.csv'), 'utf8'), {
    columns: true,
  }) as CsvRow[];
}

function outputLines(runDir: string): string[] {
  const text = readFileSync(join(runDir, 'outputs', 'out', 'parallel_run_step.txt'), 'utf8');
  return text.split('\n').filter((line) => line !== '');
}

describe('coordinator over loopback gRPC', () => {
  let fixture: Fixture;
  let coordinator: Coordinator;
  let jobs: JobsClient;
  const nodes: FakeNode[] = [];

  beforeEach(async () => {
    fixture = createFixture();
    coordinator = await startCoordinator({
      host: '127.0.0.1',
      port: 0,
      dataDir: fixture.dataDir,
      heartbeatIntervalMs: 100,
      logger: pino({ level: 'silent' }),
      stepRunSettings: { releaseWaitMs: 2_000, overviewIntervalMs: 200 },
    });
    jobs = new JobsClient(coordinator.address, credentials.createInsecure(), CHANNEL_OPTIONS);
  });

  afterEach(async () => {
    for (const node of nodes.splice(0)) node.kill();
    jobs.close();
    await coordinator.stop();
    rmSync(fixture.dir, { recursive: true, force: true });
  });

  it('runs a job on two nodes: every output line exactly once, the CSV agrees, watchers see it through', async () => {
    const submitted = await submit(jobs, fixture);
    expect(submitted.jobId).toMatch(/^echo-files-\d{8}-\d{6}-[0-9a-f]{4}$/);
    let latestReason = '';
    const watching = watchToEnd(jobs, submitted.jobId, (event) => {
      if (event.kind?.$case === 'status') latestReason = event.kind.value.stateReason;
    });
    // No node yet: the job waits, and its status says for what (never a silent wait).
    await expect
      .poll(() => latestReason, { timeout: WAIT_MS })
      .toBe("waiting for 2 more nodes of compute 'local' (0 of 2 attached)");
    nodes.push(
      new FakeNode(coordinator.address, 'alpha', echoFiles),
      new FakeNode(coordinator.address, 'beta', echoFiles),
    );
    const events = await watching;

    const final = statuses(events).at(-1);
    expect(final?.state).toBe(JobState.JOB_STATE_SUCCEEDED);
    expect(final?.progress).toMatchObject({
      miniBatchesTotal: MINI_BATCHES,
      miniBatchesSucceeded: MINI_BATCHES,
      itemsSucceeded: FILE_COUNT,
    });

    expect(outputLines(submitted.runDir).sort()).toEqual([...fixture.files].sort());
    const rows = readCsv(submitted.runDir);
    expect(rows.every((row) => row.Status === 'RUN_DONE' && row.Attempt === '1')).toBe(true);
    expect(rows.map((row) => Number(row['Mini-batch Id'])).sort((a, b) => a - b)).toEqual([
      ...Array(MINI_BATCHES).keys(),
    ]);
    expect(readFileSync(join(submitted.runDir, 'logs', 'job_result.txt'), 'utf8')).toMatch(
      new RegExp(`^Job ${submitted.jobId} succeeded: all ${MINI_BATCHES} mini batches \\(${FILE_COUNT} items\\)`),
    );
    const overview = readFileSync(join(submitted.runDir, 'logs', 'job_progress_overview.txt'), 'utf8');
    expect(overview).toContain(`Scheduling finished. Scheduled ${MINI_BATCHES} mini batches in`);
    expect(overview).toContain(`Processed ${MINI_BATCHES} of ${MINI_BATCHES} mini batches in`);
    // Both nodes were released and confirmed it.
    await expect.poll(() => nodes.map((node) => node.releases.length)).toEqual([1, 1]);
  });

  it('re-queues the leases of a node whose stream dies mid-job to the other node', async () => {
    const holder = new FakeNode(coordinator.address, 'holder', () => 'hold');
    nodes.push(holder);
    await holder.welcomed();
    const submitted = await submit(jobs, fixture);
    const watching = watchToEnd(jobs, submitted.jobId);
    await once(holder, 'leases');
    const held = holder.leases.map((lease) => lease.miniBatchId);
    expect(held.length).toBeGreaterThan(0);

    const worker = new FakeNode(coordinator.address, 'worker', echoFiles);
    nodes.push(worker);
    await once(worker, 'assign');
    holder.kill();
    const events = await watching;

    expect(statuses(events).at(-1)?.state).toBe(JobState.JOB_STATE_SUCCEEDED);
    expect(
      events.some(
        (event) => event.kind?.$case === 'message' && /node holder lost .*re-queued/.test(event.kind.value.text),
      ),
    ).toBe(true);
    expect(outputLines(submitted.runDir).sort()).toEqual([...fixture.files].sort());
    const rows = readCsv(submitted.runDir);
    for (const id of held) {
      const attempts = rows
        .filter((row) => Number(row['Mini-batch Id']) === id)
        .map((row) => [row.Attempt, row.Node, row.Status]);
      expect(attempts).toEqual([
        ['1', 'holder', 'REVOKED'],
        ['2', 'worker', 'RUN_DONE'],
      ]);
    }
    expect(rows.filter((row) => row.Status === 'RUN_DONE')).toHaveLength(MINI_BATCHES);
  });

  it('cancels a job that waits for nodes: Cancel answers with its status, Watch ends with CANCELLED', async () => {
    const submitted = await submit(jobs, fixture);
    const watching = watchToEnd(jobs, submitted.jobId);
    const cancelled = await new Promise((resolve, reject) =>
      jobs.cancel({ jobId: submitted.jobId, reason: 'not needed' }, (error, status) =>
        error ? reject(error) : resolve(status),
      ),
    );
    expect(cancelled).toMatchObject({ jobId: submitted.jobId });
    const final = statuses(await watching).at(-1);
    expect(final).toMatchObject({ state: JobState.JOB_STATE_CANCELLED, stateReason: 'not needed' });
    expect(readFileSync(join(submitted.runDir, 'logs', 'job_result.txt'), 'utf8')).toMatch(
      /was cancelled after .*: not needed/,
    );
    const listed = await new Promise<unknown>((resolve, reject) =>
      jobs.list({}, (error, list) => (error ? reject(error) : resolve(list))),
    );
    expect(listed).toMatchObject({ jobs: [{ jobId: submitted.jobId, state: JobState.JOB_STATE_CANCELLED }] });
  });

  it('refuses a spec error with INVALID_ARGUMENT and the located message', async () => {
    writeFileSync(
      fixture.specPath,
      readFileSync(fixture.specPath, 'utf8').replace('mini_batch_size', 'mini_batch_siz'),
    );
    await expect(submit(jobs, fixture)).rejects.toMatchObject({
      code: 3,
      details: expect.stringMatching(/job\.yml:\d+:\d+: mini_batch_siz: .*mini_batch_size/),
    });
  });

  it('refuses a submission without a snapshot of the step’s code folder', async () => {
    const request: SubmitJobRequest = {
      specYaml: readFileSync(fixture.specPath, 'utf8'),
      specPath: fixture.specPath,
      code: [],
      runDir: '',
      jobId: '',
      chaos: '',
    };
    const error = await new Promise((resolve) => jobs.submit(request, (failure) => resolve(failure)));
    expect(error).toMatchObject({
      code: 3,
      details: expect.stringContaining(
        `no code snapshot was sent for its task.code folder ${join(fixture.dir, 'code')}`,
      ),
    });
  });
});
