// Workload remote-input (issue 17): input files over gRPC. One coordinator and one node as separate
// processes; the same job run by a node that reads the inputs in place (--shared-fs naming the data
// folder) and by one that fetches every file from the coordinator (Inputs.Read; --shared-fs naming an
// unrelated prefix) into its cache. (1) file-hash over N files of 1 KiB: job seconds, fetched vs shared.
// (2) a few large files through a no-op script: bytes per second over the job's wall time, a lower
// bound (it includes the job's start and end, and the node writing every byte to its cache on disk).
// (3) the coordinator's Inputs service serving those files to a reader in another process that
// discards them: the serving rate itself. Outputs checked against the single-process floor.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import pino from 'pino';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATA_ROOT, fileFolder, jobYaml } from '../lib/data.mjs';
import { median, repeat, runCommand } from '../lib/measure.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'parajob.js');
const sortedLines = (text) => text.split('\n').filter(Boolean).sort();

/** Starts `parajob ...args`; resolves with the process once its stderr+stdout matches `ready`. */
function start(args, ready) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`parajob ${args[0]}: not ready in 60 s\n${text.slice(-2000)}`)),
      60_000,
    );
    const onData = (chunk) => {
      text += chunk.toString();
      const match = ready.exec(text);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`parajob ${args[0]} exited ${code}\n${text.slice(-2000)}`)));
  });
}

async function stop(child) {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
}

/** Runs `job` on a fresh coordinator and node (`sharedFs` its --shared-fs); returns the job's milliseconds. */
async function timeJob(job, sharedFs) {
  const dir = mkdtempSync(join(tmpdir(), 'parajob-bench-remote-'));
  const processes = [];
  try {
    const coordinator = await start(
      ['coordinator', '--port', '0', '--host', '127.0.0.1', '--data-dir', join(dir, 'data'), '--allow-path', DATA_ROOT],
      /listening on 127\.0\.0\.1:(\d+)/,
    );
    processes.push(coordinator.child);
    const address = `127.0.0.1:${coordinator.match[1]}`;
    const node = await start(
      ['node', '--coordinator', address, '--name', 'n1', '--cache-dir', join(dir, 'cache'), '--shared-fs', sharedFs],
      /attached to/,
    );
    processes.push(node.child);
    const create = await runCommand(process.execPath, [
      BIN,
      'job',
      'create',
      '--file',
      job.file,
      '--coordinator',
      address,
    ]);
    if (create.code !== 0) throw new Error(`job create exited ${create.code}: ${create.stderr.slice(-2000)}`);
    const jobId = create.stdout.trim().split('\n').at(-1);
    const stream = await runCommand(process.execPath, [BIN, 'job', 'stream', jobId, '--coordinator', address]);
    if (stream.code !== 0) throw new Error(`job ${jobId} failed: ${stream.stdout.slice(-2000)}`);
    return stream.ms;
  } finally {
    for (const child of processes.reverse()) await stop(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

const dist = (path) => new URL(`../../dist/src/${path}`, import.meta.url).href;

/** Serves `listFile`'s files from the Inputs service in this process to bench/lib/read-inputs.mjs; bytes/s. */
async function servingRate(folder, listFile, rounds) {
  const { inputsService, InputsWireService } = await import(dist('coordinator/inputs/input-service.js'));
  const { CHANNEL_OPTIONS } = await import(dist('rpc/options.js'));
  const server = new Server(CHANNEL_OPTIONS);
  server.addService(
    InputsWireService,
    inputsService({ inputRootsServedTo: () => [folder] }, pino({ level: 'silent' })),
  );
  const port = await new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  try {
    const reader = await runCommand(process.execPath, [
      join(ROOT, 'bench', 'lib', 'read-inputs.mjs'),
      `127.0.0.1:${port}`,
      listFile,
      String(rounds),
    ]);
    if (reader.code !== 0) throw new Error(`read-inputs exited ${reader.code}: ${reader.stderr.slice(-2000)}`);
    const { bytes, ms } = JSON.parse(reader.stdout);
    return bytes / (ms / 1000);
  } finally {
    server.forceShutdown();
  }
}

export async function remoteInput({ quick, runs }) {
  const count = quick ? 2000 : 20000;
  const small = fileFolder(`hash-${count}`, count, 1024);
  const hashJob = jobYaml('remote-hash', {
    input: small.folder,
    code: join(ROOT, 'bench', 'scripts'),
    entryScript: 'hash.mjs',
    miniBatchSize: 100,
    processes: 2,
  });
  const floor = await runCommand(process.execPath, [
    join(ROOT, 'bench', 'peers', 'single-process.mjs'),
    small.listFile,
  ]);
  const expected = sortedLines(floor.stdout);
  const checked = async (sharedFs) => {
    const ms = await timeJob(hashJob, sharedFs);
    const lines = sortedLines(readFileSync(hashJob.result, 'utf8'));
    if (lines.length !== expected.length || lines.some((line, i) => line !== expected[i]))
      throw new Error(`output differs from the single-process floor (${lines.length} lines)`);
    return ms;
  };
  const shared = median(await repeat(runs, () => checked(small.folder)));
  const fetched = median(await repeat(runs, () => checked('/nothing-of-the-inputs')));

  const largeCount = 8;
  const largeBytes = (quick ? 16 : 64) * 1024 * 1024;
  const large = fileFolder(`large-${largeCount}x${largeBytes}`, largeCount, largeBytes);
  const noopJob = jobYaml('remote-large', {
    input: large.folder,
    code: join(ROOT, 'bench', 'scripts'),
    entryScript: 'noop.mjs',
    miniBatchSize: 1,
    processes: 2,
    appendRow: false,
  });
  const largeMs = median(await repeat(runs, () => timeJob(noopJob, '/nothing-of-the-inputs')));
  const megabytesPerSecond = (largeCount * largeBytes) / 1e6 / (largeMs / 1000);
  const servedMegabytesPerSecond = median(await repeat(runs, () => servingRate(large.folder, large.listFile, 2))) / 1e6;
  return {
    title: `remote-input: inputs over gRPC (Inputs.Read) vs read in place (median of ${runs})`,
    columns: ['measure', 'value'],
    rows: [
      [`file-hash ${count} × 1 KiB, node reads in place (s)`, (shared / 1000).toFixed(2)],
      [`file-hash ${count} × 1 KiB, node fetches over gRPC (s)`, (fetched / 1000).toFixed(2)],
      ['fetched / in place', `${(fetched / shared).toFixed(2)}×`],
      [`${largeCount} × ${largeBytes / 2 ** 20} MiB fetched, job wall (s)`, (largeMs / 1000).toFixed(2)],
      ['bytes per second of job wall (MB/s, lower bound; includes node disk writes)', megabytesPerSecond.toFixed(0)],
      ['coordinator Inputs service serving to a reader process (MB/s)', servedMegabytesPerSecond.toFixed(0)],
    ],
    headline: {
      'remote-input fetched / shared': fetched / shared,
      'remote-input served MB/s': servedMegabytesPerSecond,
      'remote-input job wall MB/s': megabytesPerSecond,
    },
  };
}
