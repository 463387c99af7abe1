// Workload 3, parallel efficiency: a CPU-bound run() (fixed work per item) with 1 and with 2
// processes; speedup over 1 process against the ideal (the machine's cores, at most 2 here).
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
  const times = {};
  for (const processes of [1, 2]) {
    const job = jobYaml(`spin-${processes}`, {
      input: folder,
      code: join(ROOT, 'bench', 'scripts'),
      entryScript: 'spin.mjs',
      miniBatchSize: 1,
      processes,
    });
    times[processes] = median(await repeat(runs, () => runParajob(job)));
  }
  const speedup = times[1] / times[2];
  const ideal = Math.min(2, availableParallelism());
  return {
    title: `parallel efficiency: ${count} CPU-bound items (200,000 sha256 rounds each), 1 vs 2 processes (median of ${runs})`,
    columns: ['processes', 'seconds', 'speedup', 'efficiency'],
    rows: [
      ['1', (times[1] / 1000).toFixed(2), '1.00×', '100%'],
      ['2', (times[2] / 1000).toFixed(2), `${speedup.toFixed(2)}×`, `${((speedup / ideal) * 100).toFixed(0)}%`],
    ],
    headline: { 'parallel efficiency %': (speedup / ideal) * 100 },
  };
}
