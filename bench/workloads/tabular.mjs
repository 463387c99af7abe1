// Workload 4, tabular cut: a generated CSV (1 GiB; 128 MiB with --quick) cut into "1mb" ranges at
// record boundaries, in MB/s, beside `wc -l` reading the same file; with and without
// support_multi_line (quote tracking). The cutter runs in its own process so its peak RSS is shown.
// Then a parajob job over an MLTable of a 128 MiB CSV whose run() counts rows (returns them): rows/s
// end to end, beside one process streaming the same file through csv-parse; and the same kind of job
// with a Python entry script (run() returns [len(mini_batch)]) over a 3,000,000-row table, beside one
// plain Python process reading it with pandas.read_csv(chunksize=100000). Wall and CPU seconds (CPU:
// every process of the system, parajob's CLI, node and workers included).
import { createWriteStream, existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATA_ROOT, jobYaml } from '../lib/data.mjs';
import { median, repeat, runCommand, skipped } from '../lib/measure.mjs';
import { findPythonForBench } from '../lib/python.mjs';
import { runParajobTimed } from './scheduling.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A CSV of about `bytes` bytes: an id, a quoted text field (some with commas and newlines), numbers. */
async function generateCsv(file, bytes) {
  if (existsSync(file) && statSync(file).size >= bytes) return;
  const out = createWriteStream(file);
  out.write('id,text,score,flag\n');
  let written = 0;
  let id = 0;
  while (written < bytes) {
    let chunk = '';
    for (let i = 0; i < 1000; i++, id++) {
      const text = id % 50 === 0 ? `"line one, with comma\nline ""two"" of ${id}"` : `"plain text ${id}"`;
      chunk += `${id},${text},${(id % 997) / 7},${id % 2 === 0}\n`;
    }
    written += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/**
 * The Python job's table: `rows` rows of about 35 bytes (3,000,000 rows: 105 MB), every 50th with a
 * quoted field holding a comma, doubled quotes and a newline.
 */
async function generateRowsCsv(file, rows) {
  if (existsSync(file)) return;
  const out = createWriteStream(`${file}.part`);
  out.write('id,text,score,flag\n');
  for (let id = 0; id < rows;) {
    let chunk = '';
    for (const end = Math.min(rows, id + 1000); id < end; id++) {
      const text = id % 50 === 0 ? `"a, ""b""\nc ${id % 10000}"` : `"item #${id % 1000000}"`;
      chunk += `${id},${text},${(id % 9973) / 8},${id % 2 === 0}\n`;
    }
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  renameSync(`${file}.part`, file);
}

/** An MLTable folder over `csv` (read_delimited, header, support_multi_line). */
function mltableOver(csv, name) {
  const mltable = join(DATA_ROOT, name);
  mkdirSync(mltable, { recursive: true });
  writeFileSync(
    join(mltable, 'MLTable'),
    [
      'paths:',
      `  - file: ../${basename(csv)}`,
      'transformations:',
      '  - read_delimited:',
      "      delimiter: ','",
      '      header: all_files_same_headers',
      '      support_multi_line: true',
      '',
    ].join('\n'),
  );
  return mltable;
}

/** Median wall and CPU ms of `runs` runs of `fn` (each returns {ms, cpuMs, ...}), and the first result. */
async function timed(runs, fn) {
  const results = await repeat(runs, fn);
  return { ms: median(results.map((r) => r.ms)), cpuMs: median(results.map((r) => r.cpuMs)), first: results[0] };
}

const seconds = (ms) => (ms / 1000).toFixed(2);

export async function tabular({ quick, runs }) {
  const bytes = quick ? 128 * 2 ** 20 : 2 ** 30;
  const file = join(DATA_ROOT, `table-${bytes}.csv`);
  const rows = [];
  const headline = {};
  if (skipped('cut')) {
    const job = await countRowsJob(runs, headline);
    job.section.extra = (await pythonCountRowsJob(quick, runs, headline)).section;
    return { ...job.section, headline };
  }
  await generateCsv(file, bytes);
  const size = statSync(file).size;
  const mb = size / 1e6;
  const wc = median(await repeat(runs, async () => (await runCommand('wc', ['-l', file])).ms));
  rows.push(['wc -l (reads every byte)', (mb / (wc / 1000)).toFixed(0), '', '']);
  for (const multiLine of ['0', '1']) {
    const results = await repeat(runs, async () => {
      const result = await runCommand(process.execPath, [
        join(ROOT, 'bench', 'lib', 'cut-file.mjs'),
        file,
        String(2 ** 20),
        multiLine,
      ]);
      if (result.code !== 0) throw new Error(`cutter failed: ${result.stderr.slice(-1500)}`);
      return JSON.parse(result.stdout);
    });
    const ms = median(results.map((r) => r.ms));
    const rate = mb / (ms / 1000);
    const label = multiLine === '1' ? 'parajob cutter, support_multi_line' : 'parajob cutter';
    rows.push([label, rate.toFixed(0), String(results[0].ranges), `${(results[0].peakRssKb / 1024).toFixed(0)} MiB`]);
    headline[`${label} MB/s`] = rate;
  }
  headline['wc -l MB/s'] = mb / (wc / 1000);
  const job = await countRowsJob(runs, headline);
  const python = await pythonCountRowsJob(quick, runs, headline);
  job.section.extra = python.section;
  return {
    title: `tabular cut: ${(size / 2 ** 20).toFixed(0)} MiB CSV into "1mb" mini-batches (median of ${runs})`,
    columns: ['system', 'MB/s', 'mini-batches', 'peak RSS'],
    rows,
    headline,
    extra: job.section,
  };
}

/** The end-to-end half: a job whose run() counts rows, over an MLTable of a 128 MiB CSV. */
async function countRowsJob(runs, headline) {
  const bytes = 128 * 2 ** 20;
  const file = join(DATA_ROOT, `table-${bytes}.csv`);
  await generateCsv(file, bytes);
  const job = jobYaml('count-rows', {
    input: mltableOver(file, `mltable-${bytes}`),
    inputType: 'mltable',
    code: join(ROOT, 'bench', 'scripts'),
    entryScript: 'noop.mjs',
    miniBatchSize: '1mb',
    processes: 2,
    appendRow: false,
  });
  const peer = await timed(runs, async () => {
    const result = await runCommand(process.execPath, [join(ROOT, 'bench', 'lib', 'count-rows.mjs'), file]);
    if (result.code !== 0) throw new Error(`count-rows failed: ${result.stderr.slice(-1500)}`);
    return { ...JSON.parse(result.stdout), ms: result.ms, cpuMs: result.cpuMs };
  });
  const rowCount = peer.first.rows;
  const parajob = await timed(runs, () => runParajobTimed(job));
  const rate = (ms) => Math.round(rowCount / (ms / 1000)).toLocaleString('en-US');
  headline['tabular job rows/s'] = rowCount / (parajob.ms / 1000);
  headline['tabular job JS speedup vs csv-parse'] = peer.ms / parajob.ms;
  return {
    section: {
      title: `tabular job: run() counts the rows of a ${bytes / 2 ** 20} MiB CSV (${rowCount.toLocaleString('en-US')} rows, multi-line quoted fields) through an MLTable, "1mb" mini-batches, 1 node × 2 processes (median of ${runs})`,
      columns: ['system', 'seconds', 'CPU seconds', 'rows/s', 'vs parajob'],
      rows: [
        ['parajob (cluster start included)', seconds(parajob.ms), seconds(parajob.cpuMs), rate(parajob.ms), '1.00×'],
        [
          'one process: csv-parse stream, count (no scheduling)',
          seconds(peer.ms),
          seconds(peer.cpuMs),
          rate(peer.ms),
          `${(peer.ms / parajob.ms).toFixed(2)}×`,
        ],
      ],
    },
  };
}

/**
 * The Python half: a 3,000,000-row table (300,000 with --quick), run() returns [len(mini_batch)], beside
 * one Python process counting it with pandas.read_csv(chunksize=100000).
 */
async function pythonCountRowsJob(quick, runs, headline) {
  const python = findPythonForBench({ pandas: true });
  const title = 'tabular job, Python: run() returns [len(mini_batch)]';
  if (!python) {
    return {
      section: { title, columns: ['system', 'seconds'], rows: [['skipped: no python3 with pandas', '']] },
    };
  }
  const rows = quick ? 300_000 : 3_000_000;
  const file = join(DATA_ROOT, `rows-${rows}.csv`);
  await generateRowsCsv(file, rows);
  const job = jobYaml('count-rows-python', {
    input: mltableOver(file, `mltable-rows-${rows}`),
    inputType: 'mltable',
    code: join(ROOT, 'bench', 'scripts'),
    entryScript: 'count_rows.py',
    miniBatchSize: '1mb',
    processes: 2,
    appendRow: false,
  });
  const peer = await timed(runs, async () => {
    const result = await runCommand(python, [join(ROOT, 'bench', 'peers', 'pandas-count.py'), file]);
    if (result.code !== 0) throw new Error(`pandas-count failed: ${result.stderr.slice(-1500)}`);
    return { ...JSON.parse(result.stdout), ms: result.ms, cpuMs: result.cpuMs };
  });
  if (peer.first.rows !== rows) throw new Error(`pandas counted ${peer.first.rows} rows of ${rows}`);
  const parajob = await timed(runs, () => runParajobTimed(job, ['--python', python]));
  headline['tabular job Python speedup vs pandas'] = peer.ms / parajob.ms;
  const mb = (statSync(file).size / 1e6).toFixed(0);
  return {
    section: {
      title: `${title}, over a ${mb} MB CSV (${rows.toLocaleString('en-US')} rows, every 50th with a quoted comma, quotes and newline) through an MLTable (support_multi_line), "1mb" mini-batches, 1 node × 2 processes (median of ${runs})`,
      columns: ['system', 'seconds', 'CPU seconds', 'rows/s', 'vs parajob'],
      rows: [
        [
          'parajob (cluster start included)',
          seconds(parajob.ms),
          seconds(parajob.cpuMs),
          Math.round(rows / (parajob.ms / 1000)).toLocaleString('en-US'),
          '1.00×',
        ],
        [
          'one process: pandas.read_csv(chunksize=100000), count (no scheduling)',
          seconds(peer.ms),
          seconds(peer.cpuMs),
          Math.round(rows / (peer.ms / 1000)).toLocaleString('en-US'),
          `${(peer.ms / parajob.ms).toFixed(2)}×`,
        ],
      ],
    },
  };
}
