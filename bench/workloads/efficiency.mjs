// Workload 3, parallel efficiency: a CPU-bound run() (fixed work per item) with 1 and with 2
// processes; the speedup over 1 process against the ideal (the machine's cores, at most 2 here).
// Shown end to end, and for the run phase alone (end to end minus a 1-item job of the same
// settings: cluster start-up and worker init do not parallelise and are not what is measured here).
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { fileFolder, jobYaml } from '../lib/data.mjs';
import { median, repeat } from '../lib/measure.mjs';
import { runParajob } from './scheduling.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export async function efficiency({ quick, runs }) {
  const count = quick ? 16 : 48;
  const { folder } = fileFolder(`spin-${count}`, count, 16);
  const { folder: oneItem } = fileFolder('spin-1', 1, 16);
  const times = {};
  const startup = {};
  for (const processes of [1, 2]) {
    const settings = { code: join(ROOT, 'bench', 'scripts'), entryScript: 'spin.mjs', miniBatchSize: 1, processes };
    const job = jobYaml(`spin-${processes}`, { input: folder, ...settings });
    const baseline = jobYaml(`spin-${processes}-1`, { input: oneItem, ...settings });
    startup[processes] = median(await repeat(runs, () => runParajob(baseline)));
    times[processes] = median(await repeat(runs, () => runParajob(job)));
  }
  const ideal = Math.min(2, availableParallelism());
  const endToEnd = times[1] / times[2];
  // The 1-item job runs one item's work too: add it back so both phases hold `count` items of work.
  const perItem1 = (times[1] - startup[1]) / (count - 1);
  const run1 = times[1] - startup[1] + perItem1;
  const run2 = times[2] - startup[2] + perItem1;
  const runPhase = run1 / run2;
  return {
    title: `parallel efficiency: ${count} CPU-bound items (200,000 sha256 rounds each), 1 vs 2 processes (median of ${runs})`,
    columns: [
      'processes',
      'end to end s',
      'run phase s',
      'speedup end to end',
      'speedup run phase',
      'efficiency (run phase)',
    ],
    rows: [
      ['1', (times[1] / 1000).toFixed(2), (run1 / 1000).toFixed(2), '1.00×', '1.00×', '100%'],
      [
        '2',
        (times[2] / 1000).toFixed(2),
        (run2 / 1000).toFixed(2),
        `${endToEnd.toFixed(2)}×`,
        `${runPhase.toFixed(2)}×`,
        `${((runPhase / ideal) * 100).toFixed(0)}%`,
      ],
    ],
    notes: `End-to-end efficiency ${((endToEnd / ideal) * 100).toFixed(0)}%. Run phase = end to end minus the start-up of a 1-item job with the same settings, plus one item of work.`,
    headline: {
      'parallel efficiency % (run phase)': (runPhase / ideal) * 100,
      'parallel efficiency % (end to end)': (endToEnd / ideal) * 100,
    },
  };
}
