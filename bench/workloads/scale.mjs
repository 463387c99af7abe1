// Workload 6, scale: the coordinator alone under load. A real `parajob coordinator` process, and
// lightweight SIMULATED nodes over real gRPC (bench/lib/sim-node.mjs: they answer every lease at once
// and run no user code). A tabular input cut "1 rows" gives 1,000,000 mini-batches (100,000 with
// --quick). Reported: the coordinator's peak RSS and bytes per pending mini-batch (against a
// 1-mini-batch job), and the lease rate with 1 and with 64 attached nodes.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { DATA_ROOT } from '../lib/data.mjs';
import { median, peakRssKb, repeat, runCommand } from '../lib/measure.mjs';
import { attachSimulatedNodes } from '../lib/sim-node.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'bin', 'parajob.js');

/** An MLTable folder with a CSV of `rows` rows, and a job that cuts it into one mini-batch per row. */
function tableJob(rows, instances) {
  const dir = join(DATA_ROOT, `scale-${rows}`);
  mkdirSync(dir, { recursive: true });
  const csv = join(dir, 'rows.csv');
  if (!existsSync(csv)) {
    const lines = ['id'];
    for (let i = 0; i < rows; i++) lines.push(String(i));
    writeFileSync(csv, lines.join('\n') + '\n');
  }
  writeFileSync(join(dir, 'MLTable'), 'paths:\n  - file: ./rows.csv\ntransformations:\n  - read_delimited:\n      delimiter: ","\n');
  const job = join(dir, `job-${instances}.yml`);
  writeFileSync(
    job,
    [
      'type: parallel',
      `name: scale-${rows}`,
      'compute: sim',
      'inputs:',
      '  table:',
      '    type: mltable',
      `    path: ${dir}`,
      '    mode: direct',
      'input_data: ${{inputs.table}}',
      'mini_batch_size: "1 rows"',
      'resources:',
      `  instance_count: ${instances}`,
      'task:',
      '  code: ' + join(ROOT, 'bench', 'scripts'),
      '  entry_script: noop.mjs',
      '',
    ].join('\n'),
  );
  return job;
}

async function startCoordinator(dataDir) {
  const child = spawn(process.execPath, [CLI, 'coordinator', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  for (;;) {
    const match = /listening on [^:]+:(\d+)/.exec(out);
    if (match) return { child, address: `127.0.0.1:${match[1]}` };
    if (child.exitCode !== null) throw new Error(`coordinator exited: ${out}`);
    await once(child.stdout, 'data');
  }
}

/** Runs one job on a fresh coordinator with `nodes` simulated nodes; returns {seconds, rate, peakKb}. */
async function measure(rows, nodes) {
  const dataDir = join(DATA_ROOT, 'scale-runs', `${rows}-${nodes}-${Date.now()}`);
  const { child, address } = await startCoordinator(dataDir);
  const sims = attachSimulatedNodes(address, nodes, { compute: 'sim', credit: 256 });
  try {
    const created = await runCommand(process.execPath, [CLI, 'job', 'create', '--file', tableJob(rows, nodes), '--coordinator', address]);
    if (created.code !== 0) throw new Error(`job create failed: ${created.stderr}`);
    const id = created.stdout.trim().split('\n').pop();
    const started = Date.now();
    const streamed = await runCommand(process.execPath, [CLI, 'job', 'stream', id, '--coordinator', address]);
    if (streamed.code !== 0) throw new Error(`job failed: ${streamed.stderr.slice(-1500)}`);
    const seconds = (Date.now() - started) / 1000;
    return { seconds, rate: sims.completed() / seconds, peakKb: peakRssKb(child.pid), completed: sims.completed() };
  } finally {
    sims.stop();
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
}

export async function scale({ quick, runs }) {
  const rows = quick ? 100_000 : 1_000_000;
  const baseline = await measure(1, 1);
  const one = await repeat(runs, () => measure(rows, 1));
  const many = await repeat(runs, () => measure(rows, 64));
  const rateOne = median(one.map((r) => r.rate));
  const rateMany = median(many.map((r) => r.rate));
  const peakKb = median(one.map((r) => r.peakKb));
  const bytesPer = ((peakKb - baseline.peakKb) * 1024) / rows;
  return {
    title: `scale: ${rows.toLocaleString('en-US')} mini-batches on one coordinator, simulated nodes over real gRPC (median of ${runs})`,
    columns: ['figure', 'value'],
    rows: [
      ['coordinator peak RSS, 1-mini-batch job', `${(baseline.peakKb / 1024).toFixed(0)} MiB`],
      [`coordinator peak RSS, ${rows.toLocaleString('en-US')} mini-batches`, `${(peakKb / 1024).toFixed(0)} MiB`],
      ['bytes per mini-batch (peak difference)', bytesPer.toFixed(0)],
      ['lease rate, 1 node (mini-batches/s)', Math.round(rateOne).toLocaleString('en-US')],
      ['lease rate, 64 nodes (mini-batches/s)', Math.round(rateMany).toLocaleString('en-US')],
      ['64 nodes / 1 node', `${((rateMany / rateOne) * 100).toFixed(0)}%`],
    ],
    notes: 'Simulated nodes: real gRPC streams and the real node protocol, no worker processes; each keeps 256 leases of credit.',
    headline: { 'coordinator bytes per mini-batch': bytesPer, 'lease rate 1 node': rateOne, 'lease rate 64 nodes / 1 node %': (rateMany / rateOne) * 100 },
  };
}
