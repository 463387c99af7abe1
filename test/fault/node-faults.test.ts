/**
 * Faults of whole nodes over real processes (a coordinator and node processes started through
 * bin/parajob.js, loopback gRPC, heartbeats every 200 ms, a node silent for 1 s is lost): a node
 * SIGKILLed halfway through, a hung node that comes back with late results (a zombie), a gRPC stream
 * cut and restored, heartbeats muted, and a node that kills itself on cue. Every job must end with
 * each expected output line exactly once.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { checkOutputFile, describeLineCheck, isExact } from '../../cluster/fault/exactly-once.js';
import { FaultCluster } from '../../cluster/fault/fault-cluster.js';
import { fractionDone } from '../../cluster/fault/job-tracker.js';
import { readAttempts, readDroppedResults, readSummary } from '../../cluster/fault/run-reports.js';
import { JobState } from '../../src/gen/parajob/v1/parajob.js';
import { assertBuilt } from '../helpers/cli-process.js';
import { type FaultWorkspace, makeFaultWorkspace, writeFaultJob } from './support.js';

describe('node faults', () => {
  let workspace: FaultWorkspace;
  let cluster: FaultCluster | undefined;

  beforeAll(async () => {
    assertBuilt();
    workspace = await makeFaultWorkspace('nodes', 2_000);
  });

  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  async function startCluster(
    name: string,
    nodes: readonly { name: string; chaos?: string; viaProxy?: boolean }[],
  ): Promise<FaultCluster> {
    cluster = await FaultCluster.start({ dir: join(workspace.dir, `cluster-${name}`) });
    const started = cluster;
    await Promise.all(nodes.map((node) => started.startNode({ cores: 2, ...node })));
    return started;
  }

  it('survives SIGKILL of one of two nodes halfway through a 2,000-file job: every line once, re-leased attempts in the CSV', async () => {
    const faults = await startCluster('sigkill', [{ name: 'n1' }, { name: 'n2' }]);
    // 286 mini-batches of 7 files; each run() takes 30 ms, so the job is surely still going halfway.
    const { spec, output } = await writeFaultJob(workspace, {
      name: 'sigkill',
      miniBatchSize: 7,
      instanceCount: 2,
      env: { FAULT_SLEEP_MS: '30' },
    });
    const job = await faults.submit(spec);
    await job.until('half the mini-batches done', (tracker) => fractionDone(tracker.latest) >= 0.5);
    await faults.node('n1').kill('SIGKILL');
    const doneAtKill = fractionDone(job.latest);
    const final = await job.end();
    expect(final.state, job.describe()).toBe(JobState.JOB_STATE_SUCCEEDED);
    expect(doneAtKill).toBeLessThan(1);
    expect(job.hasMessage(/node n1 lost/)).toBe(true);

    const check = await checkOutputFile(output, workspace.names);
    expect(isExact(check), describeLineCheck(check)).toBe(true);
    // The leases n1 held were revoked (NodeLost) and run again, by n2, as later attempts.
    const attempts = await readAttempts(job.runDir);
    const revoked = attempts.filter((row) => row.status === 'REVOKED');
    expect(revoked.length).toBeGreaterThan(0);
    for (const row of revoked) {
      expect(row).toMatchObject({ node: 'n1', errorCategory: 'NodeLost' });
      const rerun = attempts.find((other) => other.miniBatchId === row.miniBatchId && other.status === 'RUN_DONE');
      expect(rerun).toMatchObject({ node: 'n2' });
      expect(rerun?.attempt).toBeGreaterThan(row.attempt);
    }
    // One RUN_DONE per mini-batch, 2,000 items.
    const done = attempts.filter((row) => row.status === 'RUN_DONE');
    expect(new Set(done.map((row) => row.miniBatchId)).size).toBe(done.length);
    expect(done.reduce((sum, row) => sum + row.succeeded, 0)).toBe(2_000);
  });

  it('drops and logs a late result from a superseded lease (a zombie run on a node deemed lost)', async () => {
    // z1 sends no heartbeat for 2.5 s and its first run() takes 1.5 s, so it says nothing for over a
    // second: the coordinator deems it lost and re-queues that lease. z1 reconnects at once (hello is
    // not a heartbeat), and when the run ends its result arrives on the new stream, superseded.
    const faults = await startCluster('zombie', [
      { name: 'z1', chaos: 'mute-heartbeats:after=0:for=2500' },
      { name: 'z2' },
    ]);
    const { spec, output } = await writeFaultJob(workspace, {
      name: 'zombie',
      miniBatchSize: 20,
      instanceCount: 2,
      concurrency: 1,
      env: { FAULT_SLEEP_MS: '40', FAULT_SLOW_NODE: 'z1', FAULT_SLOW_MS: '1500' },
    });
    const job = await faults.submit(spec);
    const final = await job.end();
    expect(final.state, job.describe()).toBe(JobState.JOB_STATE_SUCCEEDED);
    expect(job.hasMessage(/node z1 lost/)).toBe(true);
    expect(faults.node('z1').process.output).toMatch(/"msg":"chaos: heartbeats muted"/);

    const check = await checkOutputFile(output, workspace.names);
    expect(isExact(check), describeLineCheck(check)).toBe(true);
    const summary = await readSummary(job.runDir);
    expect(summary.droppedResults).toBeGreaterThan(0);
    // master_role.txt is written asynchronously: its last lines may land just after the job ended.
    await expect.poll(async () => (await readDroppedResults(job.runDir)).length).toBe(summary.droppedResults);
    const dropped = await readDroppedResults(job.runDir);
    expect(dropped[0]).toMatchObject({ nodeId: 'z1', level: 40 });
    // Superseded either way: re-granted to z2 by then (held by z2), or re-queued and not yet re-granted.
    expect(String(dropped[0]?.['reason'])).toMatch(/stale token|has no live lease|the lease is held by node z2/);
    // z1's lease was revoked when it was lost, and z1 was taken back and worked again afterwards.
    const attempts = await readAttempts(job.runDir);
    const revokedAt = attempts.findIndex(
      (row) => row.node === 'z1' && row.status === 'REVOKED' && row.errorCategory === 'NodeLost',
    );
    expect(revokedAt).toBeGreaterThanOrEqual(0);
    expect(attempts.slice(revokedAt).some((row) => row.node === 'z1' && row.status === 'RUN_DONE')).toBe(true);
  });

  it('carries on when a node hangs (SIGSTOP) until it is lost and then comes back (SIGCONT)', async () => {
    const faults = await startCluster('hung', [{ name: 'h1' }, { name: 'h2' }]);
    // The last of the 100 mini-batches waits for a gate file, so the job is still running when h1 comes
    // back and its late results reach the step run (after the job, they would go to an unknown job).
    const gate = join(workspace.dir, 'hung-gate');
    const { spec, output } = await writeFaultJob(workspace, {
      name: 'hung',
      miniBatchSize: 20,
      instanceCount: 2,
      env: { FAULT_SLEEP_MS: '30', FAULT_GATE_MB: '99', FAULT_GATE_FILE: gate },
    });
    const job = await faults.submit(spec);
    await job.until('a fifth of the mini-batches done', (tracker) => fractionDone(tracker.latest) >= 0.2);
    const hung = faults.node('h1');
    hung.pause();
    await job.until('h1 lost', (tracker) => tracker.hasMessage(/node h1 lost/), 15_000);
    hung.resume();
    await hung.process.waitFor(
      /"msg":"registered with the coordinator"[\s\S]*"msg":"registered with the coordinator"/,
      15_000,
    );
    expect(job.isTerminal).toBe(false);
    await writeFile(gate, '');
    const final = await job.end();
    expect(final.state, job.describe()).toBe(JobState.JOB_STATE_SUCCEEDED);
    const check = await checkOutputFile(output, workspace.names);
    expect(isExact(check), describeLineCheck(check)).toBe(true);
    // h1's leases were revoked when it was lost and run again elsewhere, each once, as later attempts.
    const attempts = await readAttempts(job.runDir);
    const revoked = attempts.filter((row) => row.node === 'h1' && row.status === 'REVOKED');
    expect(revoked.length).toBeGreaterThan(0);
    for (const row of revoked) {
      expect(row.errorCategory).toBe('NodeLost');
      const reruns = attempts.filter((other) => other.miniBatchId === row.miniBatchId && other.status === 'RUN_DONE');
      expect(reruns).toHaveLength(1);
      expect(reruns[0]?.attempt).toBeGreaterThan(row.attempt);
    }
    // Its workers ran on while the node was stopped: what it delivered after SIGCONT came late and was
    // fenced off, and each drop was logged naming h1.
    const summary = await readSummary(job.runDir);
    expect(summary.droppedResults).toBeGreaterThan(0);
    await expect.poll(async () => (await readDroppedResults(job.runDir)).length).toBe(summary.droppedResults);
    const dropped = await readDroppedResults(job.runDir);
    expect(dropped.every((line) => line['nodeId'] === 'h1')).toBe(true);
  });

  it('carries on when a node’s stream is cut and restored: the node reconnects, nothing lost or duplicated', async () => {
    const faults = await startCluster('cut', [{ name: 'p1', viaProxy: true }, { name: 'p2' }]);
    const { spec, output } = await writeFaultJob(workspace, {
      name: 'cut',
      miniBatchSize: 10,
      instanceCount: 2,
      env: { FAULT_SLEEP_MS: '15' },
    });
    const job = await faults.submit(spec);
    const proxy = faults.node('p1').proxy;
    if (proxy === undefined) throw new Error('p1 has no proxy');
    const node = faults.node('p1').process;
    const registrations = (): number => (node.output.match(/"msg":"registered with the coordinator"/g) ?? []).length;
    await job.until('a quarter done', (tracker) => fractionDone(tracker.latest) >= 0.25);
    // Cut, refuse reconnects until the coordinator has noticed, then let p1 back in.
    proxy.block();
    expect(proxy.cut()).toBeGreaterThan(0);
    await job.until('p1 lost', (tracker) => tracker.hasMessage(/node p1 lost/), 15_000);
    proxy.unblock();
    await node.waitFor(/"msg":"registered with the coordinator"[\s\S]*"msg":"registered with the coordinator"/, 15_000);
    expect(registrations()).toBe(2);
    // A second cut, restored at once (the node redials while the coordinator may not have noticed).
    expect(proxy.cut()).toBeGreaterThan(0);
    const final = await job.end();
    expect(final.state, job.describe()).toBe(JobState.JOB_STATE_SUCCEEDED);
    const check = await checkOutputFile(output, workspace.names);
    expect(isExact(check), describeLineCheck(check)).toBe(true);
    // p1 lost its leases when it was cut (NodeLost) and worked again after it came back: rows of the
    // CSV are written as things happen, so its RUN_DONE rows after its first REVOKED row are new work.
    const attempts = await readAttempts(job.runDir);
    const revokedAt = attempts.findIndex(
      (row) => row.node === 'p1' && row.status === 'REVOKED' && row.errorCategory === 'NodeLost',
    );
    expect(revokedAt).toBeGreaterThanOrEqual(0);
    expect(attempts.slice(revokedAt).some((row) => row.node === 'p1' && row.status === 'RUN_DONE')).toBe(true);
    expect(proxy.connectionsAccepted()).toBeGreaterThanOrEqual(2);
  });

  it('runs the job to the end on the other node when a node kills itself on cue (kill-node chaos)', async () => {
    const faults = await startCluster('kill-node', [{ name: 'k1', chaos: 'kill-node:after=15' }, { name: 'k2' }]);
    const { spec, output } = await writeFaultJob(workspace, {
      name: 'kill-node',
      miniBatchSize: 20,
      instanceCount: 2,
      env: { FAULT_SLEEP_MS: '10' },
    });
    const job = await faults.submit(spec);
    const final = await job.end();
    expect(final.state, job.describe()).toBe(JobState.JOB_STATE_SUCCEEDED);
    const exit = await faults.node('k1').process.exited;
    expect(exit.signal).toBe('SIGKILL');
    expect(faults.node('k1').process.output).toMatch(/"msg":"chaos: killing this node \(SIGKILL\)"/);
    const check = await checkOutputFile(output, workspace.names);
    expect(isExact(check), describeLineCheck(check)).toBe(true);
    const attempts = await readAttempts(job.runDir);
    // k1 got at most 15 results accepted (the last ones may have died with it).
    const byK1 = attempts.filter((row) => row.node === 'k1' && row.status === 'RUN_DONE');
    expect(byK1.length).toBeGreaterThan(0);
    expect(byK1.length).toBeLessThanOrEqual(15);
  });
});
