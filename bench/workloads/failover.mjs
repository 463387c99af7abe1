// Workload 5, failover: two real node processes; one is SIGKILLed (its stream ends) or SIGSTOPped (a hung
// machine: the TCP connection stays up, only its heartbeats stop) a third of the way through a job.
// Figure: seconds from the fault until the first of its mini-batches starts again on the other node,
// read from processed_mini-batches.csv. Default liveness settings: heartbeat 1 s, lost after 3 s.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileFolder, jobYaml, DATA_ROOT } from '../lib/data.mjs';
import { median, repeat } from '../lib/measure.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HEARTBEAT_MS = 1000;
const LOST_AFTER_MS = 3000;

async function once(kind) {
  const { FaultCluster } = await import(new URL('../../dist/cluster/fault/fault-cluster.js', import.meta.url).href);
  const { fractionDone } = await import(new URL('../../dist/cluster/fault/job-tracker.js', import.meta.url).href);
  const { folder } = fileFolder('failover-400', 400, 8);
  const job = jobYaml('failover', {
    input: folder,
    code: join(ROOT, 'bench', 'scripts'),
    entryScript: 'sleep.mjs',
    miniBatchSize: 4,
    instances: 2,
    processes: 2,
    extra: 'compute: cpu',
  });
  const cluster = await FaultCluster.start({
    dir: join(DATA_ROOT, 'failover-runs', `${kind}-${Date.now()}`),
    heartbeatIntervalMs: HEARTBEAT_MS,
    nodeLostAfterMs: LOST_AFTER_MS,
  });
  try {
    const victim = await cluster.startNode({ name: 'n1', compute: 'cpu' });
    await cluster.startNode({ name: 'n2', compute: 'cpu' });
    const tracker = await cluster.submit(job.file);
    await tracker.until('a third done', (t) => fractionDone(t.latest) >= 0.33, 60_000);
    const faultAtMs = Date.now();
    if (kind === 'SIGKILL') await victim.kill('SIGKILL');
    else victim.pause();
    const final = await tracker.end(120_000);
    if (kind !== 'SIGKILL') victim.resume();
    const csv = readFileSync(join(tracker.runDir, 'logs', 'sys', 'job_report', 'processed_mini-batches.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1);
    const rows = csv.map((line) => line.split(','));
    const onVictim = new Set(rows.filter((r) => r[2] === 'n1' && r[1] === '1').map((r) => r[0]));
    const reruns = rows.filter((r) => r[2] === 'n2' && Number(r[1]) > 1).map((r) => Date.parse(r[4]));
    if (final.state !== 6) throw new Error(`failover job ended in state ${final.state}`);
    if (reruns.length === 0)
      throw new Error(`no mini-batch of the ${kind} node was re-run (${onVictim.size} were on it)`);
    return (Math.min(...reruns) - faultAtMs) / 1000;
  } finally {
    await cluster.stop();
  }
}

export async function failover({ runs }) {
  const killed = median(await repeat(runs, () => once('SIGKILL')));
  const hung = median(await repeat(runs, () => once('SIGSTOP')));
  return {
    title: `failover: a node lost a third of the way through a job (heartbeat ${HEARTBEAT_MS / 1000} s, lost after ${LOST_AFTER_MS / 1000} s; median of ${runs})`,
    columns: ['fault', 'seconds until its mini-batches run elsewhere', 'heartbeat intervals'],
    rows: [
      ['SIGKILL (stream ends)', killed.toFixed(2), (killed / (HEARTBEAT_MS / 1000)).toFixed(2)],
      ['SIGSTOP (hung: heartbeats stop)', hung.toFixed(2), (hung / (HEARTBEAT_MS / 1000)).toFixed(2)],
    ],
    headline: { 'failover SIGKILL s': killed, 'failover hung s': hung },
  };
}
