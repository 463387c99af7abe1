/**
 * Samples this machine's CPU and memory (the resource monitor's machine-level numbers). CPU busy is
 * the share of non-idle time over all cores since the previous sample, from os.cpus() tick counters,
 * so the first sample after creation covers the time since creation.
 */
import { cpus, freemem, loadavg, totalmem } from 'node:os';

/** One sample of the machine. */
export interface HostSample {
  /** Milliseconds since the epoch. */
  readonly atMs: number;
  /** CPU busy since the previous sample, 0..1 over all cores. */
  readonly cpuBusy: number;
  readonly memoryUsedBytes: number;
  readonly memoryTotalBytes: number;
  readonly loadAverage1m: number;
}

interface CpuTicks {
  readonly busy: number;
  readonly total: number;
}

function cpuTicks(): CpuTicks {
  let busy = 0;
  let total = 0;
  for (const cpu of cpus()) {
    const { user, nice, sys, irq, idle } = cpu.times;
    busy += user + nice + sys + irq;
    total += user + nice + sys + irq + idle;
  }
  return { busy, total };
}

/** Takes samples; each one's CPU figure covers the time since the previous one. */
export class HostSampler {
  private last: CpuTicks = cpuTicks();

  sample(nowMs: number = Date.now()): HostSample {
    const ticks = cpuTicks();
    const total = ticks.total - this.last.total;
    const cpuBusy = total > 0 ? Math.min(1, Math.max(0, (ticks.busy - this.last.busy) / total)) : 0;
    this.last = ticks;
    const memoryTotalBytes = totalmem();
    return {
      atMs: nowMs,
      cpuBusy,
      memoryUsedBytes: memoryTotalBytes - freemem(),
      memoryTotalBytes,
      loadAverage1m: loadavg()[0] ?? 0,
    };
  }
}
