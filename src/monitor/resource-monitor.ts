/**
 * Azure's resource monitor (`--resource_monitor_interval`): while a node serves a job, every interval
 * it samples its machine (CPU, memory, disk and network), its disk space, the job's worker processes
 * (CPU, memory, disk) and its GPUs (nvidia-smi, when present) and appends them to the job's `logs/sys/perf/<node>/` files
 * (perf-files.ts). The node writes them, as it writes its other logs under the job's log folder
 * (shared filesystem). One more sample is taken at stop, so a job shorter than the interval has one.
 */
import { appendFile, mkdir, statfs, writeFile } from 'node:fs/promises';

import type { Logger } from 'pino';

import { GpuSampler } from './gpu-sampler.js';
import { HostSampler } from './host-sampler.js';
import {
  csvLine,
  DISK_USAGE_COLUMNS,
  GPU_COLUMNS,
  NODE_RESOURCE_COLUMNS,
  NOT_AVAILABLE,
  perfFiles,
  PROCESS_COLUMNS,
} from './perf-files.js';
import { ProcessSampler } from './process-sampler.js';

export interface ResourceMonitorOptions {
  readonly jobId: string;
  readonly nodeId: string;
  /** The job's (step's) log folder. */
  readonly logDir: string;
  /** Milliseconds between samples; 0 = off. */
  readonly intervalMs: number;
  readonly logger: Logger;
  /** @default new GpuSampler() (nvidia-smi) */
  readonly gpu?: GpuSampler;
}

export interface ResourceMonitor {
  /** Takes the last sample and stops; resolves once everything is written. */
  stop(): Promise<void>;
}

const MB = 1024 * 1024;

/** Starts sampling (a no-op monitor when the interval is 0). */
export function startResourceMonitor(options: ResourceMonitorOptions): ResourceMonitor {
  if (!(options.intervalMs > 0)) return { stop: () => Promise.resolve() };
  const files = perfFiles(options.logDir, options.nodeId);
  const host = new HostSampler();
  const processes = new ProcessSampler(options.jobId);
  const gpu = options.gpu ?? new GpuSampler();
  let gpuFileStarted = false;
  // Writes run one after another, so that rows land in order and stop() can wait for the last.
  const notWritten = (error: unknown) =>
    // A full disk or a vanished folder must not take the node down: the monitor is an observer.
    options.logger.warn({ err: error, dir: files.dir }, 'resource monitor sample not written');
  let writing: Promise<void> = mkdir(files.dir, { recursive: true })
    .then(() =>
      Promise.all([
        writeHeader(files.node, NODE_RESOURCE_COLUMNS),
        writeHeader(files.disk, DISK_USAGE_COLUMNS),
        writeHeader(files.processes, PROCESS_COLUMNS),
      ]),
    )
    .then(() => undefined, notWritten);

  const takeSample = async (): Promise<void> => {
    const at = new Date();
    const time = at.toISOString();
    const machine = host.sample(at.getTime());
    await appendFile(
      files.node,
      csvLine([
        time,
        machine.cpuBusy * 100,
        machine.memoryTotalBytes / MB,
        machine.memoryUsedBytes / MB,
        (machine.memoryUsedBytes / Math.max(1, machine.memoryTotalBytes)) * 100,
        machine.diskReadBytesPerS / MB,
        machine.diskWriteBytesPerS / MB,
        machine.netReceiveBytesPerS / MB,
        machine.netTransmitBytesPerS / MB,
        machine.loadAverage1m,
      ]),
    );
    const space = await statfs(options.logDir).catch(() => undefined);
    if (space !== undefined) {
      const total = (space.blocks * space.bsize) / MB;
      const used = ((space.blocks - space.bfree) * space.bsize) / MB;
      await appendFile(files.disk, csvLine([time, options.logDir, total, used, (used / Math.max(1, total)) * 100]));
    }
    const workers = processes.sample(at.getTime());
    if (workers.length > 0) {
      const lines = workers.map((worker) =>
        csvLine([
          time,
          worker.pid,
          worker.processName,
          worker.cpuPercent,
          worker.rssBytes / MB,
          worker.diskReadBytes === undefined ? NOT_AVAILABLE : worker.diskReadBytes / MB,
          worker.diskWriteBytes === undefined ? NOT_AVAILABLE : worker.diskWriteBytes / MB,
        ]),
      );
      await appendFile(files.processes, lines.join(''));
    }
    const reading = await gpu.sample();
    if (reading.kind === 'unavailable') {
      if (!gpuFileStarted) await writeFile(files.gpuUnavailable, `${reading.reason}\n`);
      return;
    }
    const header = gpuFileStarted ? '' : csvLine(GPU_COLUMNS);
    gpuFileStarted = true;
    const rows = reading.gpus.map((one) =>
      csvLine([time, one.index, one.name, one.utilizationPercent, one.memoryUsedMiB, one.memoryTotalMiB]),
    );
    await appendFile(files.gpu, header + rows.join(''));
  };

  const enqueue = (): Promise<void> => {
    writing = writing.then(takeSample).catch(notWritten);
    return writing;
  };

  const timer = setInterval(() => void enqueue(), options.intervalMs);
  timer.unref();
  options.logger.info({ intervalMs: options.intervalMs, dir: files.dir }, 'resource monitor started');
  return {
    stop: () => {
      clearInterval(timer);
      return enqueue();
    },
  };
}

/** A CSV's header line, unless the file is there already (a node that rejoins the job appends). */
async function writeHeader(file: string, columns: readonly string[]): Promise<void> {
  try {
    await writeFile(file, csvLine(columns), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}
