// Workload 4, tabular cut: a generated CSV (1 GiB; 128 MiB with --quick) cut into "1mb" ranges at
// record boundaries, in MB/s, beside `wc -l` reading the same file; with and without
// support_multi_line (quote tracking). The cutter runs in its own process so its peak RSS is shown.
// Then a parajob job over an MLTable of a 128 MiB CSV whose run() counts rows (returns them): rows/s
// end to end, beside one process streaming the same file through csv-parse.
import { createWriteStream, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATA_ROOT, jobYaml } from '../lib/data.mjs';
import { median, repeat, runCommand } from '../lib/measure.mjs';
import { runParajob } from './scheduling.mjs';

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

export async function tabular({ quick, runs }) {
  const bytes = quick ? 128 * 2 ** 20 : 2 ** 30;
  const file = join(DATA_ROOT, `table-${bytes}.csv`);
  await generateCsv(file, bytes);
  const size = statSync(file).size;
  const mb = size / 1e6;
  const rows = [];
  const headline = {};
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
  const mltable = join(DATA_ROOT, `mltable-${bytes}`);
  mkdirSync(mltable, { recursive: true });
  writeFileSync(
    join(mltable, 'MLTable'),
    [
      'paths:',
      `  - file: ../table-${bytes}.csv`,
      'transformations:',
      '  - read_delimited:',
      "      delimiter: ','",
      '      header: all_files_same_headers',
      '      support_multi_line: true',
      '',
    ].join('\n'),
  );
  const job = jobYaml('count-rows', {
    input: mltable,
    inputType: 'mltable',
    code: join(ROOT, 'bench', 'scripts'),
    entryScript: 'noop.mjs',
    miniBatchSize: '1mb',
    processes: 2,
    appendRow: false,
  });
  const peer = await repeat(runs, async () => {
    const result = await runCommand(process.execPath, [join(ROOT, 'bench', 'lib', 'count-rows.mjs'), file]);
    if (result.code !== 0) throw new Error(`count-rows failed: ${result.stderr.slice(-1500)}`);
    return JSON.parse(result.stdout);
  });
  const rowCount = peer[0].rows;
  const peerMs = median(peer.map((r) => r.ms));
  const parajobMs = median(await repeat(runs, () => runParajob(job)));
  const rate = (ms) => Math.round(rowCount / (ms / 1000)).toLocaleString('en-US');
  headline['tabular job rows/s'] = rowCount / (parajobMs / 1000);
  return {
    section: {
      title: `tabular job: run() counts the rows of a ${bytes / 2 ** 20} MiB CSV (${rowCount.toLocaleString('en-US')} rows, multi-line quoted fields) through an MLTable, "1mb" mini-batches, 1 node × 2 processes (median of ${runs})`,
      columns: ['system', 'seconds', 'rows/s', 'vs parajob'],
      rows: [
        ['parajob (cluster start included)', (parajobMs / 1000).toFixed(2), rate(parajobMs), '1.00×'],
        [
          'one process: csv-parse stream, count (no scheduling)',
          (peerMs / 1000).toFixed(2),
          rate(peerMs),
          `${(peerMs / parajobMs).toFixed(2)}×`,
        ],
      ],
    },
  };
}
