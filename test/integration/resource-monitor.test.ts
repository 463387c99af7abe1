/**
 * The resource monitor through the real CLI: a job run with `--resource_monitor_interval 1` leaves
 * Azure's perf files under the run directory's logs/sys/perf/<node>/, with the machine's CPU, memory,
 * disk and network rows, the disk's usage, the worker processes' file, and the GPU file or the note
 * that there is no nvidia-smi.
 */
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { GPU_COLUMNS, NODE_RESOURCE_COLUMNS, PROCESS_COLUMNS } from '../../src/monitor/perf-files.js';
import { assertBuilt, killAllCli, runCli } from '../helpers/cli-process.js';
import { makeInputFiles, makeTempDir, writeText } from '../helpers/input-files.js';
import { parallelJobYaml } from '../helpers/job-yaml.js';

const SLOW_SCRIPT = `export async function run(miniBatch) {
  await new Promise((resolve) => setTimeout(resolve, 400));
  return miniBatch.map(String);
}
`;

function hasNvidiaSmi(): boolean {
  try {
    execFileSync('nvidia-smi', ['-L'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let dir: string;

beforeAll(async () => {
  assertBuilt();
  dir = await makeTempDir('parajob-resource-monitor-');
  await makeInputFiles(join(dir, 'data'), 8);
  await writeText(dir, 'code/slow.mjs', SLOW_SCRIPT);
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
        entryScript: 'slow.mjs',
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
      expect(Number(row['Network Recv (MB/s)'])).toBeGreaterThanOrEqual(0);
    }
    expect((await rows('node_disk_usage.csv')).length).toBe(machine.length);
    const processes = await readFile(join(folder, 'processes_resource_usage.csv'), 'utf8');
    expect(processes.split('\n')[0]).toBe(PROCESS_COLUMNS.join(','));
    if (hasNvidiaSmi()) {
      expect(Object.keys((await rows('gpu_resource_usage.csv'))[0] ?? {})).toEqual([...GPU_COLUMNS]);
    } else {
      expect(await readFile(join(folder, 'gpu.txt'), 'utf8')).toMatch(/nvidia-smi not found/);
    }
  });
});
