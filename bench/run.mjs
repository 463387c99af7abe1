#!/usr/bin/env node
// parajob benchmarks: every workload measured beside its peers in the same run, on the same
// generated data, median of several runs. `npm run bench` (full; writes bench/RESULTS.md) or
// `npm run bench -- --quick` (smaller data, fewer runs, under 2 minutes; prints only).
// `--only a,b` picks workloads by name.
import { writeFileSync, existsSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { fileHash } from './workloads/file-hash.mjs';
import { scheduling } from './workloads/scheduling.mjs';
import { efficiency } from './workloads/efficiency.mjs';
import { tabular } from './workloads/tabular.mjs';
import { failover } from './workloads/failover.mjs';
import { folderInput, scale } from './workloads/scale.mjs';
import { recovery } from './workloads/recovery.mjs';
import { remoteInput } from './workloads/remote-input.mjs';
import { journalCost } from './workloads/journal-cost.mjs';
import { standbyFailover } from './workloads/standby-failover.mjs';

const WORKLOADS = {
  'file-hash': fileHash,
  scheduling,
  efficiency,
  tabular,
  failover,
  scale,
  // The 1,000,000-file folder of `scale` alone (listing and partitioning time, bytes per pending file).
  folder: folderInput,
  recovery,
  'remote-input': remoteInput,
  'journal-cost': journalCost,
  'standby-failover': standbyFailover,
};

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyIndex = args.indexOf('--only');
// `folder` is part of `scale`: a full run does not measure it twice.
const ALL = Object.keys(WORKLOADS).filter((name) => name !== 'folder');
const only = onlyIndex >= 0 ? args[onlyIndex + 1].split(',') : ALL;
const runs = quick ? 1 : 3;
const root = fileURLToPath(new URL('../', import.meta.url));
if (!existsSync(`${root}dist/src/cli/main.js`)) {
  console.error('parajob is not built: run `npm run build` first');
  process.exit(2);
}

const machine = `${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown cpu'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
const sections = [];
const headline = {};
console.log(`parajob benchmarks — ${new Date().toISOString()} — ${machine}${quick ? ' — quick' : ''}\n`);
for (const name of only) {
  const workload = WORKLOADS[name];
  if (!workload) {
    console.error(`unknown workload ${name}; expected one of ${Object.keys(WORKLOADS).join(', ')}`);
    process.exit(2);
  }
  const started = Date.now();
  let section;
  try {
    section = await workload({ quick, runs });
  } catch (error) {
    section = {
      title: `${name}: FAILED`,
      columns: ['error'],
      rows: [[String(error.message ?? error).slice(0, 500)]],
      headline: {},
    };
    process.exitCode = 1;
  }
  section.seconds = (Date.now() - started) / 1000;
  sections.push(section);
  Object.assign(headline, section.headline);
  console.log(renderSection(section));
}

if (!quick && onlyIndex < 0) {
  const text = [
    '# parajob benchmark results',
    '',
    `Measured ${new Date().toISOString()} on ${machine}. Every figure is the median of ${runs} runs; peers ran in the same`,
    'run on the same generated data. Regenerate with `npm run bench` (takes several minutes).',
    '',
    ...sections.map(renderSection),
  ].join('\n');
  writeFileSync(new URL('./RESULTS.md', import.meta.url), text + '\n');
  console.log('wrote bench/RESULTS.md');
}

/** A markdown table for one workload. */
function renderSection(section) {
  const lines = [
    `## ${section.title}`,
    '',
    `| ${section.columns.join(' | ')} |`,
    `|${section.columns.map(() => '---').join('|')}|`,
  ];
  for (const row of section.rows) lines.push(`| ${row.join(' | ')} |`);
  if (section.notes) lines.push('', section.notes);
  // A workload may add a second table (e.g. tabular: the cut, then a job over the same kind of data).
  if (section.extra) lines.push('', renderSection(section.extra).trimEnd());
  if (section.seconds !== undefined) lines.push('', `(${section.seconds.toFixed(1)} s)`);
  lines.push('');
  return lines.join('\n');
}
