/**
 * The resource monitor's files, Azure's names under `<logs>/sys/perf/<node>/` (SPEC.md 6.2): the
 * machine (node_resource_usage.csv), its disk (node_disk_usage.csv), the job's worker processes
 * (processes_resource_usage.csv) and GPUs (gpu_resource_usage.csv, or gpu.txt saying why there are
 * none). Rates are per second over the monitor's interval (Azure writes psutil's counters since boot;
 * a rate is what a reader wants). One definition of the columns, for the writer and the web UI.
 */
import { join } from 'node:path';

export const NODE_RESOURCE_COLUMNS = [
  'Utc Time',
  'Cpu Percent',
  'Memory Total (MB)',
  'Memory Used (MB)',
  'Memory Used Percent',
  'Disk Io Read (MB/s)',
  'Disk Io Write (MB/s)',
  'Network Recv (MB/s)',
  'Network Sent (MB/s)',
  'Load Average 1m',
] as const;

export const DISK_USAGE_COLUMNS = ['Utc Time', 'Path', 'Total (MB)', 'Used (MB)', 'Used Percent'] as const;

/** Disk: MB the process read from and wrote to storage since it started; `n/a` where /proc/<pid>/io is not readable. */
export const PROCESS_COLUMNS = [
  'Utc Time',
  'Pid',
  'Process',
  'Cpu Percent',
  'Memory Rss (MB)',
  'Disk Read (MB)',
  'Disk Write (MB)',
] as const;

/** What a perf file says for a figure this machine cannot give. */
export const NOT_AVAILABLE = 'n/a';

export const GPU_COLUMNS = [
  'Utc Time',
  'Gpu Index',
  'Name',
  'Gpu Utilization Percent',
  'Memory Used (MB)',
  'Memory Total (MB)',
] as const;

/** The perf folder of the step whose log folder is `logs`. */
export function perfRoot(logs: string): string {
  return join(logs, 'sys', 'perf');
}

/** A node's perf files. */
export function perfFiles(logs: string, nodeId: string) {
  const dir = join(perfRoot(logs), nodeId);
  return {
    dir,
    node: join(dir, 'node_resource_usage.csv'),
    disk: join(dir, 'node_disk_usage.csv'),
    processes: join(dir, 'processes_resource_usage.csv'),
    gpu: join(dir, 'gpu_resource_usage.csv'),
    gpuUnavailable: join(dir, 'gpu.txt'),
  } as const;
}

/** A CSV line of plain fields (names with a comma or quote are quoted), "\n"-terminated. */
export function csvLine(fields: readonly (string | number)[]): string {
  return `${fields.map((field) => (typeof field === 'number' ? formatNumber(field) : quote(field))).join(',')}\n`;
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}

function quote(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field;
}
