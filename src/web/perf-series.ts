/**
 * The resource monitor's files of a step (src/monitor/perf-files.ts, `logs/sys/perf/<node>/`) read
 * back for the Metrics tab: each node's machine rows, its GPU rows or why it has none, and its worker
 * processes' last sample. At most MAX_POINTS rows per node (the newest): a week-long job sampled every
 * second stays cheap to chart.
 */
import { readdir, readFile } from 'node:fs/promises';

import { parse } from 'csv-parse/sync';

import { perfFiles, perfRoot } from '../monitor/perf-files.js';
import type { NodePerfSeries } from './api-types.js';

export const MAX_POINTS = 2_000;

type Row = Record<string, string>;

async function readRows(file: string): Promise<Row[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  // A row being appended may be cut: keep whole lines.
  const whole = text.slice(0, text.lastIndexOf('\n') + 1);
  if (whole === '') return [];
  return parse(whole, { columns: true, relax_column_count: true, skip_records_with_error: true }) as Row[];
}

const num = (row: Row, column: string) => Number(row[column] ?? '') || 0;
/** A figure that may be `n/a` (or absent, in files written before the column existed): null then. */
const numOrNull = (row: Row, column: string) => {
  const value = Number(row[column] ?? Number.NaN);
  return Number.isFinite(value) ? value : null;
};
const at = (row: Row) => Date.parse(row['Utc Time'] ?? '');

/** Every node's perf series of the step whose log folder is `logs` (none when the monitor was off). */
export async function readPerfSeries(logs: string): Promise<NodePerfSeries[]> {
  const nodes = await readdir(perfRoot(logs), { withFileTypes: true }).catch(() => []);
  const series: NodePerfSeries[] = [];
  for (const entry of nodes.filter((one) => one.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const files = perfFiles(logs, entry.name);
    const [machine, gpus, processes, gpuNote] = await Promise.all([
      readRows(files.node),
      readRows(files.gpu),
      readRows(files.processes),
      readFile(files.gpuUnavailable, 'utf8').catch(() => ''),
    ]);
    const lastTime = processes.at(-1)?.['Utc Time'];
    series.push({
      nodeId: entry.name,
      points: machine.slice(-MAX_POINTS).map((row) => ({
        atMs: at(row),
        cpuPercent: num(row, 'Cpu Percent'),
        memoryUsedPercent: num(row, 'Memory Used Percent'),
        diskReadMBps: num(row, 'Disk Io Read (MB/s)'),
        diskWriteMBps: num(row, 'Disk Io Write (MB/s)'),
        netRecvMBps: num(row, 'Network Recv (MB/s)'),
        netSentMBps: num(row, 'Network Sent (MB/s)'),
      })),
      gpus: gpus.slice(-MAX_POINTS).map((row) => ({
        atMs: at(row),
        index: num(row, 'Gpu Index'),
        utilizationPercent: num(row, 'Gpu Utilization Percent'),
        memoryUsedMB: num(row, 'Memory Used (MB)'),
      })),
      gpuNote: gpuNote.trim(),
      processes: processes
        .filter((row) => row['Utc Time'] === lastTime)
        .map((row) => ({
          pid: num(row, 'Pid'),
          process: row['Process'] ?? '',
          cpuPercent: num(row, 'Cpu Percent'),
          rssMB: num(row, 'Memory Rss (MB)'),
          diskReadMB: numOrNull(row, 'Disk Read (MB)'),
          diskWriteMB: numOrNull(row, 'Disk Write (MB)'),
        })),
    });
  }
  return series;
}
