/**
 * The resource monitor through the real CLI: a job run with `--resource_monitor_interval 1` leaves
 * Azure's perf files under the run directory's logs/sys/perf/<node>/, with the machine's CPU, memory,
 * disk and network rows, the disk's usage, the worker processes' rows with what each read from and
 * wrote to disk (or `n/a` where /proc/<pid>/io cannot be read), and the GPU file or the note that there
 * is no nvidia-smi.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statfsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { GPU_COLUMNS, NODE_RESOURCE_COLUMNS, PROCESS_COLUMNS } from '../../src/monitor/perf-files.js';
import { assertBuilt, killAllCli, runCli } from '../helpers/cli-process.js';
import { makeInputFiles, makeTempDir, writeText } from '../helpers/input-files.js';
import { parallelJobYaml } from '../helpers/job-yaml.js';

/** Bytes each worker writes to a file in its working directory. */
const WRITTEN_BYTES = 256 * 1024;
const MB = 1024 * 1024;

/**
 * Each worker writes a file, then waits (bounded) until the monitor has sampled it since: its row in
 * processes_resource_usage.csv no longer says 0 MB written (any row, where writes cannot show: tmpfs
 * or no /proc/<pid>/io). So every worker has a row, without a timed wait.
 */
const writingScript = (writesShow: boolean) => `import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const perfFile = join(process.env.PARAJOB_LOG_DIR, 'sys', 'perf', process.env.PARAJOB_NODE_ID, 'processes_resource_usage.csv');
let sampled = false;

function sampledSinceWriting() {
  try {
    return readFileSync(perfFile, 'utf8')
      .split('\\n')
      .map((line) => line.split(','))
      .some((fields) => fields[1] === String(process.pid) && fields[6] !== undefined && (${String(writesShow)} ? fields[6] !== '0' : true));
  } catch {
    return false;
  }
}

export async function run(miniBatch) {
  writeFileSync('written-' + process.pid + '.bin', Buffer.alloc(${WRITTEN_BYTES}, 1));
  for (let i = 0; i < 200 && !sampled; i++) {
    sampled = sampledSinceWriting();
    if (!sampled) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return miniBatch.map(String);
}
`;

/** Whether this machine lets a process read its /proc/<pid>/io (else the monitor writes n/a). */
function procIoReadable(): boolean {
  try {
    return /^write_bytes:/m.test(readFileSync('/proc/self/io', 'utf8'));
  } catch {
    return false;
  }
}

/** tmpfs keeps files in memory: writing to it is no disk write. */
const TMPFS_MAGIC = 0x01021994;

function hasNvidiaSmi(): boolean {
  try {
    execFileSync('nvidia-smi', ['-L'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let dir: string;
/** Whether a worker's disk writes show in its row (/proc/<pid>/io readable, the run dir on a disk). */
let writesShow: boolean;

beforeAll(async () => {
  assertBuilt();
  dir = await makeTempDir('parajob-resource-monitor-');
  await makeInputFiles(join(dir, 'data'), 8);
  writesShow = procIoReadable() && statfsSync(dir).type !== TMPFS_MAGIC;
  await writeText(dir, 'code/writing.mjs', writingScript(writesShow));
});

afterAll(async () => {
  await killAllCli();
});

describe('the resource monitor', () => {
  it('writes logs/sys/perf/<node>/ for a job run with --resource_monitor_interval 1', async () => {
    const file = await writeText(
      dir,
      'job.yml',
      parallelJobYaml({
        miniBatchSize: '"2"',
        maxConcurrencyPerInstance: 2,
        entryScript: 'writing.mjs',
        extra: '  program_arguments: --resource_monitor_interval 1',
      }),
    );
    const runDir = join(dir, 'run');
    const run = await runCli(['run', file, '--data-dir', join(dir, 'data-dir'), '--run-dir', runDir]);
    expect(run.exit?.code, run.describeOutput()).toBe(0);

    const perf = join(runDir, 'logs', 'sys', 'perf');
    const nodes = await readdir(perf);
    expect(nodes).toHaveLength(1);
    const folder = join(perf, nodes[0] as string);
    const rows = (name: string) =>
      readFile(join(folder, name), 'utf8').then((text) => parse(text, { columns: true }) as Record<string, string>[]);

    const machine = await rows('node_resource_usage.csv');
    expect(machine.length).toBeGreaterThanOrEqual(1);
    expect(Object.keys(machine[0] ?? {})).toEqual([...NODE_RESOURCE_COLUMNS]);
    for (const row of machine) {
      expect(Number.isFinite(Date.parse(row['Utc Time'] ?? ''))).toBe(true);
      expect(Number(row['Memory Total (MB)'])).toBeGreaterThan(0);
      expect(Number(row['Cpu Percent'])).toBeGreaterThanOrEqual(0);
      for (const column of [
        'Disk Io Read (MB/s)',
        'Disk Io Write (MB/s)',
        'Network Recv (MB/s)',
        'Network Sent (MB/s)',
      ])
        expect(Number(row[column]), column).toBeGreaterThanOrEqual(0);
    }
    expect((await rows('node_disk_usage.csv')).length).toBe(machine.length);
    const processes = await rows('processes_resource_usage.csv');
    expect(Object.keys(processes[0] ?? {})).toEqual([...PROCESS_COLUMNS]);
    // Both workers (max_concurrency_per_instance 2) were sampled after writing their file.
    const written = new Map<string, string[]>();
    for (const row of processes)
      written.set(row['Process'] ?? '', [...(written.get(row['Process'] ?? '') ?? []), row['Disk Write (MB)'] ?? '']);
    expect([...written.keys()].sort()).toEqual(['process000', 'process001']);
    for (const [process, values] of written) {
      if (!procIoReadable())
        expect(
          values.every((value) => value === 'n/a'),
          process,
        ).toBe(true);
      else if (writesShow) expect(Math.max(...values.map(Number)), process).toBeGreaterThanOrEqual(WRITTEN_BYTES / MB);
      else
        expect(
          values.every((value) => Number(value) >= 0),
          process,
        ).toBe(true);
    }
    if (procIoReadable()) expect(processes.every((row) => Number(row['Disk Read (MB)']) >= 0)).toBe(true);
    if (hasNvidiaSmi()) {
      expect(Object.keys((await rows('gpu_resource_usage.csv'))[0] ?? {})).toEqual([...GPU_COLUMNS]);
    } else {
      expect(await readFile(join(folder, 'gpu.txt'), 'utf8')).toMatch(/nvidia-smi not found/);
    }
  });
});
