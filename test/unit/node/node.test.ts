import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import { pino } from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { takeSnapshot } from '../../../src/code/snapshot.js';
import {
  BatchOutcome,
  type CodeSnapshot,
  type JobAssignment,
  type Lease,
  ProcessorEventKind,
} from '../../../src/gen/parajob/v1/parajob.js';
import { type RunningNode, startNode } from '../../../src/node/index.js';
import { isRunning } from '../../helpers/process-state.js';
import { requireBuiltWorker } from '../worker/worker-harness.js';
import { FakeCoordinator, type Session } from './fake-coordinator.js';
import { leaseOf } from './processor-harness.js';

/** The node's root log lines, parsed. */
const rootLines: Record<string, unknown>[] = [];
const rootLogger = pino(
  { level: 'info' },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n'))
        if (line !== '') rootLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  }),
);

const SCRIPT = `
  import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
  import { join } from 'node:path';
  export async function run(batch, context) {
    const gate = batch.find((file) => file.startsWith('gate:'));
    if (gate) {
      const folder = gate.slice(5);
      writeFileSync(join(folder, 'started'), String(process.pid));
      while (!existsSync(join(folder, 'go'))) await new Promise((resolve) => setTimeout(resolve, 20));
      writeFileSync(join(folder, 'finished'), '');
    }
    return batch.map((file) => context.processName + ' ' + file);
  }
  export function shutdown(context) { appendFileSync(join(context.outputDir, 'shutdown.txt'), context.processName + '\\n'); }
`;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

beforeAll(() => requireBuiltWorker());

interface Setup {
  readonly dir: string;
  readonly snapshot: CodeSnapshot;
  readonly fake: FakeCoordinator;
  readonly node: RunningNode;
  readonly first: Session;
}

async function setUp(files: Record<string, string> = {}, reconnectForMs?: number): Promise<Setup> {
  const dir = await mkdtemp(join(tmpdir(), 'parajob-nodetest-'));
  await mkdir(join(dir, 'src'));
  await mkdir(join(dir, 'out'));
  for (const [name, content] of Object.entries({ 'score.mjs': SCRIPT, ...files }))
    await writeFile(join(dir, 'src', name), content);
  const snapshot = await takeSnapshot(join(dir, 'src'));
  const fake = new FakeCoordinator([snapshot]);
  const address = await fake.start();
  cleanups.push(() => fake.stop());
  // The node only resolves once welcomed: welcome it from a session as soon as it says hello.
  const nodeStarting = startNode(
    {
      coordinator: address,
      name: 'n1',
      compute: 'cpu',
      cores: 2,
      cacheDir: join(dir, 'cache'),
      // The leases' items are names, not files: the node is told it sees everything, so it hands
      // them to run() as they are instead of fetching them (src/node/inputs/visibility.ts).
      sharedFs: ['/'],
      logger: rootLogger,
      ...(reconnectForMs === undefined ? {} : { reconnectForMs }),
    },
    { timing: { reconnectInitialMs: 50, reconnectMaxMs: 200, connectTimeoutMs: 2_000, drainTimeoutMs: 15_000 } },
  );
  const first = await fake.session(1);
  const hello = await first.until(() => first.all('hello')[0], 'hello');
  expect(hello).toMatchObject({ name: 'n1', compute: 'cpu', cores: 2, gpus: 0, nodeId: '', jobIds: [] });
  first.send({ kind: { $case: 'welcome', value: { nodeId: 'n1', heartbeatIntervalMs: 100, sessionTimeoutMs: 0 } } });
  const node = await nodeStarting;
  cleanups.push(() => node.stop());
  return { dir, snapshot, fake, node, first };
}

function assignment(setup: Setup, overrides: Partial<JobAssignment> = {}): JobAssignment {
  return {
    jobId: 'job-1',
    stepName: 'score',
    codeHash: setup.snapshot.hash,
    entryScript: 'score.mjs',
    argv: ['--mini_batch_size', '2'],
    environmentVariables: { EXAMPLE: 'yes' },
    maxConcurrency: 2,
    runTimeoutMs: 10_000,
    outputDir: join(setup.dir, 'out'),
    logDir: join(setup.dir, 'logs'),
    loggingLevel: 'INFO',
    appendRow: true,
    prefetch: 1,
    inputKind: 'files',
    tabularReaderJson: '',
    chaosJson: '',
    taskOverheadTimeoutMs: 0,
    resourceMonitorIntervalMs: 0,
    initBackoffMs: 50,
    maxInitFailures: 0,
    restartIntensity: 0,
    restartPeriodMs: 0,
    jobName: 'job',
    stagedOutputs: [],
    ...overrides,
  };
}

function creditOf(session: Session, jobId = 'job-1'): number {
  return session
    .all('leaseRequest')
    .filter((request) => request.jobId === jobId)
    .reduce((sum, request) => sum + request.count, 0);
}

function resultsOf(session: Session) {
  return session.all('results').flatMap((batch) => batch.results);
}

function grant(session: Session, leases: Lease[]): void {
  session.send({ kind: { $case: 'leases', value: { jobId: 'job-1', leases } } });
}

/** Messages (`msg`) of the job's node log so far; the file is written asynchronously, so read it afresh. */
function jobLogMessages(dir: string): string[] {
  const file = join(dir, 'logs', 'sys', 'node', 'n1', '_main.txt');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => String((JSON.parse(line) as Record<string, unknown>)['msg']));
}

describe('node against a fake coordinator', () => {
  it('registers, runs an assignment with credits and batched results, heartbeats, and leaves on release after shutdown()', async () => {
    const setup = await setUp();
    const { first: session, node, dir } = setup;
    expect(node.nodeId).toBe('n1');

    session.send({ kind: { $case: 'assign', value: assignment(setup) } });
    // Two processors × (1 running + 1 prefetched).
    await session.until(() => creditOf(session) === 4, 'the initial credit of 4');
    expect(existsSync(join(dir, 'cache', 'code', setup.snapshot.hash, 'score.mjs'))).toBe(true);

    grant(session, [leaseOf(0, ['a', 'b']), leaseOf(1, ['c']), leaseOf(2, ['d']), leaseOf(3, ['e', 'f'])]);
    const results = await session.until(
      () => (resultsOf(session).length === 4 ? resultsOf(session) : undefined),
      '4 results',
    );
    expect(results.every((result) => result.outcome === BatchOutcome.BATCH_OUTCOME_COMPLETED)).toBe(true);
    expect(results.map((result) => result.miniBatchId).sort()).toEqual([0, 1, 2, 3]);
    const first = results.find((result) => result.miniBatchId === 0);
    expect(first).toMatchObject({ token: 100, attempt: 1, total: 2, succeeded: 2, rowCount: 2 });
    expect(first?.rows.toString()).toMatch(/^(process00[01]) a\n\1 b\n$/);
    // Every finished lease asks for one more, in batches (and the adaptive prefetch, prefetch-tuner.ts,
    // asks for more once it has measured no-op runs against the credit round trip).
    await session.until(() => creditOf(session) >= 8, 'credit topped up to at least 8');
    expect(session.all('leaseRequest').length).toBeLessThanOrEqual(1 + session.all('results').length);
    expect(session.all('results').length).toBeLessThanOrEqual(4);
    await session.until(() => session.all('heartbeat').length >= 2, 'two heartbeats');
    const readyNames = (): string[] =>
      session
        .all('processorEvent')
        .filter((event) => event.kind === ProcessorEventKind.PROCESSOR_EVENT_KIND_READY)
        .map((event) => event.processName)
        .sort();
    await session.until(() => readyNames().length === 2, 'both processors ready');
    expect(readyNames()).toEqual(['process000', 'process001']);

    session.send({ kind: { $case: 'release', value: { jobId: 'job-1', reason: 'succeeded' } } });
    const left = await session.until(() => session.all('jobLeft')[0], 'job_left');
    expect(left).toEqual({ jobId: 'job-1', reason: 'released: succeeded' });
    const kinds = session.received.map((message) => message.kind?.$case);
    const stopped = session
      .all('processorEvent')
      .filter((event) => event.kind === ProcessorEventKind.PROCESSOR_EVENT_KIND_STOPPED);
    expect(stopped.map((event) => event.processName).sort()).toEqual(['process000', 'process001']);
    expect(kinds.lastIndexOf('processorEvent')).toBeLessThan(kinds.indexOf('jobLeft'));
    const shutdowns = (await readFile(join(dir, 'out', 'shutdown.txt'), 'utf8')).trim().split('\n').sort();
    expect(shutdowns).toEqual(['process000', 'process001']);

    // The job's node log carries its bindings.
    const log = (await readFile(join(dir, 'logs', 'sys', 'node', 'n1', '_main.txt'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(log.length).toBeGreaterThan(0);
    expect(log.every((line) => line['nodeId'] === 'n1' && line['jobId'] === 'job-1')).toBe(true);
    expect(log.some((line) => line['processName'] === 'process000')).toBe(true);
  });

  it('reconnects after the coordinator drops the stream and re-sends what it produced meanwhile', async () => {
    const setup = await setUp();
    const { first, fake, dir } = setup;
    const gate = join(dir, 'gate');
    await mkdir(gate);
    first.send({ kind: { $case: 'assign', value: assignment(setup, { maxConcurrency: 1 }) } });
    await first.until(() => creditOf(first) === 2, 'the initial credit of 2');
    grant(first, [leaseOf(0, [`gate:${gate}`]), leaseOf(1, ['queued'])]);
    await first.until(() => existsSync(join(gate, 'started')), 'the gated run to start');

    first.drop();
    const second = await fake.session(2);
    const hello = await second.until(() => second.all('hello')[0], 'the second hello');
    expect(hello).toMatchObject({ name: 'n1', nodeId: 'n1', jobIds: ['job-1'] });

    // Let the run finish while the node waits for its welcome: the result must be kept.
    await writeFile(join(gate, 'go'), '');
    await second.until(() => existsSync(join(gate, 'finished')), 'the gated run to finish');
    second.send({ kind: { $case: 'welcome', value: { nodeId: 'n1', heartbeatIntervalMs: 100, sessionTimeoutMs: 0 } } });

    const results = await second.until(
      () => (resultsOf(second).length >= 2 ? resultsOf(second) : undefined),
      'results on the new stream',
    );
    expect(results.find((result) => result.miniBatchId === 0)).toMatchObject({
      outcome: BatchOutcome.BATCH_OUTCOME_COMPLETED,
      token: 100,
      succeeded: 1,
    });
    // The lease still queued when the stream broke is handed back rather than run late.
    expect(results.find((result) => result.miniBatchId === 1)).toMatchObject({
      outcome: BatchOutcome.BATCH_OUTCOME_RETURNED,
      token: 101,
    });
    expect(resultsOf(first)).toHaveLength(0);
    // Credit is asked afresh on the new session (the coordinator forgot the old one).
    await second.until(() => creditOf(second) === 2, 'credit of 2 on the new stream');
    await second.until(() => second.all('heartbeat').length >= 1, 'a heartbeat on the new stream');
  });

  it('keeps a result until acknowledged: says its leases in the next hello and sends the unacknowledged result again', async () => {
    const setup = await setUp();
    const { first, fake } = setup;
    first.send({ kind: { $case: 'assign', value: assignment(setup, { maxConcurrency: 1 }) } });
    await first.until(() => creditOf(first) === 2, 'the initial credit of 2');
    grant(first, [leaseOf(0, ['a']), leaseOf(1, ['b'])]);
    await first.until(() => (resultsOf(first).length === 2 ? true : undefined), 'both results');
    // The coordinator made mini-batch 0 durable (ack), then the stream broke before mini-batch 1's ack.
    first.send({ kind: { $case: 'resultsAck', value: { jobId: 'job-1', tokens: [100] } } });
    await first.until(() => first.all('heartbeat').length >= 1, 'a heartbeat after the ack');
    first.drop();

    const second = await fake.session(2);
    const hello = await second.until(() => second.all('hello')[0], 'the second hello');
    expect(hello).toMatchObject({ nodeId: 'n1', jobIds: ['job-1'], heldLeases: [{ jobId: 'job-1', tokens: [101] }] });
    second.send({ kind: { $case: 'welcome', value: { nodeId: 'n1', heartbeatIntervalMs: 100, sessionTimeoutMs: 0 } } });
    const resent = await second.until(
      () => (resultsOf(second).length >= 1 ? resultsOf(second) : undefined),
      'the unacknowledged result on the new stream',
    );
    expect(resent.map((result) => [result.miniBatchId, result.token, result.outcome])).toEqual([
      [1, 101, BatchOutcome.BATCH_OUTCOME_COMPLETED],
    ]);
    await second.until(() => second.all('heartbeat').length >= 2, 'heartbeats on the new stream');
    expect(resultsOf(second)).toHaveLength(1);
  });

  it('gives up on a coordinator that stays unreachable for reconnectForMs', async () => {
    const setup = await setUp({}, 600);
    const { fake, node } = setup;
    let gaveUp: string | undefined;
    void node.gaveUp.then((text) => (gaveUp = text));
    await fake.stop();
    // Bounded: the window, one backoff (≤ 200 ms) and one connect attempt (≤ 2 s).
    await expect.poll(() => gaveUp, { timeout: 5_000, interval: 50 }).toMatch(/unreachable for 600 ms .*gave up/);
    expect(rootLines.some((line) => String(line['msg']).startsWith('gave up on the coordinator'))).toBe(true);
  });

  it('answers a release for a job it does not run with job_left at once', async () => {
    const setup = await setUp();
    const { first } = setup;
    first.send({ kind: { $case: 'release', value: { jobId: 'ghost', reason: 'cancelled' } } });
    const left = await first.until(() => first.all('jobLeft')[0], 'job_left');
    expect(left.jobId).toBe('ghost');
  });

  it('leaves a job after max_init_failures init failures on this node, quoting the first', async () => {
    const setup = await setUp({
      'broken.mjs': `export function init() { throw new TypeError('weights missing'); }\nexport const run = (b) => b;`,
    });
    const { first: session } = setup;
    session.send({
      kind: {
        $case: 'assign',
        value: assignment(setup, {
          entryScript: 'broken.mjs',
          maxConcurrency: 1,
          maxInitFailures: 2,
          initBackoffMs: 20,
        }),
      },
    });
    const left = await session.until(() => session.all('jobLeft')[0], 'job_left');
    const failures = session
      .all('processorEvent')
      .filter((event) => event.kind === ProcessorEventKind.PROCESSOR_EVENT_KIND_INIT_FAILED);
    expect(failures).toHaveLength(2);
    expect(failures[0]?.message).toMatch(/^TypeError: weights missing \(at .*broken\.mjs:1:\d+\)+$/);
    expect(left.reason).toBe(`init() failed 2 times on this node (max_init_failures 2): ${failures[0]?.message}`);
    expect(resultsOf(session)).toHaveLength(0);
  });

  it('reports an invalid entry script and leaves the job once no processor can serve it', async () => {
    const setup = await setUp({ 'norun.mjs': 'export const nothing = 1;' });
    const { first: session } = setup;
    session.send({
      kind: { $case: 'assign', value: assignment(setup, { entryScript: 'norun.mjs', maxConcurrency: 2 }) },
    });
    const left = await session.until(() => session.all('jobLeft')[0], 'job_left');
    const invalid = session
      .all('processorEvent')
      .filter((event) => event.kind === ProcessorEventKind.PROCESSOR_EVENT_KIND_INVALID_ENTRY_SCRIPT);
    expect(invalid.map((event) => event.processName).sort()).toEqual(['process000', 'process001']);
    expect(invalid[0]?.message).toContain('has no run() export');
    expect(left.reason).toBe('all 2 processors escalated or found the entry script unusable');
  });

  it('drops a revoked queued lease, and kills running work on a release that is not a success', async () => {
    const setup = await setUp();
    const { first: session, dir } = setup;
    const gate = join(dir, 'gate');
    await mkdir(gate);
    session.send({ kind: { $case: 'assign', value: assignment(setup, { maxConcurrency: 1 }) } });
    await session.until(() => creditOf(session) === 2, 'the initial credit of 2');
    grant(session, [leaseOf(0, [`gate:${gate}`]), leaseOf(1, ['revoked'])]);
    await session.until(() => existsSync(join(gate, 'started')), 'the gated run to start');
    session.send({ kind: { $case: 'revoke', value: { jobId: 'job-1', miniBatchId: 1, token: 101 } } });
    // The revoked lease frees its credit: the node asks for one more.
    await session.until(() => creditOf(session) === 3, 'credit for the revoked lease');
    grant(session, [leaseOf(2, ['after'])]);
    await writeFile(join(gate, 'go'), '');
    const results = await session.until(
      () => (resultsOf(session).length >= 2 ? resultsOf(session) : undefined),
      'two results',
    );
    expect(results.map((result) => result.miniBatchId)).toEqual([0, 2]);

    expect(existsSync(join(gate, 'finished'))).toBe(true);

    // A gate of its own for the second gated run: nothing the first one left there can answer for it.
    const second = join(dir, 'gate-2');
    await mkdir(second);
    grant(session, [leaseOf(3, [`gate:${second}`])]);
    await session.until(() => existsSync(join(second, 'started')), 'the second gated run to start');
    const worker = Number(await readFile(join(second, 'started'), 'utf8'));
    expect(isRunning(worker)).toBe(true);
    // 'failed' kills at once ('cancelled' would first give the run CANCEL_RUN_GRACE_MS to finish).
    session.send({ kind: { $case: 'release', value: { jobId: 'job-1', reason: 'failed' } } });
    const left = await session.until(() => session.all('jobLeft')[0], 'job_left');
    expect(left.reason).toBe('released: failed');
    expect(resultsOf(session).map((result) => result.miniBatchId)).toEqual([0, 2]);
    // The running worker was killed, not left to wait for a gate that never opens.
    await session.until(() => !isRunning(worker), `worker ${worker} to be gone`);
    expect(existsSync(join(second, 'finished'))).toBe(false);
    // Killed, so its shutdown() never ran; and the STOPPED event still came before job_left.
    expect(existsSync(join(dir, 'out', 'shutdown.txt'))).toBe(false);
    const kinds = session.received.map((message) => message.kind?.$case);
    expect(kinds.lastIndexOf('processorEvent')).toBeLessThan(kinds.indexOf('jobLeft'));
  });

  it('on a cancel release keeps what finishes in the grace and kills what still runs after it', async () => {
    const setup = await setUp();
    const { first: session, dir } = setup;
    const [finishing, stuck] = [join(dir, 'gate-finishing'), join(dir, 'gate-stuck')];
    await mkdir(finishing);
    await mkdir(stuck);
    session.send({ kind: { $case: 'assign', value: assignment(setup, { maxConcurrency: 2 }) } });
    await session.until(() => creditOf(session) === 4, 'the initial credit of 4');
    const ready = (): number =>
      session.all('processorEvent').filter((event) => event.kind === ProcessorEventKind.PROCESSOR_EVENT_KIND_READY)
        .length;
    // Both processors ready first, so the two gated leases go one to each.
    await session.until(() => ready() === 2, 'both processors ready');
    grant(session, [leaseOf(0, [`gate:${finishing}`]), leaseOf(1, [`gate:${stuck}`])]);
    await session.until(
      () => existsSync(join(finishing, 'started')) && existsSync(join(stuck, 'started')),
      'both gated runs to start',
    );
    const stuckWorker = Number(await readFile(join(stuck, 'started'), 'utf8'));

    session.send({ kind: { $case: 'release', value: { jobId: 'job-1', reason: 'cancelled' } } });
    // Only once the node has taken the release does the first run get to finish: inside the grace.
    await session.until(() => jobLogMessages(dir).includes('stopping processors'), 'the release to be taken');
    await writeFile(join(finishing, 'go'), '');
    const kept = await session.until(
      () => resultsOf(session).find((result) => result.miniBatchId === 0),
      'the result of the run that finished in the grace',
    );
    expect(kept).toMatchObject({ outcome: BatchOutcome.BATCH_OUTCOME_COMPLETED, succeeded: 1 });
    expect(session.all('jobLeft')).toEqual([]);

    // The other run never finishes: after the grace (CANCEL_RUN_GRACE_MS, 5 s) its worker is killed
    // and the node leaves. Bounded well above the grace.
    const left = await session.until(() => session.all('jobLeft')[0], 'job_left after the grace', 20_000);
    expect(left.reason).toBe('released: cancelled');
    // The log file is written asynchronously: wait (bounded) for the line rather than read it once.
    const graceOver = 'running mini-batches did not finish in the cancel grace; killing their workers';
    await session.until(() => jobLogMessages(dir).includes(graceOver), 'the grace-expiry log line');
    await session.until(() => !isRunning(stuckWorker), `worker ${stuckWorker} to be gone`);
    expect(existsSync(join(stuck, 'finished'))).toBe(false);
    expect(resultsOf(session).filter((result) => result.outcome === BatchOutcome.BATCH_OUTCOME_COMPLETED)).toEqual([
      kept,
    ]);
    // shutdown() ran in the worker whose run finished, not in the killed one.
    const finishedBy = kept.rows.toString().split(' ')[0];
    expect((await readFile(join(dir, 'out', 'shutdown.txt'), 'utf8')).trim().split('\n')).toEqual([finishedBy]);
  });
});
