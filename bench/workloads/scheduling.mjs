// Workload 2, scheduling rate: a no-op run() over tiny mini-batches (1 item each): mini-batches per
// second end to end and the per-mini-batch overhead, for the JS and the Python worker.
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { fileFolder, jobYaml, DATA_ROOT } from '../lib/data.mjs';
import { median, repeat, runCommand } from '../lib/measure.mjs';
import { findPythonForBench } from '../lib/python.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs a parajob job to completion; returns wall ms. Throws when it does not succeed. */
export async function runParajob(job, extraArgs = []) {
  return (await runParajobTimed(job, extraArgs)).ms;
}

/** Runs a parajob job to completion; returns {ms, cpuMs} (CPU of the CLI, its nodes and workers). */
export async function runParajobTimed(job, extraArgs = []) {
  const result = await runCommand(process.execPath, [
    join(ROOT, 'bin', 'parajob.js'),
    'run',
    job.file,
    // Every run is measured: never reuse an earlier one's outputs.
    '--force-rerun',
    '--data-dir',
    join(DATA_ROOT, 'parajob-runs'),
    ...extraArgs,
  ]);
  if (result.code !== 0)
    throw new Error(`parajob run ${job.file} exited ${result.code}: ${(result.stderr + result.stdout).slice(-3000)}`);
  return { ms: result.ms, cpuMs: result.cpuMs };
}

export async function scheduling({ quick, runs }) {
  const count = quick ? 10000 : 100000;
  const { folder } = fileFolder(`tiny-${count}`, count, 1);
  const rows = [];
  const headline = {};
  const python = findPythonForBench();
  // The same job with the coordinator journal is the journal-cost workload.
  for (const [worker, script] of [
    ['JS', 'noop.mjs'],
    ['Python', 'noop.py'],
  ]) {
    if (worker === 'Python' && !python) {
      rows.push([worker, 'skipped: no python3', '', '']);
      continue;
    }
    const job = jobYaml(`noop-${worker.replace(/\W+/g, '-')}`, {
      input: folder,
      code: join(ROOT, 'bench', 'scripts'),
      entryScript: script,
      miniBatchSize: 1,
      processes: 2,
      appendRow: false,
    });
    const baseline = jobYaml(`noop-${worker.replace(/\W+/g, '-')}-1`, {
      input: fileFolder('tiny-1', 1, 1).folder,
      code: join(ROOT, 'bench', 'scripts'),
      entryScript: script,
      miniBatchSize: 1,
      processes: 2,
      appendRow: false,
    });
    const extra = worker === 'Python' ? ['--python', python] : [];
    // The cost of a 1-mini-batch job is start-up; subtracting it leaves the scheduling cost.
    const startMs = median(await repeat(runs, () => runParajob(baseline, extra)));
    const totalMs = median(await repeat(runs, () => runParajob(job, extra)));
    const perBatchUs = ((totalMs - startMs) * 1000) / count;
    const rate = count / ((totalMs - startMs) / 1000);
    rows.push([worker, Math.round(rate).toLocaleString('en-US'), perBatchUs.toFixed(1), (startMs / 1000).toFixed(2)]);
    headline[`scheduling ${worker} mini-batches/s`] = rate;
  }
  return {
    title: `scheduling: no-op run() over ${count.toLocaleString('en-US')} mini-batches of 1 item, 1 node × 2 processes (median of ${runs})`,
    columns: ['worker', 'mini-batches/s', 'µs per mini-batch', 'start-up s (subtracted)'],
    rows,
    headline,
  };
}
