/**
 * The coordinator itself crashes: SIGKILLed (by its own chaos plan, at a known point: right after it
 * handed its Nth committed completion to the journal) in the middle of a file job served by two node
 * processes, then started again on the same data dir and port. The nodes dial it again, report the
 * leases they still hold and re-send the results it never acknowledged; the job goes on from its
 * journal. The output must hold every line exactly once; no mini-batch whose completion the journal
 * had committed may run again, and none that the journal held leased (work in flight) either: the
 * restarted coordinator keeps those leases for the nodes that report them, and a lease its node never
 * received is run for the first time.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { checkOutputFile, describeLineCheck, isExact } from '../../cluster/fault/exactly-once.js';
import { FaultCluster } from '../../cluster/fault/fault-cluster.js';
import { journaledStepRuns } from '../../cluster/fault/journal-reader.js';
import { JobState } from '../../src/gen/parajob/v1/parajob.js';
import { runDirLayout } from '../../src/log/layout.js';
import { assertBuilt } from '../helpers/cli-process.js';
import { makeTempDir } from '../helpers/input-files.js';
import { type FaultWorkspace, makeFaultWorkspace, runCounts, writeFaultJob } from './support.js';

const FILES = 1_200;
const MINI_BATCH_SIZE = 4;
const MINI_BATCHES = FILES / MINI_BATCH_SIZE;
const KILL_AFTER_COMMITS = 100;

describe('coordinator restart', () => {
  let workspace: FaultWorkspace;
  let cluster: FaultCluster | undefined;

  beforeAll(async () => {
    assertBuilt();
    workspace = await makeFaultWorkspace('coordinator', FILES);
  });

  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  it(`resumes a ${MINI_BATCHES}-mini-batch file job after the coordinator is SIGKILLed at its ${KILL_AFTER_COMMITS}th commit: every line once, no committed or in-flight (leased) mini-batch run again`, async () => {
    const runLog = await makeTempDir('parajob-fault-runlog-');
    cluster = await FaultCluster.start({
      dir: join(workspace.dir, 'cluster-restart'),
      coordinatorChaos: `kill-coordinator:after-commits=${KILL_AFTER_COMMITS}`,
    });
    const faults = cluster;
    await Promise.all(['n1', 'n2'].map((name) => faults.startNode({ name, cores: 2 })));
    const { spec, output } = await writeFaultJob(workspace, {
      name: 'restart',
      miniBatchSize: MINI_BATCH_SIZE,
      instanceCount: 2,
      env: { FAULT_SLEEP_MS: '10', FAULT_RUN_LOG: runLog },
    });
    const before = await faults.submit(spec);
    const killed = await faults.coordinator.exited;
    expect(killed.signal).toBe('SIGKILL');
    const journaled = (await journaledStepRuns(join(faults.options.dir, 'coordinator'))).get(before.jobId);
    const committed = journaled?.committed;
    const leased = journaled?.leased ?? new Set<number>();
    expect(committed?.size ?? 0).toBeGreaterThan(0);
    expect(committed?.size ?? 0).toBeLessThanOrEqual(KILL_AFTER_COMMITS);

    await faults.restartCoordinator();
    const after = faults.follow(before.jobId, before.runDir);
    const final = await after.end();
    expect(final.state, after.describe()).toBe(JobState.JOB_STATE_SUCCEEDED);

    const check = await checkOutputFile(output, workspace.names);
    expect(isExact(check), describeLineCheck(check)).toBe(true);
    const overview = await readFile(runDirLayout(before.runDir).progressOverview, 'utf8');
    expect(overview).toMatch(
      new RegExp(
        `resumed after a coordinator restart: ${committed?.size ?? 0} of ${MINI_BATCHES} mini-batches were already done`,
      ),
    );
    const counts = await runCounts(runLog);
    for (let id = 0; id < MINI_BATCHES; id++)
      expect(counts.get(id) ?? 0, `runs of mini-batch ${id}`).toBeGreaterThan(0);
    for (const id of committed ?? []) expect(counts.get(id), `runs of committed mini-batch ${id}`).toBe(1);
    for (const id of leased) expect(counts.get(id), `runs of mini-batch ${id}, leased at the crash`).toBe(1);

    // A coordinator started again after the job ended knows it, by its journaled status, and runs nothing.
    await faults.coordinator.stop();
    await faults.restartCoordinator();
    const known = await faults.api.get(before.jobId);
    expect(known.state).toBe(JobState.JOB_STATE_SUCCEEDED);
    expect(known.progress?.miniBatchesSucceeded).toBe(MINI_BATCHES);
    expect(await runCounts(runLog)).toEqual(counts);
    await rm(runLog, { recursive: true, force: true });
  });
});
