// The coordinator's CPU per mini-batch, apart from nodes and workers: a real `parajob coordinator`
// process runs a job of N one-file mini-batches (append_row output) for ONE simulated node over real
// gRPC (sim-node.mjs) that answers every lease at once and sends its results in messages of
// --batch results. What is reported is the coordinator's user+system CPU time (from /proc/<pid>/stat)
// from the node's first lease request to the end of `job stream`, per mini-batch.
//
//   node bench/lib/coordinator-cpu.mjs [--mini-batches 10000|100000] [--batch 64] [--credit 128]
//                                      [--runs 3] [--profile DIR]   (DIR: the coordinator's --cpu-prof dir)
// Environment: COORDINATOR_CLI (another CLI entry to run the coordinator, for A/B against an older
// bundle), COORDINATOR_NODE_ARGS (extra node flags), CPU_STDERR=1 (show the coordinator's log).
import { mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { DATA_ROOT, fileFolder } from './data.mjs';
import { coordinatorAddress, median, runCommand } from './measure.mjs';
import { attachSimulatedNodes } from './sim-node.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'bin', 'parajob.js');
const TICK_MS = 10; // CLK_TCK is 100 on Linux

const { values } = parseArgs({
  options: {
    'mini-batches': { type: 'string', default: '10000' },
    batch: { type: 'string', default: '64' },
    credit: { type: 'string', default: '128' },
    runs: { type: 'string', default: '3' },
    profile: { type: 'string' },
  },
});
const miniBatches = Number(values['mini-batches']);
const batch = Number(values.batch);
const credit = Number(values.credit);

/** User + system CPU milliseconds of a live process. */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

function jobFile(folder) {
  const dir = join(DATA_ROOT, 'jobs', `coordinator-cpu-${miniBatches}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'job.yml');
  writeFileSync(
    file,
    [
      'type: parallel',
      `name: coordinator-cpu`,
      'compute: sim',
      'inputs:',
      '  data:',
      '    type: uri_folder',
      `    path: ${folder}`,
      'outputs:',
      '  result:',
      '    type: uri_file',
      `    path: ${join(dir, 'result.txt')}`,
      'input_data: ${{inputs.data}}',
      'mini_batch_size: "1"',
      'resources:',
      '  instance_count: 1',
      'task:',
      `  code: ${join(ROOT, 'bench', 'scripts')}`,
      '  entry_script: noop.mjs',
      '  append_row_to: ${{outputs.result}}',
      '',
    ].join('\n'),
  );
  return { file, result: join(dir, 'result.txt') };
}

async function startCoordinator(dataDir) {
  const profile = values.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${values.profile}`];
  const extra = process.env.COORDINATOR_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(
    process.execPath,
    [
      ...extra,
      ...profile,
      process.env.COORDINATOR_CLI ?? CLI,
      'coordinator',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--data-dir',
      dataDir,
    ],
    { stdio: ['ignore', 'pipe', process.env.CPU_STDERR ? 'inherit' : 'ignore'] },
  );
  return { child, address: await coordinatorAddress(child) };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function measureOnce(job) {
  const dataDir = join(DATA_ROOT, 'coordinator-cpu-runs', String(Date.now()));
  const { child, address } = await startCoordinator(dataDir);
  const sims = attachSimulatedNodes(address, 1, { compute: 'sim', credit, hold: true, resultBatch: batch, rows: true });
  try {
    const created = await runCommand(process.execPath, [
      CLI,
      'job',
      'create',
      '--file',
      job.file,
      '--coordinator',
      address,
    ]);
    if (created.code !== 0) throw new Error(`job create failed: ${created.stderr}`);
    const id = created.stdout.trim().split('\n').pop();
    const deadline = Date.now() + 120_000;
    while (sims.assigned() < 1) {
      if (Date.now() > deadline) throw new Error('the simulated node was not assigned the job within 120 s');
      await sleep(20);
    }
    // The stream CLI attaches its Watch while the run goes on: one call's CPU inside the window, and
    // it waits for the end whenever it attaches.
    const stream = runCommand(process.execPath, [CLI, 'job', 'stream', id, '--coordinator', address]);
    const cpuBefore = cpuMs(child.pid);
    const started = Date.now();
    sims.start();
    const streamed = await stream;
    const wallMs = Date.now() - started;
    const cpu = cpuMs(child.pid) - cpuBefore;
    if (streamed.code !== 0) throw new Error(`job failed: ${streamed.stderr.slice(-1500)}`);
    const lines = readFileSync(job.result, 'utf8').split('\n').length - 1;
    if (lines !== miniBatches) throw new Error(`append_row file has ${lines} lines, expected ${miniBatches}`);
    return { cpu, wallMs };
  } finally {
    sims.stop();
    child.kill('SIGINT');
    await once(child, 'exit');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const { folder } = fileFolder(`tiny-${miniBatches}`, miniBatches, 1);
const job = jobFile(folder);
const runs = [];
for (let i = 0; i < Number(values.runs); i++) {
  const run = await measureOnce(job);
  runs.push(run);
  console.log(
    `run ${i + 1}: coordinator CPU ${run.cpu} ms over ${run.wallMs} ms wall = ${((run.cpu * 1000) / miniBatches).toFixed(1)} µs/mini-batch`,
  );
}
const cpu = median(runs.map((run) => run.cpu));
console.log(
  `median: ${((cpu * 1000) / miniBatches).toFixed(1)} µs of coordinator CPU per mini-batch (${miniBatches} mini-batches, results in messages of ${batch}, credit ${credit})`,
);
