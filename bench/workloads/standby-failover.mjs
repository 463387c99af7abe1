// Workload: failover to the PostgreSQL standby. A throw-away PostgreSQL server (Debian's package, as the
// tests start it: cluster/fault/postgres-server.ts), an active coordinator and a hot standby on the same
// database and data dir, two node processes dialling both. The active one is SIGKILLed a third of the way
// through a job. Figures, from the SIGKILL: until the standby serves (it took the advisory lock, replayed
// the journal and listens), and until the job makes progress again (a result counted by the standby).
// Issue 13 asks ≤ 2 heartbeat intervals to the standby serving.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { DATA_ROOT, fileFolder, jobYaml } from '../lib/data.mjs';
import { median } from '../lib/measure.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HEARTBEAT_MS = 1000;
const LOST_AFTER_MS = 3000;
const dist = (path) => new URL(`../../dist/cluster/fault/${path}`, import.meta.url).href;

async function once(server, index) {
  const { FaultCluster } = await import(dist('fault-cluster.js'));
  const { fractionDone } = await import(dist('job-tracker.js'));
  const store = await server.createDatabase(`bench_failover_${Date.now()}_${index}`);
  const { folder } = fileFolder('standby-400', 400, 8);
  const job = jobYaml('standby-failover', {
    input: folder,
    code: join(ROOT, 'bench', 'scripts'),
    entryScript: 'sleep.mjs',
    miniBatchSize: 4,
    instances: 2,
    processes: 2,
    extra: 'compute: cpu',
  });
  const cluster = await FaultCluster.start({
    dir: join(DATA_ROOT, 'standby-runs', `${Date.now()}-${index}`),
    store,
    heartbeatIntervalMs: HEARTBEAT_MS,
    nodeLostAfterMs: LOST_AFTER_MS,
  });
  try {
    await cluster.startStandby();
    await cluster.startNode({ name: 'n1' });
    await cluster.startNode({ name: 'n2' });
    const before = await cluster.submit(job.file);
    await before.until('a third done', (t) => fractionDone(t.latest) >= 0.33, 60_000);
    const killedAt = performance.now();
    cluster.coordinator.signal('SIGKILL');
    await cluster.awaitTakeover(60_000);
    const servingMs = performance.now() - killedAt;
    const after = cluster.follow(before.jobId, before.runDir);
    // The standby's first status holds what the journal had; progress beyond it is work counted anew.
    await after.until('a status from the standby', (t) => t.latest !== undefined, 30_000);
    const resumedFrom = after.latest.progress?.miniBatchesSucceeded ?? 0;
    await after.until(
      'a result counted by the standby',
      (t) => (t.latest?.progress?.miniBatchesSucceeded ?? 0) > resumedFrom,
      60_000,
    );
    const progressMs = performance.now() - killedAt;
    const final = await after.end(120_000);
    if (final.state !== 6) throw new Error(`the job ended in state ${final.state} after the failover`);
    return { servingMs, progressMs };
  } finally {
    await cluster.stop();
  }
}

export async function standbyFailover({ runs }) {
  const { findPostgres, startPostgres } = await import(dist('postgres-server.js'));
  const found = findPostgres();
  if ('reason' in found) {
    return {
      title: 'standby failover: skipped',
      columns: ['reason'],
      rows: [[found.reason]],
      headline: {},
    };
  }
  const server = await startPostgres(found.binDir);
  try {
    const results = [];
    for (let index = 0; index < runs; index++) results.push(await once(server, index));
    const serving = median(results.map((r) => r.servingMs)) / 1000;
    const progress = median(results.map((r) => r.progressMs)) / 1000;
    const beats = (seconds) => (seconds / (HEARTBEAT_MS / 1000)).toFixed(2);
    return {
      title: `standby failover: the active coordinator (PostgreSQL journal) SIGKILLed a third of the way through a job, the hot standby takes over (heartbeat ${HEARTBEAT_MS / 1000} s; median of ${runs})`,
      columns: ['from the SIGKILL until', 'seconds', 'heartbeat intervals', 'target'],
      rows: [
        [
          'the standby serves (lock taken, journal replayed, listening)',
          serving.toFixed(2),
          beats(serving),
          serving <= (2 * HEARTBEAT_MS) / 1000 ? '≤ 2: met' : '≤ 2: NOT met',
        ],
        ['the job progresses again (a result counted by the standby)', progress.toFixed(2), beats(progress), ''],
      ],
      headline: { 'standby failover s': serving },
    };
  } finally {
    await server.stop();
  }
}
