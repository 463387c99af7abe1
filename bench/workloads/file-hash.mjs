// Workload 1, file-hash: sha256 of N files of 1 KiB, 100 files per mini-batch, 2 processes, one node,
// append_row output — parajob end to end (cluster start included) beside GNU parallel, xargs, a
// piscina pool and a single process (the floor). Every system's output must be identical (sorted)
// before its time counts. Wall and CPU seconds (CPU: the system's every process, parajob's CLI, node and
// workers included); and a 1-file parajob job, which is start-up and nothing else.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fileFolder, jobYaml, DATA_ROOT } from '../lib/data.mjs';
import { median, repeat, runCommand, skipped } from '../lib/measure.mjs';
import { join } from 'node:path';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const peer = (name) => join(ROOT, 'bench', 'peers', name);
const sortedLines = (text) => text.split('\n').filter(Boolean).sort();

export async function fileHash({ quick, runs }) {
  const count = quick ? 5000 : 20000;
  const { folder, listFile } = fileFolder(`hash-${count}`, count, 1024);
  const job = jobYaml('file-hash', {
    input: folder,
    code: join(ROOT, 'bench', 'scripts'),
    entryScript: 'hash.mjs',
    miniBatchSize: 100,
    processes: 2,
  });
  const single = await runCommand(process.execPath, [peer('single-process.mjs'), listFile]);
  const expected = sortedLines(single.stdout);
  if (expected.length !== count) throw new Error(`single process hashed ${expected.length} of ${count} files`);

  const systems = {
    parajob: {
      command: process.execPath,
      args: [
        join(ROOT, 'bin', 'parajob.js'),
        'run',
        job.file,
        '--force-rerun',
        '--data-dir',
        join(DATA_ROOT, 'parajob-runs'),
      ],
      output: () => readFileSync(job.result, 'utf8'),
    },
    'GNU parallel -j2 -N100': {
      command: 'bash',
      args: ['-c', `parallel -j2 -N100 ${process.execPath} ${peer('hash-batch.mjs')} :::: ${listFile}`],
    },
    'xargs -P2 -n100': {
      command: 'bash',
      args: ['-c', `xargs -P2 -n100 ${process.execPath} ${peer('hash-batch.mjs')} < ${listFile}`],
    },
    'piscina (2 threads)': { command: process.execPath, args: [peer('piscina-pool.mjs'), '2', '100', listFile] },
    'single process (floor)': { command: process.execPath, args: [peer('single-process.mjs'), listFile] },
  };
  const rows = [];
  const hasGnuParallel = (await runCommand('bash', ['-c', 'command -v parallel'])).code === 0;
  for (const [name, system] of Object.entries(systems)) {
    if (skipped(name.split(' ')[0])) {
      rows.push({ system: `${name} (skipped: PARAJOB_BENCH_SKIP)`, seconds: Number.NaN });
      continue;
    }
    if (name.startsWith('GNU parallel') && !hasGnuParallel) {
      rows.push({ system: `${name} (not installed: apt-get install parallel)`, seconds: Number.NaN });
      continue;
    }
    const results = await repeat(runs, async () => {
      const result = await runCommand(system.command, system.args);
      if (result.code !== 0) throw new Error(`${name} exited ${result.code}: ${result.stderr.slice(-2000)}`);
      const lines = sortedLines(system.output ? system.output() : result.stdout);
      if (lines.length !== expected.length || lines.some((line, i) => line !== expected[i])) {
        throw new Error(`${name}: output differs from the single-process floor (${lines.length} lines)`);
      }
      return result;
    });
    rows.push({
      system: name,
      seconds: median(results.map((r) => r.ms)) / 1000,
      cpuSeconds: median(results.map((r) => r.cpuMs)) / 1000,
    });
  }
  const one = fileFolder('hash-1', 1, 1024);
  const oneJob = jobYaml('file-hash-1', {
    input: one.folder,
    code: join(ROOT, 'bench', 'scripts'),
    entryScript: 'hash.mjs',
    miniBatchSize: 100,
    processes: 2,
  });
  const oneFile = await repeat(runs, async () => {
    const result = await runCommand(process.execPath, [
      ...systems.parajob.args.slice(0, 2),
      oneJob.file,
      ...systems.parajob.args.slice(3),
    ]);
    if (result.code !== 0) throw new Error(`the 1-file job exited ${result.code}: ${result.stderr.slice(-2000)}`);
    return result;
  });
  rows.push({
    system: 'parajob, a 1-file job (start-up and end only)',
    seconds: median(oneFile.map((r) => r.ms)) / 1000,
    cpuSeconds: median(oneFile.map((r) => r.cpuMs)) / 1000,
  });
  const parajobSeconds = rows[0].seconds;
  return {
    title: `file-hash: ${count.toLocaleString('en-US')} files × 1 KiB, 100 per mini-batch, 2 processes (median of ${runs})`,
    columns: ['system', 'seconds', 'CPU seconds', 'vs parajob'],
    rows: rows.map((row) =>
      Number.isNaN(row.seconds)
        ? [row.system, 'n/a', 'n/a', 'n/a']
        : [
            row.system,
            row.seconds.toFixed(2),
            row.cpuSeconds.toFixed(2),
            `${(row.seconds / parajobSeconds).toFixed(2)}×`,
          ],
    ),
    headline: {
      'file-hash parajob s': parajobSeconds,
      'file-hash GNU parallel / parajob': rows[1].seconds / parajobSeconds,
      'file-hash parajob CPU s': rows[0].cpuSeconds,
      'file-hash floor s': rows[4].seconds,
      'file-hash floor CPU s': rows[4].cpuSeconds,
      '1-file job s': rows[5].seconds,
    },
  };
}
