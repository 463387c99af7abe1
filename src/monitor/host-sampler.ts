/**
 * Samples this machine's CPU, memory, disk and network (the resource monitor's machine-level numbers).
 * CPU busy is the share of non-idle time over all cores since the previous sample, from os.cpus() tick
 * counters; disk and network are byte rates since the previous sample, from /proc (proc-counters.ts).
 * So the first sample after creation covers the time since creation.
 */
import { cpus, freemem, loadavg, totalmem } from 'node:os';

import { IoCounterReader, type IoCounters } from './proc-counters.js';

/** One sample of the machine. */
export interface HostSample {
  /** Milliseconds since the epoch. */
  readonly atMs: number;
  /** CPU busy since the previous sample, 0..1 over all cores. */
  readonly cpuBusy: number;
  readonly memoryUsedBytes: number;
  readonly memoryTotalBytes: number;
  readonly loadAverage1m: number;
  /** Byte rates since the previous sample; 0 where /proc is absent (not Linux). */
  readonly diskReadBytesPerS: number;
  readonly diskWriteBytesPerS: number;
  readonly netReceiveBytesPerS: number;
  readonly netTransmitBytesPerS: number;
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

/** A counter's growth per second; 0 when unknown or when it went backwards (a device came or went). */
function ratePerS(now: number | undefined, before: number | undefined, seconds: number): number {
  if (now === undefined || before === undefined || seconds <= 0 || now < before) return 0;
  return (now - before) / seconds;
}

/** Takes samples; each one's CPU, disk and network figures cover the time since the previous one. */
export class HostSampler {
  private readonly io = new IoCounterReader();
  private last: CpuTicks = cpuTicks();
  private lastIo: IoCounters | undefined = this.io.read();
  private lastAtMs = Date.now();

  sample(nowMs: number = Date.now()): HostSample {
    const ticks = cpuTicks();
    const total = ticks.total - this.last.total;
    const cpuBusy = total > 0 ? Math.min(1, Math.max(0, (ticks.busy - this.last.busy) / total)) : 0;
    this.last = ticks;
    const io = this.io.read();
    const seconds = (nowMs - this.lastAtMs) / 1000;
    const before = this.lastIo;
    this.lastIo = io;
    this.lastAtMs = nowMs;
    const memoryTotalBytes = totalmem();
    return {
      atMs: nowMs,
      cpuBusy,
      memoryUsedBytes: memoryTotalBytes - freemem(),
      memoryTotalBytes,
      loadAverage1m: loadavg()[0] ?? 0,
      diskReadBytesPerS: ratePerS(io?.diskReadBytes, before?.diskReadBytes, seconds),
      diskWriteBytesPerS: ratePerS(io?.diskWriteBytes, before?.diskWriteBytes, seconds),
      netReceiveBytesPerS: ratePerS(io?.netReceiveBytes, before?.netReceiveBytes, seconds),
      netTransmitBytesPerS: ratePerS(io?.netTransmitBytes, before?.netTransmitBytes, seconds),
    };
  }
}
