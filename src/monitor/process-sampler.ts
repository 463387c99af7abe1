/**
 * CPU, memory and disk of the worker processes of one job on this node, from /proc: the children of
 * this process whose environment says PARAJOB_JOB_ID=<job> (workers carry their job and process name
 * there, src/node/processor/worker-launch.ts). CPU is the share of one core each used since the
 * previous sample (100 = one core busy). Disk is the bytes each process made the storage layer read
 * and write since it started (/proc/<pid>/io: read_bytes, write_bytes; page-cache hits are not disk
 * reads); undefined where that file cannot be read (a kernel without task I/O accounting, or a
 * hardened /proc). Off Linux there is no /proc and the sampler finds no processes.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** One worker process's sample. */
export interface ProcessSample {
  readonly pid: number;
  /** Azure's process name (`process000`), from the worker's environment. */
  readonly processName: string;
  /** Percent of one core since the previous sample (or since the process started, the first time). */
  readonly cpuPercent: number;
  readonly rssBytes: number;
  /** Bytes read from and written to storage since the process started; undefined: not readable. */
  readonly diskReadBytes: number | undefined;
  readonly diskWriteBytes: number | undefined;
}

/** Linux's USER_HZ: clock ticks per second in /proc/<pid>/stat (100 on every mainstream kernel). */
const TICKS_PER_S = 100;
const PAGE_BYTES = 4096;

/** The fields of /proc/<pid>/stat after the command name: ppid, utime+stime (ticks), rss (pages). */
export function parseProcStat(
  text: string,
): { readonly ppid: number; readonly cpuTicks: number; readonly rssPages: number } | undefined {
  // The command name is in parentheses and may itself hold spaces or parentheses: cut at the last ')'.
  const rest = text
    .slice(text.lastIndexOf(')') + 2)
    .trim()
    .split(' ');
  // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15, rss 24.
  const field = (number: number) => Number(rest[number - 3]);
  const ppid = field(4);
  if (!Number.isInteger(ppid)) return undefined;
  return { ppid, cpuTicks: field(14) + field(15), rssPages: field(24) };
}

/** read_bytes and write_bytes of a /proc/<pid>/io text; undefined when either is missing. */
export function parseProcIo(text: string): { readonly readBytes: number; readonly writeBytes: number } | undefined {
  const value = (name: string) => {
    const match = new RegExp(`^${name}:\\s*(\\d+)$`, 'm').exec(text);
    return match === null ? undefined : Number(match[1]);
  };
  const readBytes = value('read_bytes');
  const writeBytes = value('write_bytes');
  return readBytes === undefined || writeBytes === undefined ? undefined : { readBytes, writeBytes };
}

/** The value of `name` in a /proc/<pid>/environ text (NUL-separated). */
export function environValue(environ: string, name: string): string | undefined {
  const prefix = `${name}=`;
  return environ
    .split('\0')
    .find((entry) => entry.startsWith(prefix))
    ?.slice(prefix.length);
}

/** Samples the workers of `jobId` among this process's children. */
export class ProcessSampler {
  private lastTicks = new Map<number, number>();
  private lastAtMs = Date.now();

  constructor(
    private readonly jobId: string,
    private readonly parentPid: number = process.pid,
  ) {}

  sample(nowMs: number = Date.now()): ProcessSample[] {
    const seconds = Math.max(0.001, (nowMs - this.lastAtMs) / 1000);
    const samples: ProcessSample[] = [];
    const ticks = new Map<number, number>();
    for (const entry of listProc()) {
      const pid = Number(entry);
      if (!Number.isInteger(pid)) continue;
      const stat = readOrUndefined(`/proc/${pid}/stat`);
      const parsed = stat === undefined ? undefined : parseProcStat(stat);
      if (parsed === undefined || parsed.ppid !== this.parentPid) continue;
      const environ = readOrUndefined(`/proc/${pid}/environ`) ?? '';
      if (environValue(environ, 'PARAJOB_JOB_ID') !== this.jobId) continue;
      const before = this.lastTicks.get(pid) ?? 0;
      ticks.set(pid, parsed.cpuTicks);
      const io = parseProcIo(readOrUndefined(`/proc/${pid}/io`) ?? '');
      samples.push({
        pid,
        processName: environValue(environ, 'PARAJOB_PROCESS_NAME') ?? '',
        cpuPercent: (Math.max(0, parsed.cpuTicks - before) / TICKS_PER_S / seconds) * 100,
        rssBytes: parsed.rssPages * PAGE_BYTES,
        diskReadBytes: io?.readBytes,
        diskWriteBytes: io?.writeBytes,
      });
    }
    this.lastTicks = ticks;
    this.lastAtMs = nowMs;
    return samples.sort((a, b) => a.processName.localeCompare(b.processName) || a.pid - b.pid);
  }
}

function listProc(): string[] {
  try {
    return readdirSync('/proc');
  } catch {
    return [];
  }
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    // The process ended between the listing and the read, or is not ours to read.
    return undefined;
  }
}
