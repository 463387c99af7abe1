import { spawnSync } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type ActorRefFrom, createActor, waitFor } from 'xstate';

import { BatchOutcome, ProcessorEventKind } from '../../../src/gen/parajob/v1/parajob.js';
import type { JobSettings } from '../../../src/node/job/job-settings.js';
import { processorMachine, QUEUE_HOLD_MS } from '../../../src/node/processor/processor.machine.js';
import { TableReadPool } from '../../../src/node/tabular/table-read-pool.js';
import { delimited } from '../input/helpers.js';
import { requireBuiltWorker } from '../worker/worker-harness.js';
import {
  isBounced,
  isEvent,
  isIdle,
  isReleased,
  isResult,
  jobLoader,
  jobWith,
  leaseOf,
  NoticeRecorder,
  processorInput,
  silentLogger,
} from './processor-harness.js';

const actors: ActorRefFrom<typeof processorMachine>[] = [];
const recorders: NoticeRecorder[] = [];

function startProcessor(settings: JobSettings, recorder: NoticeRecorder) {
  recorders.push(recorder);
  const actor = createActor(processorMachine, { input: processorInput(settings, recorder) });
  actor.subscribe({ error: (error) => recorder.failures.push(error) });
  actors.push(actor);
  actor.start();
  return actor;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const hasPython = spawnSync('python3', ['--version']).status === 0;

const SCRIPT = `
  import { appendFileSync } from 'node:fs';
  export function init(context) { appendFileSync(context.outputDir + '.inits', process.pid + '\\n'); }
  export async function run(batch, context) {
    const mode = batch[0];
    if (mode === 'hang') await new Promise(() => setInterval(() => {}, 1000));
    if (mode === 'spin') for (;;) {}
    if (mode === 'exit3') process.exit(3);
    if (mode === 'sigkill') process.kill(process.pid, 'SIGKILL');
    // A result larger than the reply socket's buffer (about 400 KB).
    if (mode === 'big') return Array.from({ length: 8000 }, (_, i) => 'row ' + i + ' ' + 'x'.repeat(40));
    return batch.map((file) => 'done ' + file);
  }
  export function shutdown(context) { appendFileSync(context.outputDir + '.shutdown', context.processName + '\\n'); }
`;

/** The Python twin of SCRIPT's run() modes used by the pipelining test. */
const PY_SCRIPT = `import os, signal, time

def run(mini_batch):
    mode = mini_batch[0]
    if mode == "hang":
        time.sleep(3600)
    if mode == "sigkill":
        os.kill(os.getpid(), signal.SIGKILL)
    return ["done " + item for item in mini_batch]
`;

beforeAll(() => requireBuiltWorker());
afterEach(() => {
  for (const actor of actors.splice(0)) actor.stop();
  for (const recorder of recorders.splice(0)) expect(recorder.failures).toEqual([]);
});

describe('processor machine with a real worker', () => {
  it('runs a lease, then stops with shutdown() called', async () => {
    const { settings } = await jobWith({ 'score.mjs': SCRIPT }, 'score.mjs');
    const recorder = new NoticeRecorder();
    const actor = startProcessor(settings, recorder);
    await recorder.waitFor(isIdle);
    actor.send({ type: 'processor.run', leases: [{ lease: leaseOf(4, ['a', 'b']), receivedAtMs: Date.now() }] });
    const { result } = await recorder.waitFor(isResult);
    expect(result).toMatchObject({
      miniBatchId: 4,
      attempt: 1,
      token: 104,
      outcome: BatchOutcome.BATCH_OUTCOME_COMPLETED,
      total: 2,
      succeeded: 2,
      processName: 'process000',
    });
    expect(result.rows.toString()).toBe('done a\ndone b\n');

    actor.send({ type: 'processor.stop', killRunning: false });
    await recorder.waitFor(isEvent(ProcessorEventKind.PROCESSOR_EVENT_KIND_STOPPED));
    expect(actor.getSnapshot().value).toBe('stopped');
    expect(await readFile(`${settings.outputDir}.shutdown`, 'utf8')).toBe('process000\n');
  });

  it('kills a run() past its timeout, reports TIMEOUT and restarts with init run again', async () => {
    const { settings } = await jobWith({ 'score.mjs': SCRIPT }, 'score.mjs', { runTimeoutMs: 300, initBackoffMs: 20 });
    const recorder = new NoticeRecorder();
    const actor = startProcessor(settings, recorder);
    const firstReady = await recorder.waitFor(isEvent(ProcessorEventKind.PROCESSOR_EVENT_KIND_READY));
    const started = Date.now();
    actor.send({ type: 'processor.run', leases: [{ lease: leaseOf(1, ['spin']), receivedAtMs: started }] });
    const { result } = await recorder.waitFor(isResult);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(result).toMatchObject({
      miniBatchId: 1,
      outcome: BatchOutcome.BATCH_OUTCOME_TIMEOUT,
      errorKind: 'Timeout',
      succeeded: 0,
    });
    expect(result.errorMessage).toContain('300 ms');

    const secondReady = await recorder.waitFor(isEvent(ProcessorEventKind.PROCESSOR_EVENT_KIND_READY), 2);
    expect(secondReady.event.pid).not.toBe(firstReady.event.pid);
    await expect.poll(() => isAlive(firstReady.event.pid), { timeout: 5_000 }).toBe(false);
    const inits = (await readFile(`${settings.outputDir}.inits`, 'utf8')).trim().split('\n');
    expect(inits).toEqual([String(firstReady.event.pid), String(secondReady.event.pid)]);

    actor.send({ type: 'processor.run', leases: [{ lease: leaseOf(2, ['ok']), receivedAtMs: Date.now() }] });
    const second = await recorder.waitFor(isResult, 2);
    expect(second.result.outcome).toBe(BatchOutcome.BATCH_OUTCOME_COMPLETED);
  });

  it.each([
    ['exit3', 'worker process exited with code 3'],
    ['sigkill', 'worker process exited with signal SIGKILL (killed: out of memory?)'],
  ])('reports a worker dying in run() (%s) as WORKER_CRASHED and restarts it', async (mode, message) => {
    const { settings } = await jobWith({ 'score.mjs': SCRIPT }, 'score.mjs', { initBackoffMs: 20 });
    const recorder = new NoticeRecorder();
    const actor = startProcessor(settings, recorder);
    await recorder.waitFor(isIdle);
    actor.send({ type: 'processor.run', leases: [{ lease: leaseOf(9, [mode]), receivedAtMs: Date.now() }] });
    const { result } = await recorder.waitFor(isResult);
    expect(result).toMatchObject({
      outcome: BatchOutcome.BATCH_OUTCOME_WORKER_CRASHED,
      errorKind: 'WorkerCrashed',
      errorMessage: message,
    });
    await recorder.waitFor(isEvent(ProcessorEventKind.PROCESSOR_EVENT_KIND_READY), 2);
  });

  it('runs queued leases back to back, in order', async () => {
    const { settings } = await jobWith({ 'score.mjs': SCRIPT }, 'score.mjs');
    const recorder = new NoticeRecorder();
    const actor = startProcessor(settings, recorder);
    await recorder.waitFor(isIdle);
    const held = (id: number) => ({ lease: leaseOf(id, [`f${id}`]), receivedAtMs: Date.now() });
    actor.send({ type: 'processor.run', leases: [held(1), held(2)] });
    actor.send({ type: 'processor.run', leases: [held(3)] });
    await recorder.waitFor(isResult, 3);
    const results = recorder.notices.map((entry) => entry.notice).filter(isResult);
    expect(results.map((notice) => [notice.result.miniBatchId, notice.result.rows.toString()])).toEqual([
      [1, 'done f1\n'],
      [2, 'done f2\n'],
      [3, 'done f3\n'],
    ]);
    // Idle again only once the queue is empty: after the first READY, one more.
    await recorder.waitFor(isIdle, 2);
    expect(recorder.notices.filter((entry) => isIdle(entry.notice))).toHaveLength(2);
  });

  it.for([
    { worker: 'JS', mode: 'sigkill', outcome: BatchOutcome.BATCH_OUTCOME_WORKER_CRASHED, timeoutMs: 0 },
    { worker: 'JS', mode: 'hang', outcome: BatchOutcome.BATCH_OUTCOME_TIMEOUT, timeoutMs: 300 },
    { worker: 'Python', mode: 'sigkill', outcome: BatchOutcome.BATCH_OUTCOME_WORKER_CRASHED, timeoutMs: 0 },
    { worker: 'Python', mode: 'hang', outcome: BatchOutcome.BATCH_OUTCOME_TIMEOUT, timeoutMs: 300 },
  ])(
    '$worker worker: pipelines runs while they are short, blames a $mode on the run it happened in, and hands back the runs behind it unrun',
    async ({ worker, mode, outcome, timeoutMs }, { skip }) => {
      skip(worker === 'Python' && !hasPython, 'python3 is not installed');
      const files: Record<string, string> = worker === 'JS' ? { 'score.mjs': SCRIPT } : { 'score.py': PY_SCRIPT };
      const { settings } = await jobWith(files, worker === 'JS' ? 'score.mjs' : 'score.py', {
        initBackoffMs: 20,
        runTimeoutMs: timeoutMs,
      });
      const recorder = new NoticeRecorder();
      const actor = startProcessor(settings, recorder);
      await recorder.waitFor(isIdle);
      const held = (id: number, file: string) => ({ lease: leaseOf(id, [file]), receivedAtMs: Date.now() });
      // Nothing is pipelined before this worker has shown its runs are short.
      actor.send({ type: 'processor.run', leases: [held(1, 'a'), held(2, 'b')] });
      expect(actor.getSnapshot().context.runs.ahead).toHaveLength(0);
      await recorder.waitFor(isResult, 2);
      await recorder.waitFor(isIdle, 2);
      // Now 3 runs with the worker behind run 3 (written in one frame batch); 4 fails; 5 and 6 never start.
      actor.send({ type: 'processor.run', leases: [held(3, 'c'), held(4, mode), held(5, 'e'), held(6, 'f')] });
      expect(actor.getSnapshot().context.runs.ahead.map((run) => run.held.lease.miniBatchId)).toEqual([4, 5, 6]);
      const bounced = await recorder.waitFor(isBounced);
      expect(bounced.leases.map((lease) => lease.lease.miniBatchId)).toEqual([5, 6]);
      const results = recorder.notices
        .map((entry) => entry.notice)
        .filter(isResult)
        .map((notice) => notice.result);
      expect(results.map((result) => [result.miniBatchId, result.outcome])).toEqual([
        [1, BatchOutcome.BATCH_OUTCOME_COMPLETED],
        [2, BatchOutcome.BATCH_OUTCOME_COMPLETED],
        [3, BatchOutcome.BATCH_OUTCOME_COMPLETED],
        [4, outcome],
      ]);
      // The next worker starts unpipelined again.
      await recorder.waitFor(isEvent(ProcessorEventKind.PROCESSOR_EVENT_KIND_READY), 2);
      actor.send({ type: 'processor.run', leases: [held(5, 'e'), held(6, 'f')] });
      expect(actor.getSnapshot().context.runs.ahead).toHaveLength(0);
      await recorder.waitFor(isResult, 6);
    },
  );

  it('delivers a result larger than the socket buffer whole before a pipelined run behind it crashes', async () => {
    const { settings } = await jobWith({ 'score.mjs': SCRIPT }, 'score.mjs', { initBackoffMs: 20 });
    const recorder = new NoticeRecorder();
    const actor = startProcessor(settings, recorder);
    await recorder.waitFor(isIdle);
    const held = (id: number, file: string) => ({ lease: leaseOf(id, [file]), receivedAtMs: Date.now() });
    actor.send({ type: 'processor.run', leases: [held(1, 'a'), held(2, 'b')] });
    await recorder.waitFor(isResult, 2);
    await recorder.waitFor(isIdle, 2);
    actor.send({ type: 'processor.run', leases: [held(3, 'big'), held(4, 'sigkill'), held(5, 'e')] });
    expect(actor.getSnapshot().context.runs.ahead.map((run) => run.held.lease.miniBatchId)).toEqual([4, 5]);
    const bounced = await recorder.waitFor(isBounced);
    expect(bounced.leases.map((lease) => lease.lease.miniBatchId)).toEqual([5]);
    const results = recorder.notices
      .map((entry) => entry.notice)
      .filter(isResult)
      .map((notice) => notice.result);
    expect(results.map((result) => [result.miniBatchId, result.outcome])).toEqual([
      [1, BatchOutcome.BATCH_OUTCOME_COMPLETED],
      [2, BatchOutcome.BATCH_OUTCOME_COMPLETED],
      [3, BatchOutcome.BATCH_OUTCOME_COMPLETED],
      [4, BatchOutcome.BATCH_OUTCOME_WORKER_CRASHED],
    ]);
    expect(results[2]?.rowCount).toBe(8000);
  });

  it('bounces leases it cannot take, hands its queue back when a run goes on, and kills the worker of a revoked lease', async () => {
    const { settings } = await jobWith({ 'score.mjs': SCRIPT }, 'score.mjs', { initBackoffMs: 20 });
    const recorder = new NoticeRecorder();
    const actor = startProcessor(settings, recorder);
    // Not ready yet: bounced at once.
    actor.send({ type: 'processor.run', leases: [{ lease: leaseOf(7, ['x']), receivedAtMs: Date.now() }] });
    const early = await recorder.waitFor(isBounced);
    expect(early.leases.map((held) => held.lease.miniBatchId)).toEqual([7]);

    await recorder.waitFor(isIdle);
    const sentAt = Date.now();
    actor.send({
      type: 'processor.run',
      leases: [1, 2, 3].map((id) => ({ lease: leaseOf(id, [id === 1 ? 'hang' : 'x']), receivedAtMs: Date.now() })),
    });
    // Nothing waits behind a run past QUEUE_HOLD_MS: the queue goes back to the job, and so does a later lease.
    const queued = await recorder.waitFor(isBounced, 2);
    expect(queued.leases.map((held) => held.lease.miniBatchId)).toEqual([2, 3]);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(QUEUE_HOLD_MS);
    actor.send({ type: 'processor.run', leases: [{ lease: leaseOf(4, ['x']), receivedAtMs: Date.now() }] });
    const later = await recorder.waitFor(isBounced, 3);
    expect(later.leases.map((held) => held.lease.miniBatchId)).toEqual([4]);

    actor.send({ type: 'processor.revoke', token: 101 });
    const released = await recorder.waitFor(isReleased);
    expect(released.count).toBe(1);
    await recorder.waitFor(isEvent(ProcessorEventKind.PROCESSOR_EVENT_KIND_READY), 2);
    expect(recorder.notices.filter((entry) => isResult(entry.notice))).toHaveLength(0);
  });

  it('drops a revoked queued lease, and hands its queue back as RETURNED results when told the stream broke', async () => {
    const { settings } = await jobWith({ 'score.mjs': SCRIPT }, 'score.mjs', { initBackoffMs: 20 });
    const recorder = new NoticeRecorder();
    const actor = startProcessor(settings, recorder);
    await recorder.waitFor(isIdle);
    // Handled at once (actor.send is synchronous): 1 runs (and hangs), 2 and 3 are queued.
    actor.send({
      type: 'processor.run',
      leases: [1, 2, 3].map((id) => ({ lease: leaseOf(id, [id === 1 ? 'hang' : 'x']), receivedAtMs: Date.now() })),
    });
    actor.send({ type: 'processor.revoke', token: 102 });
    actor.send({ type: 'processor.returnQueued' });
    expect(actor.getSnapshot().matches({ alive: 'running' })).toBe(true);
    const released = await recorder.waitFor(isReleased);
    expect(released.count).toBe(1);
    const { result } = await recorder.waitFor(isResult);
    expect(result).toMatchObject({ miniBatchId: 3, outcome: BatchOutcome.BATCH_OUTCOME_RETURNED });
    expect(recorder.notices.filter((entry) => isBounced(entry.notice))).toHaveLength(0);
  });

  it('restarts a failing init() with growing backoff, then escalates past the restart intensity', async () => {
    const { settings } = await jobWith(
      { 'init.mjs': `export function init() { throw new Error('no model'); }\nexport const run = (b) => b;` },
      'init.mjs',
      { initBackoffMs: 60, restartIntensity: 3, restartPeriodMs: 60_000 },
    );
    const recorder = new NoticeRecorder();
    startProcessor(settings, recorder);
    const escalated = await recorder.waitFor(isEvent(ProcessorEventKind.PROCESSOR_EVENT_KIND_ESCALATED));
    expect(escalated.event.message).toContain('more than 3 worker restarts');

    const failures = recorder.notices
      .map((entry) => entry.notice)
      .filter(isEvent(ProcessorEventKind.PROCESSOR_EVENT_KIND_INIT_FAILED));
    expect(failures).toHaveLength(4);
    expect(failures[0]?.event.message).toMatch(/^Error: no model \(at .*init\.mjs:1:\d+\)+$/);
    const times = recorder.timesOf(isEvent(ProcessorEventKind.PROCESSOR_EVENT_KIND_INIT_FAILED));
    // Backoff 60 × 2^(n-1): the gaps between failures are at least 60, 120 and 240 ms.
    expect((times[1] as number) - (times[0] as number)).toBeGreaterThanOrEqual(60);
    expect((times[2] as number) - (times[1] as number)).toBeGreaterThanOrEqual(120);
    expect((times[3] as number) - (times[2] as number)).toBeGreaterThanOrEqual(240);
  });

  it('reports an unusable entry script once and does not retry it', async () => {
    const { settings } = await jobWith({ 'score.mjs': 'export const nothing = 1;' }, 'score.mjs');
    const recorder = new NoticeRecorder();
    const actor = startProcessor(settings, recorder);
    const invalid = await recorder.waitFor(isEvent(ProcessorEventKind.PROCESSOR_EVENT_KIND_INVALID_ENTRY_SCRIPT));
    expect(invalid.event.message).toContain('has no run() export');
    await waitFor(actor, (snapshot) => snapshot.matches('invalid'), { timeout: 5_000 });
    actor.send({ type: 'processor.stop', killRunning: true });
    await recorder.waitFor(isEvent(ProcessorEventKind.PROCESSOR_EVENT_KIND_STOPPED));
    expect(
      recorder.notices.filter((entry) => isEvent(ProcessorEventKind.PROCESSOR_EVENT_KIND_READY)(entry.notice)),
    ).toHaveLength(0);
  });

  it("reads a tabular lease with the node's table reader and applies planned faults", async () => {
    const reader = delimited({ inferColumnTypes: true });
    const { dir, settings } = await jobWith(
      { 'rows.mjs': 'export const run = (rows) => rows.map((row) => `${row.id}:${row.name}:${typeof row.id}`);' },
      'rows.mjs',
      {
        inputKind: 'tabular',
        tabularReaderJson: JSON.stringify({ reader, transforms: [] }),
        chaosJson: 'fewer:mb=2:drop=1',
      },
    );
    const csv = join(dir, 'table.csv');
    await writeFile(csv, 'id,name\n1,ann\n2,bob\n');
    const size = (await stat(csv)).size;
    const recorder = new NoticeRecorder();
    // The node's own reader: a thread that hands back the rows encoded for the run frame.
    const pool = new TableReadPool(1);
    onTestFinished(() => pool.close());
    const actor = createActor(processorMachine, {
      input: {
        index: 0,
        nodeId: 'node-a',
        settings,
        gpus: 0,
        logger: silentLogger,
        parent: recorder.parent,
        sink: recorder.sink,
        loader: jobLoader(settings, pool.read),
      },
    });
    actors.push(actor);
    actor.start();
    await recorder.waitFor(isIdle);
    const tabularLease = (miniBatchId: number) => ({
      ...leaseOf(miniBatchId, []),
      ranges: [{ path: csv, start: 'id,name\n'.length, end: size }],
    });
    actor.send({ type: 'processor.run', leases: [{ lease: tabularLease(1), receivedAtMs: Date.now() }] });
    const { result } = await recorder.waitFor(isResult);
    expect(result).toMatchObject({ outcome: BatchOutcome.BATCH_OUTCOME_COMPLETED, total: 2, succeeded: 2 });
    expect(result.rows.toString()).toBe('1:ann:number\n2:bob:number\n');

    actor.send({ type: 'processor.run', leases: [{ lease: tabularLease(2), receivedAtMs: Date.now() }] });
    const faulted = await recorder.waitFor(isResult, 2);
    expect(faulted.result).toMatchObject({ total: 2, returned: 1, succeeded: 1 });
  });

  it.skipIf(!hasPython)('runs a .py entry script with the Python worker', async () => {
    const { settings } = await jobWith(
      {
        'score.py': 'def init():\n    pass\n\ndef run(mini_batch):\n    return [f"py {item}" for item in mini_batch]\n',
      },
      'score.py',
    );
    const recorder = new NoticeRecorder();
    const actor = startProcessor(settings, recorder);
    await recorder.waitFor(isIdle);
    actor.send({ type: 'processor.run', leases: [{ lease: leaseOf(0, ['a', 'b']), receivedAtMs: Date.now() }] });
    const { result } = await recorder.waitFor(isResult);
    expect(result).toMatchObject({ outcome: BatchOutcome.BATCH_OUTCOME_COMPLETED, total: 2, succeeded: 2 });
    expect(result.rows.toString()).toBe('py a\npy b\n');
  });
});
