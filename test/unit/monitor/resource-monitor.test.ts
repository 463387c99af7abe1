/**
 * The resource monitor's parts: the /proc parsers on recorded text, the nvidia-smi parser on a
 * recorded sample (run through a fake `nvidia-smi` the test writes, as the node would run the real
 * one), and the monitor's files for a real child process of this test.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parse } from 'csv-parse/sync';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';

import { GpuSampler, parseNvidiaSmi } from '../../../src/monitor/gpu-sampler.js';
import { HostSampler } from '../../../src/monitor/host-sampler.js';
import { NODE_RESOURCE_COLUMNS, perfFiles, PROCESS_COLUMNS } from '../../../src/monitor/perf-files.js';
import { parseDiskstats, parseNetDev } from '../../../src/monitor/proc-counters.js';
import { environValue, parseProcIo, parseProcStat, ProcessSampler } from '../../../src/monitor/process-sampler.js';
import { startResourceMonitor } from '../../../src/monitor/resource-monitor.js';

const DISKSTATS = [
  '   7       0 loop0 10 0 800 0 0 0 0 0 0 0 0 0 0 0 0 0 0',
  ' 252       0 vda 4000 10 200000 900 3000 20 100000 700 0 0 0 0 0 0 0 0 0',
  ' 252       1 vda1 3900 10 190000 800 2900 20 90000 600 0 0 0 0 0 0 0 0 0',
  ' 251       0 zram0 5 0 40 0 5 0 40 0 0 0 0 0 0 0 0 0 0',
].join('\n');

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 2331766390  599636    0    0    0     0          0         0 2331766390  599636    0    0    0     0       0          0
  eth0: 1000  35819    0    0    0     0          0         0  300   28835    0    0    0     0       0          0
  eth1: 24  1    0    0    0     0          0         0  6   1    0    0    0     0       0          0
`;

/** nvidia-smi --query-gpu=index,name,utilization.gpu,memory.used,memory.total --format=csv,noheader,nounits */
const NVIDIA_SMI = `0, NVIDIA A100-SXM4-80GB, 87, 40536, 81920
1, Tesla T4, [N/A], 15, 15360
`;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'parajob-perf-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('/proc parsers', () => {
  it('counts whole disks once (not partitions, loop or zram) in 512-byte sectors', () => {
    expect(parseDiskstats(DISKSTATS, new Set(['vda', 'loop0', 'zram0']))).toEqual({
      readBytes: 200000 * 512,
      writeBytes: 100000 * 512,
    });
  });

  it('sums every interface but loopback', () => {
    expect(parseNetDev(NET_DEV)).toEqual({ receiveBytes: 1024, transmitBytes: 306 });
  });

  it('reads a process stat whose command name holds spaces and parentheses', () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ... rss
    const stat =
      '4242 (node (worker) x) S 17 4242 4242 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 11 0 99 1000000 512 18446744073709551615';
    expect(parseProcStat(stat)).toEqual({ ppid: 17, cpuTicks: 300, rssPages: 512 });
    expect(environValue('A=1\0PARAJOB_PROCESS_NAME=process002\0B=2\0', 'PARAJOB_PROCESS_NAME')).toBe('process002');
  });

  it('reads the bytes a process made the disk read and write (not its cached reads), or nothing', () => {
    const io =
      'rchar: 900000\nwchar: 70000\nsyscr: 10\nsyscw: 5\nread_bytes: 4096\nwrite_bytes: 65536\ncancelled_write_bytes: 0\n';
    expect(parseProcIo(io)).toEqual({ readBytes: 4096, writeBytes: 65536 });
    expect(parseProcIo('rchar: 1\nwchar: 2\n')).toBeUndefined();
    expect(parseProcIo('')).toBeUndefined();
  });
});

describe('GPU sampling', () => {
  it('parses a recorded nvidia-smi sample; a value it cannot read is 0', () => {
    expect(parseNvidiaSmi(NVIDIA_SMI)).toEqual([
      { index: 0, name: 'NVIDIA A100-SXM4-80GB', utilizationPercent: 87, memoryUsedMiB: 40536, memoryTotalMiB: 81920 },
      { index: 1, name: 'Tesla T4', utilizationPercent: 0, memoryUsedMiB: 15, memoryTotalMiB: 15360 },
    ]);
  });

  it('runs nvidia-smi with the query it parses, and says so once when there is none', async () => {
    const dir = await tempDir();
    const fake = join(dir, 'nvidia-smi');
    // The fake prints the recorded sample only when asked the query the parser expects.
    await writeFile(
      fake,
      `#!/bin/sh\n[ "$1" = "--query-gpu=index,name,utilization.gpu,memory.used,memory.total" ] || exit 9\ncat <<'X'\n${NVIDIA_SMI}X\n`,
    );
    await chmod(fake, 0o755);
    const reading = await new GpuSampler(fake).sample();
    expect(reading).toEqual({ kind: 'samples', gpus: parseNvidiaSmi(NVIDIA_SMI) });

    const absent = new GpuSampler(join(dir, 'no-such-nvidia-smi'));
    expect(await absent.sample()).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining('not found') });
  });
});

describe('the resource monitor', () => {
  it('samples the machine with disk and network rates', () => {
    const sampler = new HostSampler();
    const sample = sampler.sample(Date.now() + 1000);
    expect(sample.memoryTotalBytes).toBeGreaterThan(0);
    for (const rate of [sample.diskReadBytesPerS, sample.diskWriteBytesPerS, sample.netReceiveBytesPerS])
      expect(rate).toBeGreaterThanOrEqual(0);
  });

  it("finds only this job's workers among this process's children", async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      env: { ...process.env, PARAJOB_JOB_ID: 'job-7', PARAJOB_PROCESS_NAME: 'process001' },
      stdio: 'ignore',
    });
    cleanups.push(async () => {
      child.kill();
    });
    await new Promise((resolve) => child.once('spawn', resolve));
    const samples = new ProcessSampler('job-7').sample();
    expect(samples).toEqual([expect.objectContaining({ pid: child.pid, processName: 'process001' })]);
    expect(new ProcessSampler('job-8').sample()).toEqual([]);
  });

  it("writes Azure's perf files under logs/sys/perf/<node>/, with the GPU absence said", async () => {
    const logs = await tempDir();
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      env: { ...process.env, PARAJOB_JOB_ID: 'job-1', PARAJOB_PROCESS_NAME: 'process000' },
      stdio: 'ignore',
    });
    cleanups.push(async () => {
      child.kill();
    });
    await new Promise((resolve) => child.once('spawn', resolve));
    const monitor = startResourceMonitor({
      jobId: 'job-1',
      nodeId: 'n1',
      logDir: logs,
      // Longer than the test: the one sample comes from stop().
      intervalMs: 600_000,
      logger: pino({ level: 'silent' }),
      gpu: new GpuSampler(join(logs, 'no-nvidia-smi')),
    });
    await monitor.stop();
    const files = perfFiles(logs, 'n1');
    const node = parse(await readFile(files.node, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(Object.keys(node[0] ?? {})).toEqual([...NODE_RESOURCE_COLUMNS]);
    expect(node).toHaveLength(1);
    expect(Number(node[0]?.['Memory Total (MB)'])).toBeGreaterThan(0);
    const processes = parse(await readFile(files.processes, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(Object.keys(processes[0] ?? {})).toEqual([...PROCESS_COLUMNS]);
    expect(processes.map((row) => [row['Pid'], row['Process']])).toEqual([[String(child.pid), 'process000']]);
    expect(await readFile(files.disk, 'utf8')).toContain(logs);
    expect(await readFile(files.gpuUnavailable, 'utf8')).toContain('not found');
  });

  it('is off at interval 0: no files', async () => {
    const logs = await tempDir();
    await startResourceMonitor({
      jobId: 'j',
      nodeId: 'n1',
      logDir: logs,
      intervalMs: 0,
      logger: pino({ level: 'silent' }),
    }).stop();
    await expect(readFile(perfFiles(logs, 'n1').node, 'utf8')).rejects.toThrow(/ENOENT/);
  });
});
