/**
 * The web UI's API over a real coordinator (in-process, real loopback gRPC and HTTP) with fake nodes:
 * the token and cookie rules, the jobs list, a job's graph, a step's settings with their sources,
 * its mini-batches, its timeline and metrics (with resource monitor files written by the monitor
 * itself), the run directory (nothing outside it), cancel and rerun, the push channel, and /metrics parsed as
 * Prometheus text.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { credentials } from '@grpc/grpc-js';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { takeSnapshot } from '../../src/code/snapshot.js';
import { type Coordinator, startCoordinator } from '../../src/coordinator/index.js';
import { JobsClient, ProcessorEventKind, type SubmitJobResponse } from '../../src/gen/parajob/v1/parajob.js';
import { GpuSampler } from '../../src/monitor/gpu-sampler.js';
import { startResourceMonitor } from '../../src/monitor/resource-monitor.js';
import { CHANNEL_OPTIONS, deadlineIn } from '../../src/rpc/options.js';
import type {
  FileContent,
  JobRowView,
  JobView,
  MetricsView,
  MiniBatchesView,
  StepDetailView,
  TimelineView,
  TreeEntry,
} from '../../src/web/api-types.js';
import { getJson, readEventsUntil, webLogin, type WebSession } from '../helpers/web-client.js';
import { echoFiles, FakeNode } from '../unit/coordinator/support/fake-node.js';

const FILE_COUNT = 9;
const MINI_BATCHES = 5;
const WAIT_MS = 20_000;

function createFixture(): { dir: string; specPath: string } {
  const dir = mkdtempSync(join(tmpdir(), 'parajob-web-'));
  mkdirSync(join(dir, 'code'));
  writeFileSync(join(dir, 'code', 'score.js'), 'export function run(batch) { return batch; }\n');
  mkdirSync(join(dir, 'data'));
  for (let i = 0; i < FILE_COUNT; i++) writeFileSync(join(dir, 'data', `f${i}.txt`), `${i}\n`);
  writeFileSync(join(dir, 'secret.txt'), 'not for the UI\n');
  const specPath = join(dir, 'job.yml');
  writeFileSync(
    specPath,
    `type: parallel
name: web-files
experiment_name: web-tests
compute: local
inputs:
  data: { type: uri_folder, path: ./data }
outputs:
  out: { type: uri_folder }
input_data: \${{inputs.data}}
mini_batch_size: "2"
resources:
  instance_count: 1
retry_settings:
  max_retries: 1
task:
  type: run_function
  code: ./code
  entry_script: score.js
  program_arguments: --error_threshold 3
  append_row_to: \${{outputs.out}}
`,
  );
  return { dir, specPath };
}

async function submit(client: JobsClient, dir: string, specPath: string): Promise<SubmitJobResponse> {
  const request = {
    specYaml: readFileSync(specPath, 'utf8'),
    specPath,
    code: [await takeSnapshot(join(dir, 'code'))],
    runDir: '',
    jobId: '',
    chaos: '',
    forceRerun: false,
  };
  return new Promise((resolve, reject) => {
    client.submit(request, { deadline: deadlineIn(10_000) } as never, (error, response) =>
      error ? reject(error) : resolve(response),
    );
  });
}

describe('the web API over a real coordinator', () => {
  let dir: string;
  let specPath: string;
  let coordinator: Coordinator;
  let jobs: JobsClient;
  let session: WebSession;
  const nodes: FakeNode[] = [];

  beforeEach(async () => {
    ({ dir, specPath } = createFixture());
    coordinator = await startCoordinator({
      host: '127.0.0.1',
      port: 0,
      dataDir: join(dir, 'coordinator'),
      heartbeatIntervalMs: 100,
      logger: pino({ level: 'silent' }),
      stepRunSettings: { releaseWaitMs: 2_000, overviewIntervalMs: 200 },
      http: { port: 0 },
    });
    jobs = new JobsClient(coordinator.address, credentials.createInsecure(), CHANNEL_OPTIONS);
    expect(coordinator.webUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}$/);
    session = await webLogin(coordinator.webUrl as string);
  });

  afterEach(async () => {
    for (const node of nodes.splice(0)) node.kill();
    jobs.close();
    await coordinator.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Submits the job and runs it on a fake node; `onAssign` may speak for its processors first. */
  async function runToEnd(onAssign?: (node: FakeNode, wireJobId: string) => void): Promise<string> {
    const { jobId } = await submit(jobs, dir, specPath);
    const node = new FakeNode(coordinator.address, 'alpha', echoFiles);
    if (onAssign !== undefined) node.on('assign', (assignment: { jobId: string }) => onAssign(node, assignment.jobId));
    nodes.push(node);
    await expect
      .poll(async () => (await getJson<JobView>(session, `/api/jobs/${jobId}`)).body.state, { timeout: WAIT_MS })
      .toBe('succeeded');
    return jobId;
  }

  it('answers 401 without the token, 401 with a wrong one, and serves the page (the login form) to anyone', async () => {
    const bare = await fetch(`${session.base}/api/jobs`);
    expect(bare.status).toBe(401);
    const wrong = await fetch(`${session.base}/api/jobs`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect((await fetch(`${session.base}/metrics`)).status).toBe(401);
    const page = await fetch(`${session.base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script type="module" src="/app.js">');
    const bearer = await fetch(`${session.base}/api/jobs`, { headers: { authorization: `Bearer ${session.token}` } });
    expect(bearer.status).toBe(200);
  });

  it('lists a finished job, draws its graph, and shows its settings with their sources', async () => {
    const jobId = await runToEnd();
    const list = await getJson<JobRowView[]>(session, '/api/jobs');
    expect(list.body).toEqual([
      expect.objectContaining({ jobId, name: 'web-files', experiment: 'web-tests', state: 'succeeded' }),
    ]);
    expect(list.body[0]?.progress).toMatchObject({
      miniBatchesTotal: MINI_BATCHES,
      miniBatchesSucceeded: MINI_BATCHES,
    });

    const job = (await getJson<JobView>(session, `/api/jobs/${jobId}`)).body;
    expect(job.graph.steps.map((step) => [step.name, step.type, step.state])).toEqual([
      ['web-files', 'parallel', 'succeeded'],
    ]);
    expect(job.graph.edges).toEqual([]);

    const step = (await getJson<StepDetailView>(session, `/api/jobs/${jobId}/steps/web-files`)).body;
    const setting = (name: string) => step.settings.find((candidate) => candidate.name === name);
    expect(setting('mini_batch_size')).toEqual({ name: 'mini_batch_size', value: '2', source: 'YAML' });
    expect(setting('retry_settings.max_retries')).toMatchObject({ value: '1', source: 'YAML' });
    expect(setting('retry_settings.timeout')).toMatchObject({ value: '60 s', source: 'default' });
    expect(setting('error_threshold')).toMatchObject({ value: '3', source: 'program argument' });
    expect(setting('max_concurrency_per_instance')).toMatchObject({ source: 'default' });
    expect(step.specYaml).toContain('mini_batch_size: "2"');
  });

  it('lists every attempt of the mini-batches, filtered by status', async () => {
    const jobId = await runToEnd();
    const all = (await getJson<MiniBatchesView>(session, `/api/jobs/${jobId}/steps/web-files/mini-batches`)).body;
    expect(all.attempts.map((row) => row.miniBatchId).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(new Set(all.attempts.map((row) => row.status))).toEqual(new Set(['RUN_DONE']));
    expect(all.live).toMatchObject({ total: MINI_BATCHES, succeeded: MINI_BATCHES, pending: 0, leased: 0 });
    const failed = (
      await getJson<MiniBatchesView>(session, `/api/jobs/${jobId}/steps/web-files/mini-batches?status=RUN_EXCEPTION`)
    ).body;
    expect(failed.attempts).toEqual([]);
    const one = (await getJson<MiniBatchesView>(session, `/api/jobs/${jobId}/steps/web-files/mini-batches?miniBatch=3`))
      .body;
    expect(one.attempts.map((row) => row.miniBatchId)).toEqual([3]);
  });

  it('draws the attempts on a timeline per node and process, filtered by status', async () => {
    const jobId = await runToEnd();
    const path = `/api/jobs/${jobId}/steps/web-files/timeline`;
    const all = (await getJson<TimelineView>(session, path)).body;
    expect(all.counts).toEqual({ running: 0, done: MINI_BATCHES, failed: 0, retried: 0, revoked: 0 });
    const bars = all.lanes.flatMap((lane) => lane.bars);
    expect(bars.map((bar) => bar.miniBatchId).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(all.lanes.every((lane) => lane.node !== '' && lane.process !== '')).toBe(true);
    for (const bar of bars) expect(bar.endMs).toBeGreaterThanOrEqual(bar.startMs);
    expect((await getJson<TimelineView>(session, `${path}?status=failed`)).body.lanes).toEqual([]);
    expect((await getJson(session, `/api/jobs/${jobId}/steps/nope/timeline`)).status).toBe(404);
  });

  it("charts the step's attempts over time and reads the resource monitor's files", async () => {
    const jobId = await runToEnd();
    const path = `/api/jobs/${jobId}/steps/web-files/metrics`;
    const before = (await getJson<MetricsView>(session, path)).body;
    expect(before.buckets.reduce((sum, bucket) => sum + bucket.done, 0)).toBe(MINI_BATCHES);
    expect(before.buckets.reduce((sum, bucket) => sum + bucket.items, 0)).toBe(FILE_COUNT);
    expect(before.buckets.at(-1)?.doneTotal).toBe(MINI_BATCHES);
    // Fake nodes run no resource monitor; the default interval is Azure's 600 s.
    expect(before.perf).toEqual([]);
    expect(before.resourceMonitorIntervalS).toBe(600);

    // The monitor writes the step's perf files as a node would, with a GPU from a recorded nvidia-smi line.
    const runDir = (await getJson<JobView>(session, `/api/jobs/${jobId}`)).body.runDir;
    const fakeSmi = join(dir, 'nvidia-smi');
    writeFileSync(fakeSmi, '#!/bin/sh\necho "0, Tesla T4, 42, 1024, 15360"\n');
    chmodSync(fakeSmi, 0o755);
    const monitor = startResourceMonitor({
      jobId,
      nodeId: 'alpha-node',
      logDir: join(runDir, 'logs'),
      intervalMs: 600_000,
      logger: pino({ level: 'silent' }),
      gpu: new GpuSampler(fakeSmi),
    });
    await monitor.stop();
    const after = (await getJson<MetricsView>(session, path)).body;
    expect(after.perf).toEqual([
      expect.objectContaining({
        nodeId: 'alpha-node',
        points: [expect.objectContaining({ cpuPercent: expect.any(Number), memoryUsedPercent: expect.any(Number) })],
        gpus: [expect.objectContaining({ index: 0, utilizationPercent: 42, memoryUsedMB: 1024 })],
        gpuNote: '',
      }),
    ]);
    expect(after.perf[0]?.points[0]?.memoryUsedPercent).toBeGreaterThan(0);
  });

  it('shows the run directory and its files, and nothing outside it', async () => {
    const jobId = await runToEnd();
    const tree = (await getJson<{ entries: TreeEntry[] }>(session, `/api/jobs/${jobId}/files`)).body;
    const paths = tree.entries.map((entry) => entry.path);
    expect(paths).toEqual(expect.arrayContaining(['logs/job_result.txt', 'outputs/out/parallel_run_step.txt']));
    const result = await getJson<FileContent>(session, `/api/jobs/${jobId}/file?path=logs/job_result.txt`);
    expect(result.body.text).toMatch(/succeeded/i);
    const output = await getJson<FileContent>(
      session,
      `/api/jobs/${jobId}/file?path=outputs/out/parallel_run_step.txt`,
    );
    expect(output.body.text.trim().split('\n')).toHaveLength(FILE_COUNT);
    const tail = await getJson<FileContent>(
      session,
      `/api/jobs/${jobId}/file?path=outputs/out/parallel_run_step.txt&from=${output.body.size - 3}`,
    );
    expect(tail.body).toMatchObject({ from: output.body.size - 3, truncated: true });
    expect(tail.body.text).toHaveLength(3);

    const runDir = (await getJson<JobView>(session, `/api/jobs/${jobId}`)).body.runDir;
    symlinkSync(join(dir, 'secret.txt'), join(runDir, 'escape.txt'));
    const refused = async (path: string) =>
      (await getJson<{ error: string }>(session, `/api/jobs/${jobId}/file?path=${encodeURIComponent(path)}`)).status;
    expect(await refused('../../../secret.txt')).toBe(403);
    expect(await refused('../../../no-such-file')).toBe(403);
    expect(await refused(join(dir, 'secret.txt'))).toBe(400);
    expect(await refused('escape.txt')).toBe(403);
    expect(await refused('no/such/file')).toBe(404);
    expect((await getJson(session, `/api/jobs/${jobId}/files?path=..`)).status).toBe(403);
  });

  it('cancels a running job from a same-origin request, refuses a foreign origin, and pushes the change', async () => {
    const { jobId } = await submit(jobs, dir, specPath);
    nodes.push(new FakeNode(coordinator.address, 'holder', () => 'hold'));
    await expect
      .poll(async () => (await getJson<JobView>(session, `/api/jobs/${jobId}`)).body.graph.steps[0]?.progress, {
        timeout: WAIT_MS,
      })
      .toMatchObject({ miniBatchesRunning: 2 });
    const running = (await getJson<MiniBatchesView>(session, `/api/jobs/${jobId}/steps/web-files/mini-batches`)).body;
    expect(running.live?.leases.map((lease) => lease.miniBatchId)).toEqual([0, 1]);
    expect(running.live?.nodes).toEqual([{ nodeId: expect.any(String), processors: 1 }]);

    const cancelUrl = `${session.base}/api/jobs/${jobId}/cancel`;
    const foreign = await fetch(cancelUrl, {
      method: 'POST',
      headers: { cookie: session.cookie, origin: 'http://evil.example' },
    });
    expect(foreign.status).toBe(403);
    const pushed = readEventsUntil(
      session,
      `/api/events?job=${jobId}`,
      (event) => event.event === 'job' && (JSON.parse(event.data) as JobView).state === 'cancelled',
      WAIT_MS,
    );
    const cancel = await fetch(cancelUrl, {
      method: 'POST',
      headers: { cookie: session.cookie, origin: session.base },
    });
    expect(cancel.status).toBe(200);
    const events = await pushed;
    expect(events[0]?.event).toBe('jobs');

    // The cancelled job is rerun from the UI (refused while it still runs, and from a foreign origin).
    const rerunUrl = `${session.base}/api/jobs/${jobId}/rerun`;
    const rerunFrom = (origin: string) =>
      fetch(rerunUrl, { method: 'POST', headers: { cookie: session.cookie, origin } });
    expect((await rerunFrom('http://evil.example')).status).toBe(403);
    let rerun: { jobId: string } | undefined;
    await expect
      .poll(
        async () => {
          const answer = await rerunFrom(session.base);
          if (answer.status === 200) rerun = (await answer.json()) as { jobId: string };
          else
            expect((await answer.json()) as { error: string }).toMatchObject({
              error: expect.stringContaining('still running'),
            });
          return answer.status;
        },
        { timeout: WAIT_MS },
      )
      .toBe(200);
    const rerunId = rerun?.jobId ?? '';
    expect((await getJson<JobView>(session, `/api/jobs/${rerunId}`)).status).toBe(200);
    // Ended before the test's folder goes.
    await fetch(`${session.base}/api/jobs/${rerunId}/cancel`, {
      method: 'POST',
      headers: { cookie: session.cookie, origin: session.base },
    });
    await expect
      .poll(async () => (await getJson<JobView>(session, `/api/jobs/${rerunId}`)).body.state, { timeout: WAIT_MS })
      .toBe('cancelled');
    expect(
      (
        await fetch(`${session.base}/api/jobs/no-such-job/rerun`, {
          method: 'POST',
          headers: { cookie: session.cookie, origin: session.base },
        })
      ).status,
    ).toBe(404);
  });

  it('exposes /metrics in Prometheus text format and the pending mini-batches per compute pool', async () => {
    // The node's first processor reports a worker ready, a failed init, then a worker ready again (a
    // restart); its second processor's first worker is no restart.
    const jobId = await runToEnd((node, assignedJobId) => {
      node.processorEvent(assignedJobId, ProcessorEventKind.PROCESSOR_EVENT_KIND_READY, 'process000');
      node.processorEvent(assignedJobId, ProcessorEventKind.PROCESSOR_EVENT_KIND_INIT_FAILED, 'process000');
      node.processorEvent(assignedJobId, ProcessorEventKind.PROCESSOR_EVENT_KIND_READY, 'process000');
      node.processorEvent(assignedJobId, ProcessorEventKind.PROCESSOR_EVENT_KIND_READY, 'process001');
    });
    expect(jobId).not.toBe('');
    const response = await fetch(`${session.base}/metrics`, { headers: { cookie: session.cookie } });
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const families = parsePrometheusTextFormat(await response.text());
    const value = (name: string, labels: Record<string, string> = {}) =>
      families
        .find((family) => family.name === name)
        ?.metrics.find((metric) =>
          Object.entries(labels).every(
            ([key, wanted]) => (metric as { labels?: Record<string, string> }).labels?.[key] === wanted,
          ),
        );
    expect(value('parajob_jobs', { state: 'succeeded' })).toMatchObject({ value: '1' });
    expect(value('parajob_jobs', { state: 'running' })).toMatchObject({ value: '0' });
    expect(value('parajob_mini_batches', { status: 'succeeded' })).toMatchObject({ value: String(MINI_BATCHES) });
    expect(value('parajob_items', { outcome: 'succeeded' })).toMatchObject({ value: String(FILE_COUNT) });
    expect(value('parajob_nodes')).toMatchObject({ value: '1' });
    expect(value('parajob_host_memory_total_bytes', { node: 'coordinator' })).toBeDefined();
    expect(value('parajob_host_io_bytes_per_second', { node: 'coordinator', device: 'network' })).toBeDefined();
    expect(families.find((family) => family.name === 'parajob_lease_round_trip_seconds')?.type).toBe('HISTOGRAM');
    // Every accepted attempt was observed once.
    const roundTrips = families.find((family) => family.name === 'parajob_lease_round_trip_seconds')?.metrics[0] as {
      count?: string;
    };
    expect(roundTrips.count).toBe(String(MINI_BATCHES));
    // The journal made the job's acceptance and its results durable: each group commit's sync was timed.
    const fsync = families.find((family) => family.name === 'parajob_journal_fsync_seconds');
    expect(fsync?.type).toBe('HISTOGRAM');
    const syncs = fsync?.metrics[0] as { count?: string; sum?: string; buckets?: Record<string, string> };
    expect(Number(syncs.count)).toBeGreaterThan(0);
    expect(Number(syncs.sum)).toBeGreaterThan(0);
    expect(syncs.buckets?.['+Inf']).toBe(syncs.count);
    expect(families.find((family) => family.name === 'parajob_processor_restarts_total')?.type).toBe('COUNTER');
    const nodeId = nodes.at(-1)?.nodeId ?? '';
    expect(value('parajob_processor_restarts_total', { node: nodeId, cause: 'worker_replaced' })).toMatchObject({
      value: '1',
    });
    expect(value('parajob_processor_restarts_total', { node: nodeId, cause: 'init_failed' })).toMatchObject({
      value: '1',
    });
    const pending = await getJson<{ pending: Record<string, number> }>(session, '/api/pending');
    expect(pending.body).toEqual({ pending: { local: 0 } });
  });
});
