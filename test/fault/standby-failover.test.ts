/**
 * Failover to the hot standby: two coordinator processes on one PostgreSQL journal (a real server,
 * cluster/fault/postgres-server.ts) and one data dir. The active one is SIGKILLed by its own chaos plan
 * in the middle of a file job served by two nodes that were given both addresses; the standby takes
 * the journal's lock, replays it and listens; the nodes move to it and the job goes on. The output
 * must hold every line exactly once (the nodes moved by themselves: they are the job's only nodes).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { checkOutputFile, describeLineCheck, isExact } from '../../cluster/fault/exactly-once.js';
import { FaultCluster } from '../../cluster/fault/fault-cluster.js';
import { committedMiniBatchesInPostgres } from '../../cluster/fault/postgres-journal-reader.js';
import { findPostgres, type PostgresServer, startPostgres } from '../../cluster/fault/postgres-server.js';
import { JobState } from '../../src/gen/parajob/v1/parajob.js';
import { assertBuilt } from '../helpers/cli-process.js';
import { makeTempDir } from '../helpers/input-files.js';
import { type FaultWorkspace, makeFaultWorkspace, runCounts, writeFaultJob } from './support.js';

const FILES = 800;
const MINI_BATCH_SIZE = 4;
const MINI_BATCHES = FILES / MINI_BATCH_SIZE;
const KILL_AFTER_COMMITS = 60;

const found = findPostgres();
if ('reason' in found) console.warn(`skipping the standby failover test: ${found.reason}`);

describe.skipIf('reason' in found)('standby failover', () => {
  let workspace: FaultWorkspace;
  let server: PostgresServer | undefined;
  let cluster: FaultCluster | undefined;

  beforeAll(async () => {
    assertBuilt();
    workspace = await makeFaultWorkspace('standby', FILES);
    if ('binDir' in found) server = await startPostgres(found.binDir);
  });
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });
  afterAll(async () => server?.stop());

  it(`the standby takes over a ${MINI_BATCHES}-mini-batch job when the active coordinator is SIGKILLed at its ${KILL_AFTER_COMMITS}th commit: every line once`, async () => {
    if (server === undefined) throw new Error('no PostgreSQL server');
    const store = await server.createDatabase('failover');
    const runLog = await makeTempDir('parajob-fault-runlog-');
    cluster = await FaultCluster.start({
      dir: join(workspace.dir, 'cluster-standby'),
      store,
      coordinatorChaos: `kill-coordinator:after-commits=${KILL_AFTER_COMMITS}`,
    });
    const faults = cluster;
    await faults.startStandby();
    await Promise.all(['n1', 'n2'].map((name) => faults.startNode({ name, cores: 2 })));
    const { spec, output } = await writeFaultJob(workspace, {
      name: 'failover',
      miniBatchSize: MINI_BATCH_SIZE,
      instanceCount: 2,
      env: { FAULT_SLEEP_MS: '10', FAULT_RUN_LOG: runLog },
    });
    const before = await faults.submit(spec);
    const killed = await faults.coordinator.exited;
    expect(killed.signal).toBe('SIGKILL');

    await faults.awaitTakeover();
    const after = faults.follow(before.jobId, before.runDir);
    const final = await after.end();
    expect(final.state, after.describe()).toBe(JobState.JOB_STATE_SUCCEEDED);
    const check = await checkOutputFile(output, workspace.names);
    expect(isExact(check), describeLineCheck(check)).toBe(true);

    // The journal in PostgreSQL holds a committed completion of every mini-batch, across both epochs.
    const committed = (await committedMiniBatchesInPostgres(store)).get(before.jobId);
    expect(committed?.size).toBe(MINI_BATCHES);
    const counts = await runCounts(runLog);
    for (let id = 0; id < MINI_BATCHES; id++)
      expect(counts.get(id) ?? 0, `runs of mini-batch ${id}`).toBeGreaterThan(0);
    await rm(runLog, { recursive: true, force: true });
  });
});
