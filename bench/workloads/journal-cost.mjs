// Workload: what the coordinator journal costs. The no-op scheduling job of the scheduling workload (JS
// worker, 1 node × 2 processes, one-item mini-batches, no output) run by an embedded coordinator without
// a journal and with one (`--journal`: every lease and result journaled, group-committed fdatasync per
// batch of records), in the same run; start-up (a 1-mini-batch job) subtracted from both. Issue 13 asks
// the journaled rate to be ≥ 90% of the rate without it.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { fileFolder, jobYaml } from '../lib/data.mjs';
import { median, repeat } from '../lib/measure.mjs';
import { runParajob } from './scheduling.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export async function journalCost({ quick, runs }) {
  const count = quick ? 10000 : 100000;
  const { folder } = fileFolder(`tiny-${count}`, count, 1);
  const settings = {
    code: join(ROOT, 'bench', 'scripts'),
    entryScript: 'noop.mjs',
    miniBatchSize: 1,
    processes: 2,
    appendRow: false,
  };
  const job = jobYaml('noop-journal-cost', { input: folder, ...settings });
  const baseline = jobYaml('noop-journal-cost-1', { input: fileFolder('tiny-1', 1, 1).folder, ...settings });
  const rates = {};
  const rows = [];
  for (const [label, extra] of [
    ['without a journal', []],
    ['with the journal', ['--journal']],
  ]) {
    // Interleaved runs would be fairer on a noisy machine, but each pair shares its start-up baseline.
    const startMs = median(await repeat(runs, () => runParajob(baseline, extra)));
    const totalMs = median(await repeat(runs, () => runParajob(job, extra)));
    const rate = count / ((totalMs - startMs) / 1000);
    rates[label] = rate;
    rows.push([label, Math.round(rate).toLocaleString('en-US'), (1e6 / rate).toFixed(1), (startMs / 1000).toFixed(2)]);
  }
  const ratio = rates['with the journal'] / rates['without a journal'];
  rows.push([
    'journaled / without',
    `${(ratio * 100).toFixed(0)}%`,
    '',
    ratio >= 0.9 ? 'target ≥ 90%: met' : 'target ≥ 90%: NOT met',
  ]);
  return {
    title: `journal cost: no-op run() over ${count.toLocaleString('en-US')} one-item mini-batches, without and with the coordinator journal (median of ${runs})`,
    columns: ['coordinator', 'mini-batches/s', 'µs per mini-batch', 'start-up s (subtracted)'],
    rows,
    headline: { 'journaled scheduling ratio': ratio },
  };
}
