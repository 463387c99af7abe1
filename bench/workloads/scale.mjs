// Workload 6, scale: the coordinator alone under load. A real `parajob coordinator` process, and
// lightweight SIMULATED nodes over real gRPC (bench/lib/sim-node.mjs: they answer every lease at once
// and run no user code). A tabular input cut "1 rows" gives 1,000,000 mini-batches (100,000 with
// --quick).
//
// Each measured job runs in two phases on a fresh coordinator:
// 1. the job is created with NO node attached: the coordinator partitions it and waits, every
//    mini-batch pending. The coordinator (started with --expose-gc and bench/lib/memory-probe.cjs
//    preloaded) then runs a full GC and reports process.memoryUsage(): heapUsed + external is what it
//    RETAINS. Against the same figure for a 1-mini-batch job, divided by the mini-batches, that is the
//    memory a pending mini-batch costs, free of GC timing.
// 2. the simulated nodes attach and are assigned the job, holding their lease requests; then they
//    all ask at once and run it: the lease rate is mini-batches over the seconds from that moment to
//    the last result the nodes send (neither partitioning, nor connecting 64 gRPC clients, nor a CLI
//    process starting is in it; `job stream` checks the job succeeded afterwards), and the peak RSS
//    (VmHWM) covers partitioning and the run, transient garbage and buffers included. The peak
//    difference per mini-batch is reported too, but it mostly measures when V8 chose to collect.
//
// Then a folder of 1,000,000 empty files (100,000 with --quick; subfolders of 1,000) as a uri_folder
// input, on a coordinator with no node: the seconds from "job started" (coordinator log) to "scheduling
// finished" (the step's log), which is listing, ordering and cutting the folder, and the bytes retained
// per pending file beyond its relative path's own text, after a full GC, against a 1-file folder; at 1
// and at 10 files per mini-batch.
// PARAJOB_BENCH_SCALE_FOLDER_ONLY=1 measures the folder alone.
import { closeSync, mkdirSync, openSync, writeFileSync, existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { DATA_ROOT } from '../lib/data.mjs';
import { coordinatorAddress, median, peakRssKb, repeat, runCommand } from '../lib/measure.mjs';
import { attachSimulatedNodes } from '../lib/sim-node.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'bin', 'parajob.js');
const PROBE = join(ROOT, 'bench', 'lib', 'memory-probe.cjs');

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
  writeFileSync(
    join(dir, 'MLTable'),
    'paths:\n  - file: ./rows.csv\ntransformations:\n  - read_delimited:\n      delimiter: ","\n',
  );
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

async function startCoordinator(dataDir, probeFile) {
  const child = spawn(
    process.execPath,
    ['--expose-gc', '-r', PROBE, CLI, 'coordinator', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PARAJOB_MEMORY_PROBE: probeFile },
    },
  );
  let log = '';
  child.stderr.on('data', (chunk) => (log += chunk));
  return { child, address: await coordinatorAddress(child), log: () => log };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `job show` until the job's mini-batches are counted (it is partitioned); bounded. */
async function waitUntilPartitioned(id, address, expected) {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const shown = await runCommand(process.execPath, [CLI, 'job', 'show', id, '--json', '--coordinator', address]);
    if (shown.code !== 0) throw new Error(`job show failed: ${shown.stderr}`);
    const status = JSON.parse(shown.stdout);
    const total = Number(status.progress?.miniBatchesTotal ?? 0);
    if (total === expected) return;
    if (total !== 0) throw new Error(`expected ${expected} mini-batches, the coordinator cut ${total}`);
    if (/FAILED|CANCELLED|SUCCEEDED/.test(String(status.state)))
      throw new Error(`job ended before running: ${status.stateReason}`);
    if (Date.now() > deadline) throw new Error(`job ${id} not partitioned within 300 s`);
    await sleep(100);
  }
}

/** Asks the coordinator's memory probe for process.memoryUsage() after a full GC (bytes). */
async function retainedMemory(child, probeFile) {
  rmSync(probeFile, { force: true });
  child.kill('SIGUSR2');
  const deadline = Date.now() + 30_000;
  while (!existsSync(probeFile)) {
    if (Date.now() > deadline) throw new Error('the coordinator memory probe did not answer within 30 s');
    await sleep(20);
  }
  const usage = JSON.parse(readFileSync(probeFile, 'utf8'));
  if (!usage.gcRan)
    throw new Error('the coordinator was started without --expose-gc: retained memory would include garbage');
  return usage;
}

/**
 * Runs one job on a fresh coordinator (see the module comment for the two phases). Returns
 * {seconds, rate, peakKb, retained (heapUsed + external after a full GC, bytes), retainedRssKb}.
 */
async function measure(rows, nodes) {
  const dataDir = join(DATA_ROOT, 'scale-runs', `${rows}-${nodes}-${Date.now()}`);
  const probeFile = `${dataDir}.memory.json`;
  const { child, address } = await startCoordinator(dataDir, probeFile);
  let sims;
  try {
    const created = await runCommand(process.execPath, [
      CLI,
      'job',
      'create',
      '--file',
      tableJob(rows, nodes),
      '--coordinator',
      address,
    ]);
    if (created.code !== 0) throw new Error(`job create failed: ${created.stderr}`);
    const id = created.stdout.trim().split('\n').pop();
    await waitUntilPartitioned(id, address, rows);
    const usage = await retainedMemory(child, probeFile);
    sims = attachSimulatedNodes(address, nodes, { compute: 'sim', credit: 256, hold: true });
    const attachDeadline = Date.now() + 60_000;
    while (sims.assigned() < nodes) {
      if (Date.now() > attachDeadline)
        throw new Error(`only ${sims.assigned()} of ${nodes} simulated nodes were assigned the job within 60 s`);
      await sleep(20);
    }
    // Timed on the nodes' side, with no CLI process starting meanwhile: from the first lease requests
    // to the last result sent. `job stream` then checks that the job succeeded.
    const started = Date.now();
    sims.start();
    const finished = await sims.whenCompleted(rows);
    const seconds = (finished - started) / 1000;
    const streamed = await runCommand(process.execPath, [CLI, 'job', 'stream', id, '--coordinator', address]);
    if (streamed.code !== 0) throw new Error(`job failed: ${streamed.stderr.slice(-1500)}`);
    return {
      seconds,
      rate: sims.completed() / seconds,
      peakKb: peakRssKb(child.pid),
      retained: usage.heapUsed + usage.external,
      retainedRssKb: usage.rss / 1024,
      completed: sims.completed(),
    };
  } finally {
    sims?.stop();
    child.kill('SIGTERM');
    await once(child, 'exit');
    rmSync(probeFile, { force: true });
  }
}

/** A folder of `count` empty files in subfolders of 1,000 (d0000/f0000000.bin, ...); reused. */
function emptyFileFolder(count) {
  const folder = join(DATA_ROOT, `folder-${count}`);
  if (existsSync(folder)) return folder;
  const partial = `${folder}.part`;
  rmSync(partial, { recursive: true, force: true });
  for (let d = 0; d * 1000 < count; d++) {
    const dir = join(partial, `d${String(d).padStart(4, '0')}`);
    mkdirSync(dir, { recursive: true });
    for (let i = d * 1000; i < Math.min(count, (d + 1) * 1000); i++)
      closeSync(openSync(join(dir, `f${String(i).padStart(7, '0')}.bin`), 'w'));
  }
  renameSync(partial, folder);
  return folder;
}

/** A uri_folder job over `folder`, `perMiniBatch` files a mini-batch. */
function folderJob(folder, count, perMiniBatch) {
  const file = join(DATA_ROOT, 'jobs', `folder-${count}-${perMiniBatch}.yml`);
  mkdirSync(join(DATA_ROOT, 'jobs'), { recursive: true });
  writeFileSync(
    file,
    [
      'type: parallel',
      `name: folder-${count}`,
      'compute: sim',
      'inputs:',
      '  data:',
      '    type: uri_folder',
      `    path: ${folder}`,
      'input_data: ${{inputs.data}}',
      `mini_batch_size: "${perMiniBatch}"`,
      'task:',
      '  code: ' + join(ROOT, 'bench', 'scripts'),
      '  entry_script: noop.mjs',
      '',
    ].join('\n'),
  );
  return file;
}

/** Milliseconds between two messages of the coordinator's JSON log lines (the first of each). */
function logGapMs(log, fromMsg, toMsg) {
  const times = {};
  for (const line of log.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line);
    if ((entry.msg === fromMsg || entry.msg === toMsg) && times[entry.msg] === undefined) times[entry.msg] = entry.time;
  }
  if (times[fromMsg] === undefined || times[toMsg] === undefined)
    throw new Error(`the coordinator log lacks "${fromMsg}" or "${toMsg}"`);
  return times[toMsg] - times[fromMsg];
}

/** Partitions a folder job on a fresh coordinator with no node: {seconds, retained bytes, peakKb}. */
async function measureFolder(folder, count, perMiniBatch) {
  const dataDir = join(DATA_ROOT, 'scale-runs', `folder-${count}-${perMiniBatch}-${Date.now()}`);
  const probeFile = `${dataDir}.memory.json`;
  const { child, address, log } = await startCoordinator(dataDir, probeFile);
  try {
    const created = await runCommand(process.execPath, [
      CLI,
      'job',
      'create',
      '--file',
      folderJob(folder, count, perMiniBatch),
      '--coordinator',
      address,
      // Measures listing and cutting: without it the step's reuse key would first hash every file's
      // bytes (src/coordinator/pipeline/content-hash.ts), which is not partitioning.
      '--force-rerun',
    ]);
    if (created.code !== 0) throw new Error(`job create failed: ${created.stderr}`);
    const id = created.stdout.trim().split('\n').pop();
    // Watch the step's log rather than poll `job show`: each poll starts a CLI process, which would
    // compete with the coordinator for the CPU while it lists.
    const stepLog = join(dataDir, 'runs', id, 'logs', 'sys', 'master_role.txt');
    const deadline = Date.now() + 600_000;
    while (!(existsSync(stepLog) && readFileSync(stepLog, 'utf8').includes('"scheduling finished"'))) {
      if (Date.now() > deadline) throw new Error(`job ${id} not partitioned within 600 s`);
      await sleep(50);
    }
    await waitUntilPartitioned(id, address, Math.ceil(count / perMiniBatch));
    const usage = await retainedMemory(child, probeFile);
    return {
      // "job started" is the coordinator's log; "scheduling finished" the step's (the job's run dir).
      seconds: logGapMs(log() + readFileSync(stepLog, 'utf8'), 'job started', 'scheduling finished') / 1000,
      retained: usage.heapUsed + usage.external,
      peakKb: peakRssKb(child.pid),
    };
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
    rmSync(probeFile, { force: true });
  }
}

/** The folder half (see the module comment): rows for the scale table. */
async function folderScale(quick, runs) {
  const count = quick ? 100_000 : 1_000_000;
  const folder = emptyFileFolder(count);
  const one = emptyFileFolder(1);
  // d0000/f0000000.bin: the relative path text a file costs at the least, whatever the layout.
  const pathBytes = 'd0000/f0000000.bin'.length;
  const n = count.toLocaleString('en-US');
  const rows = [];
  const headline = {};
  for (const perMiniBatch of [1, 10]) {
    const baseline = await measureFolder(one, 1, perMiniBatch);
    const results = await repeat(runs, () => measureFolder(folder, count, perMiniBatch));
    const seconds = median(results.map((r) => r.seconds));
    const perFile = (median(results.map((r) => r.retained)) - baseline.retained) / count - pathBytes;
    rows.push(
      [`folder of ${n} files, ${perMiniBatch} per mini-batch: seconds to list and partition`, seconds.toFixed(2)],
      [
        `folder of ${n} files, ${perMiniBatch} per mini-batch: retained bytes per pending file beyond its ${pathBytes}-byte path`,
        perFile.toFixed(0),
      ],
      [
        `folder of ${n} files, ${perMiniBatch} per mini-batch: coordinator peak RSS`,
        `${(median(results.map((r) => r.peakKb)) / 1024).toFixed(0)} MiB`,
      ],
    );
    headline[`folder ${perMiniBatch}/mb partition s`] = seconds;
    headline[`folder ${perMiniBatch}/mb bytes per file`] = perFile;
  }
  return { rows, headline };
}

/** The folder half alone: `--only folder` (or PARAJOB_BENCH_SCALE_FOLDER_ONLY=1 with `--only scale`). */
export async function folderInput({ quick, runs }) {
  const folders = await folderScale(quick, runs);
  return { title: `scale: folder input (median of ${runs})`, columns: ['figure', 'value'], ...folders };
}

export async function scale({ quick, runs }) {
  if (process.env.PARAJOB_BENCH_SCALE_FOLDER_ONLY) return folderInput({ quick, runs });
  const rows = quick ? 100_000 : 1_000_000;
  const baseline = await measure(1, 1);
  const one = await repeat(runs, () => measure(rows, 1));
  const many = await repeat(runs, () => measure(rows, 64));
  const folders = await folderScale(quick, runs);
  const rateOne = median(one.map((r) => r.rate));
  const rateMany = median(many.map((r) => r.rate));
  const peakKb = median(one.map((r) => r.peakKb));
  const peakManyKb = median(many.map((r) => r.peakKb));
  const retainedPer = (median(one.map((r) => r.retained)) - baseline.retained) / rows;
  const peakPer = ((peakKb - baseline.peakKb) * 1024) / rows;
  const mib = (kb) => `${(kb / 1024).toFixed(0)} MiB`;
  const n = rows.toLocaleString('en-US');
  return {
    title: `scale: ${n} mini-batches on one coordinator, simulated nodes over real gRPC (median of ${runs})`,
    columns: ['figure', 'value'],
    rows: [
      [
        `retained bytes per pending mini-batch (heapUsed + external after a full GC, ${n} pending vs 1)`,
        retainedPer.toFixed(0),
      ],
      ['coordinator retained, 1-mini-batch job (heapUsed + external after GC)', mib(baseline.retained / 1024)],
      [
        `coordinator retained, ${n} pending (heapUsed + external after GC)`,
        mib(median(one.map((r) => r.retained)) / 1024),
      ],
      ['coordinator peak RSS, 1-mini-batch job', mib(baseline.peakKb)],
      [`coordinator peak RSS, ${n} mini-batches, 1 node (partitioning and run)`, mib(peakKb)],
      [`coordinator peak RSS, ${n} mini-batches, 64 nodes`, mib(peakManyKb)],
      ['peak RSS difference per mini-batch (bytes; mostly GC timing and transient buffers)', peakPer.toFixed(0)],
      [
        'lease rate, 1 node (mini-batches/s, first lease request to last result)',
        Math.round(rateOne).toLocaleString('en-US'),
      ],
      ['lease rate, 64 nodes (mini-batches/s)', Math.round(rateMany).toLocaleString('en-US')],
      ['64 nodes / 1 node', `${((rateMany / rateOne) * 100).toFixed(0)}%`],
      ...folders.rows,
    ],
    notes:
      'Simulated nodes: real gRPC streams and the real node protocol, no worker processes; each keeps 256 leases of credit. ' +
      'Retained memory is measured with the job partitioned and no node attached (every mini-batch pending), after a full GC ' +
      '(the coordinator runs with --expose-gc and bench/lib/memory-probe.cjs). Peak RSS is VmHWM over partitioning and the run.',
    headline: {
      'coordinator bytes per pending mini-batch': retainedPer,
      'coordinator peak RSS MiB': peakKb / 1024,
      'lease rate 1 node': rateOne,
      'lease rate 64 nodes / 1 node %': (rateMany / rateOne) * 100,
      ...folders.headline,
    },
  };
}
