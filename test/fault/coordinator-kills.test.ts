/**
 * The coordinator SIGKILLed at several points of a file job, a tabular job and a three-step pipeline
 * (by its own chaos plan, at a known journal record: before the first lease is durable, mid-run, while
 * finishing), then started again on the same data dir and port; two node processes serve throughout
 * and dial it again by themselves. Each output must hold every line exactly once; every mini-batch
 * whose completion or lease the journal held must have run exactly once (the nodes report the leases
 * they still hold and re-send unacknowledged results), and every other one at least once; the run
 * directory's processed_mini-batches.csv (rebuilt against the journal) holds one completion per
 * mini-batch, as a run without a crash would. The kill
 * points are records, never times, so each case is deterministic; every wait is bounded.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, watch } from 'node:fs/promises';
import { join } from 'node:path';

import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { checkOutputFile, describeLineCheck, isExact } from '../../cluster/fault/exactly-once.js';
import { FaultCluster } from '../../cluster/fault/fault-cluster.js';
import type { JobTracker } from '../../cluster/fault/job-tracker.js';
import { type JournaledStepRun, journaledStepRuns } from '../../cluster/fault/journal-reader.js';
import { readAttempts, readSummary } from '../../cluster/fault/run-reports.js';
import { JobState } from '../../src/gen/parajob/v1/parajob.js';
import { runDirLayout } from '../../src/log/layout.js';
import { assertBuilt } from '../helpers/cli-process.js';
import { makeTempDir } from '../helpers/input-files.js';
import {
  type FaultWorkspace,
  makeFaultWorkspace,
  PIPELINE_STEPS,
  runCounts,
  writeFaultJob,
  writeFaultPipeline,
  writeFaultTable,
  writeFaultTabularJob,
} from './support.js';

const FILES = 400;
const MINI_BATCH_SIZE = 4;
const MINI_BATCHES = FILES / MINI_BATCH_SIZE;

/** What the killed coordinator left, and how the job ended after the restart. */
interface Resumed {
  readonly journaled: Map<string, JournaledStepRun>;
  readonly before: JobTracker;
  readonly final: Awaited<ReturnType<JobTracker['end']>>;
}

/**
 * Every mini-batch of a step ran at least once; those the journal held committed or leased exactly
 * once (`strict`: every one exactly once, when the kill left nothing to run again).
 */
function expectRunCounts(counts: Map<number, number>, journaled: JournaledStepRun | undefined, strict = false): void {
  for (let id = 0; id < MINI_BATCHES; id++) {
    if (strict) expect(counts.get(id), `runs of mini-batch ${id}`).toBe(1);
    else expect(counts.get(id) ?? 0, `runs of mini-batch ${id}`).toBeGreaterThan(0);
  }
  for (const id of journaled?.committed ?? []) expect(counts.get(id), `runs of committed mini-batch ${id}`).toBe(1);
  for (const id of journaled?.leased ?? [])
    expect(counts.get(id), `runs of mini-batch ${id}, leased at the crash`).toBe(1);
}

/** The step's CSV in `runDir` says each mini-batch completed exactly once. */
async function expectOneCompletionEach(runDir: string): Promise<void> {
  const done = (await readAttempts(runDir)).filter((row) => row.status === 'RUN_DONE').map((row) => row.miniBatchId);
  expect(done.toSorted((a, b) => a - b)).toEqual(Array.from({ length: MINI_BATCHES }, (_, id) => id));
}

/**
 * The run directory of a step run that just resumed agrees with what the journal held at the crash:
 * one RUN_DONE row for each committed mini-batch (its journaled attempt) and none for any other; any
 * other row is of an attempt the journal holds settled (or the revocation of a lease it held live, once
 * the reclaim window ends); the overview's last line says how many were done; no end-of-step file.
 */
async function expectReportsMatchJournal(runDir: string, journaled: JournaledStepRun): Promise<void> {
  const rows = await readAttempts(runDir);
  const done = rows.filter((row) => row.status === 'RUN_DONE');
  expect(done.map((row) => row.miniBatchId).toSorted((a, b) => a - b)).toEqual(
    [...journaled.committed].toSorted((a, b) => a - b),
  );
  for (const row of done)
    expect(row.attempt, `attempt of ${row.miniBatchId}`).toBe(journaled.attempts.get(row.miniBatchId));
  for (const row of rows.filter((each) => each.status !== 'RUN_DONE')) {
    const last = journaled.attempts.get(row.miniBatchId) ?? 0;
    const open = journaled.leased.has(row.miniBatchId) || journaled.committed.has(row.miniBatchId);
    const settled = row.attempt < last || (row.attempt === last && !open);
    const revokedOnResume = row.status === 'REVOKED' && journaled.leased.has(row.miniBatchId) && row.attempt === last;
    expect(settled || revokedOnResume, `row ${row.miniBatchId}/${row.attempt} ${row.status}`).toBe(true);
  }
  const layout = runDirLayout(runDir);
  const resumed = `resumed after a coordinator restart: ${journaled.committed.size} of ${MINI_BATCHES} mini-batches were already done`;
  const overview = await fileHolding(layout.progressOverview, resumed);
  // Every line is whole; from the resumed line on, progress counts what the journal held (no node runs).
  const lines = overview.split('\n');
  expect(lines.pop()).toBe('');
  for (const line of lines.slice(lines.findIndex((each) => each.includes(resumed))))
    expect(line).toMatch(new RegExp(`resumed|No task|Processed ${journaled.committed.size} of`));
  expect(existsSync(layout.summaryJson) || existsSync(layout.jobResult)).toBe(false);
}

/** The text of the file at `path` once it holds `text` (its writes are watched; bounded). */
async function fileHolding(path: string, text: string, timeoutMs = 15_000): Promise<string> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const changes = watch(path, { signal: abort.signal });
  const read = () => readFile(path, 'utf8').catch(() => '');
  try {
    let current = await read();
    if (current.includes(text)) return current;
    for await (const _change of changes) {
      current = await read();
      if (current.includes(text)) return current;
    }
    return current;
  } catch (error) {
    if (abort.signal.aborted) throw new Error(`${path} did not hold "${text}" within ${timeoutMs} ms`);
    throw error;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

describe('coordinator killed at a journal record, restarted on its data dir', () => {
  let workspace: FaultWorkspace;
  let cluster: FaultCluster | undefined;
  let cases = 0;

  beforeAll(async () => {
    assertBuilt();
    workspace = await makeFaultWorkspace('kills', FILES);
    await writeFaultTable(workspace);
  });

  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  /** Starts a cluster whose coordinator dies by `chaos`, submits `spec`, restarts it and follows the job to its end. */
  async function killAndResume(chaos: string, spec: string): Promise<Resumed> {
    cases += 1;
    const faults = await FaultCluster.start({ dir: join(workspace.dir, `cluster-${cases}`), coordinatorChaos: chaos });
    cluster = faults;
    await Promise.all(['n1', 'n2'].map((name) => faults.startNode({ name, cores: 2 })));
    const before = await faults.submit(spec);
    const killed = await faults.coordinator.exited;
    expect(killed.signal).toBe('SIGKILL');
    const journaled = await journaledStepRuns(join(faults.options.dir, 'coordinator'));
    await faults.restartCoordinator();
    const after = faults.follow(before.jobId, before.runDir);
    const final = await after.end(120_000);
    expect(final.state, after.describe()).toBe(JobState.JOB_STATE_SUCCEEDED);
    return { journaled, before, final };
  }

  it('file job, killed mid-run with its nodes: the reports match the journal as soon as it resumes, before any node is back', async () => {
    const { spec, output } = await writeFaultJob(workspace, {
      name: 'reports',
      miniBatchSize: MINI_BATCH_SIZE,
      instanceCount: 2,
      env: { FAULT_SLEEP_MS: '10' },
    });
    cases += 1;
    const faults = await FaultCluster.start({
      dir: join(workspace.dir, `cluster-${cases}`),
      coordinatorChaos: 'kill-coordinator:after-commits=40',
    });
    cluster = faults;
    await Promise.all(['n1', 'n2'].map((name) => faults.startNode({ name, cores: 2 })));
    const before = await faults.submit(spec);
    expect((await faults.coordinator.exited).signal).toBe('SIGKILL');
    // The nodes go down with it: nothing runs while the restarted coordinator resumes the job.
    await Promise.all(['n1', 'n2'].map((name) => faults.node(name).kill('SIGKILL')));
    const journaled = (await journaledStepRuns(join(faults.options.dir, 'coordinator'))).get(before.jobId);
    expect(journaled?.committed.size ?? 0).toBeGreaterThan(0);
    await faults.restartCoordinator();
    const after = faults.follow(before.jobId, before.runDir);
    await after.until('resumed', (tracker) => tracker.hasMessage(/resumed after a coordinator restart/));
    if (journaled !== undefined) await expectReportsMatchJournal(before.runDir, journaled);

    await Promise.all(['n1', 'n2'].map((name) => faults.startNode({ name, cores: 2 })));
    const final = await after.end(120_000);
    expect(final.state, after.describe()).toBe(JobState.JOB_STATE_SUCCEEDED);
    const check = await checkOutputFile(output, workspace.names);
    expect(isExact(check), describeLineCheck(check)).toBe(true);
    await expectOneCompletionEach(before.runDir);
    expect((await readSummary(before.runDir)).miniBatches.succeeded).toBe(MINI_BATCHES);
  });

  it('file job, killed at its first lease (none durable yet): every line once, every mini-batch run once', async () => {
    const runLog = await makeTempDir('parajob-fault-first-lease-');
    const { spec, output } = await writeFaultJob(workspace, {
      name: 'first-lease',
      miniBatchSize: MINI_BATCH_SIZE,
      instanceCount: 2,
      env: { FAULT_SLEEP_MS: '10', FAULT_RUN_LOG: runLog },
    });
    const { journaled, before } = await killAndResume('kill-coordinator:at-lease=1', spec);
    expect(journaled.get(before.jobId)?.committed.size ?? 0).toBe(0);
    const check = await checkOutputFile(output, workspace.names);
    expect(isExact(check), describeLineCheck(check)).toBe(true);
    expectRunCounts(await runCounts(runLog), journaled.get(before.jobId), true);
    await expectOneCompletionEach(before.runDir);
  });

  it('file job, killed while finishing (at its step end): every line once, no mini-batch run again', async () => {
    const runLog = await makeTempDir('parajob-fault-finishing-');
    const { spec, output } = await writeFaultJob(workspace, {
      name: 'finishing',
      miniBatchSize: MINI_BATCH_SIZE,
      instanceCount: 2,
      env: { FAULT_SLEEP_MS: '10', FAULT_RUN_LOG: runLog },
    });
    const { journaled, before } = await killAndResume('kill-coordinator:at-step-end=1', spec);
    expect(journaled.get(before.jobId)?.committed.size).toBe(MINI_BATCHES);
    const check = await checkOutputFile(output, workspace.names);
    expect(isExact(check), describeLineCheck(check)).toBe(true);
    expectRunCounts(await runCounts(runLog), journaled.get(before.jobId), true);
    await expectOneCompletionEach(before.runDir);
  });

  it('tabular job, killed mid-run: every row once, no committed or leased mini-batch run again', async () => {
    const runLog = await makeTempDir('parajob-fault-tabular-');
    const { spec, output } = await writeFaultTabularJob(workspace, {
      name: 'tabular',
      rows: MINI_BATCH_SIZE,
      env: { FAULT_SLEEP_MS: '10', FAULT_RUN_LOG: runLog },
    });
    const { journaled, before } = await killAndResume('kill-coordinator:after-commits=30', spec);
    const committed = journaled.get(before.jobId)?.committed.size ?? 0;
    expect(committed).toBeGreaterThan(0);
    expect(committed).toBeLessThanOrEqual(30);
    const check = await checkOutputFile(output, workspace.names);
    expect(isExact(check), describeLineCheck(check)).toBe(true);
    expectRunCounts(await runCounts(runLog), journaled.get(before.jobId));
    await expectOneCompletionEach(before.runDir);
  });

  it('three-step pipeline, killed in the middle of its second step: every step exact, the first and third run once', async () => {
    const runLogs = await makeTempDir('parajob-fault-pipeline-');
    for (const step of PIPELINE_STEPS) await mkdir(join(runLogs, step));
    const { spec, outputs } = await writeFaultPipeline(workspace, {
      name: 'pipeline',
      miniBatchSize: MINI_BATCH_SIZE,
      runLogs,
    });
    const killAt = MINI_BATCHES + MINI_BATCHES / 2;
    const { journaled, before } = await killAndResume(`kill-coordinator:after-commits=${killAt}`, spec);
    const second = journaled.get(`${before.jobId}:second`);
    expect(journaled.get(`${before.jobId}:first`)?.committed.size).toBe(MINI_BATCHES);
    expect(second?.committed.size ?? 0).toBeGreaterThan(0);
    expect(journaled.has(`${before.jobId}:third`)).toBe(false);
    for (const step of PIPELINE_STEPS) {
      const check = await checkOutputFile(outputs[step], workspace.names);
      expect(isExact(check), `${step}: ${describeLineCheck(check)}`).toBe(true);
    }
    expectRunCounts(await runCounts(join(runLogs, 'first')), journaled.get(`${before.jobId}:first`), true);
    expectRunCounts(await runCounts(join(runLogs, 'second')), second);
    expectRunCounts(await runCounts(join(runLogs, 'third')), undefined, true);
    for (const step of PIPELINE_STEPS) await expectOneCompletionEach(join(before.runDir, 'steps', step));
  });
});
