/**
 * The step's Metrics tab: throughput, mini-batches ended by status and done so far, run() time (from
 * the attempts, bucketed by the server), and each node's CPU, memory, disk, network and GPU from the
 * resource monitor's files, plus the nodes' live samples (their heartbeats) while the job runs.
 */
import type { JobView, MetricsView, NodePerfSeries, WebNode } from '../../src/web/api-types.js';
import { getJson, jobPath } from './api.js';
import { lineChart, type LineSeries, stackedBars } from './charts.js';
import { bytes, duration, h } from './dom.js';

interface NodesAnswer {
  readonly nodes: readonly WebNode[];
}

/** `c0`..`c7`: one colour per node, in order. */
const nodeClass = (index: number) => `c${index % 8}`;

function perNode(
  perf: readonly NodePerfSeries[],
  value: (point: NodePerfSeries['points'][number]) => number,
  suffix = '',
): LineSeries[] {
  return perf.map((node, index) => ({
    label: `${node.nodeId}${suffix}`,
    cls: nodeClass(index),
    points: node.points.map((point) => [point.atMs, value(point)] as const),
  }));
}

function resourceCharts(view: MetricsView): HTMLElement {
  const { perf } = view;
  if (perf.length === 0) {
    const interval = view.resourceMonitorIntervalS;
    return h(
      'p',
      { class: 'muted', id: 'perf-off' },
      interval === 0
        ? 'The resource monitor is off for this step (--resource_monitor_interval 0).'
        : `No resource monitor samples yet${interval === undefined ? '' : ` (one every ${interval} s per node)`}.`,
    );
  }
  const gpuNotes = perf.filter((node) => node.gpus.length === 0 && node.gpuNote !== '');
  const gpuSeries = perf.flatMap((node, index) =>
    [...new Set(node.gpus.map((gpu) => gpu.index))].map((gpuIndex) => ({
      label: `${node.nodeId} GPU ${gpuIndex}`,
      cls: nodeClass(index),
      points: node.gpus
        .filter((gpu) => gpu.index === gpuIndex)
        .map((gpu) => [gpu.atMs, gpu.utilizationPercent] as const),
    })),
  );
  const processes = perf.flatMap((node) => node.processes.map((process) => ({ node: node.nodeId, ...process })));
  return h(
    'div',
    { class: 'charts', id: 'perf-charts' },
    lineChart(
      'CPU per node',
      '%',
      perNode(perf, (point) => point.cpuPercent),
      100,
      'cpu',
    ),
    lineChart(
      'Memory used per node',
      '%',
      perNode(perf, (point) => point.memoryUsedPercent),
      100,
      'memory',
    ),
    lineChart(
      'Disk per node (read, write)',
      'MB/s',
      [
        ...perNode(perf, (point) => point.diskReadMBps, ' read'),
        ...perNode(perf, (point) => point.diskWriteMBps, ' write').map((one) => ({ ...one, cls: `${one.cls} dashed` })),
      ],
      0,
      'disk',
    ),
    lineChart(
      'Network per node (received, sent)',
      'MB/s',
      [
        ...perNode(perf, (point) => point.netRecvMBps, ' received'),
        ...perNode(perf, (point) => point.netSentMBps, ' sent').map((one) => ({ ...one, cls: `${one.cls} dashed` })),
      ],
      0,
      'network',
    ),
    gpuSeries.length === 0 ? null : lineChart('GPU utilisation', '%', gpuSeries, 100, 'gpu'),
    ...gpuNotes.map((node) =>
      h('p', { class: 'muted', 'data-gpu-note': node.nodeId }, `${node.nodeId}: ${node.gpuNote}`),
    ),
    processes.length === 0
      ? null
      : h(
          'div',
          { class: 'scroll' },
          h(
            'table',
            { id: 'perf-processes' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ...['Node', 'Process', 'Pid', 'CPU %', 'Memory (MB)', 'Disk read (MB)', 'Disk written (MB)'].map(
                  (text) => h('th', {}, text),
                ),
              ),
            ),
            h(
              'tbody',
              {},
              ...processes.map((one) =>
                h(
                  'tr',
                  {},
                  ...[
                    one.node,
                    one.process,
                    one.pid,
                    one.cpuPercent.toFixed(1),
                    one.rssMB.toFixed(1),
                    one.diskReadMB?.toFixed(1) ?? 'n/a',
                    one.diskWriteMB?.toFixed(1) ?? 'n/a',
                  ].map((cell) => h('td', {}, cell)),
                ),
              ),
            ),
          ),
        ),
  );
}

function liveNodes(nodes: readonly WebNode[]): HTMLElement | null {
  const sampled = nodes.filter((node) => node.resources !== undefined);
  if (sampled.length === 0) return null;
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      { id: 'live-nodes' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Node', 'Running', 'CPU', 'Memory', 'Disk r/w per s', 'Network in/out per s'].map((text) =>
            h('th', {}, text),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        ...sampled.map((node) => {
          const r = node.resources;
          if (r === undefined) return h('tr', {});
          const cells = [
            node.nodeId,
            node.running,
            `${(r.cpuBusy * 100).toFixed(0)} %`,
            `${bytes(r.memoryUsedBytes)} of ${bytes(r.memoryTotalBytes)}`,
            `${bytes(Math.round(r.diskReadBytesPerS))} / ${bytes(Math.round(r.diskWriteBytesPerS))}`,
            `${bytes(Math.round(r.netReceiveBytesPerS))} / ${bytes(Math.round(r.netTransmitBytesPerS))}`,
          ];
          return h('tr', {}, ...cells.map((cell) => h('td', {}, cell)));
        }),
      ),
    ),
  );
}

export async function metricsTab(jobId: string, stepName: string, job: JobView): Promise<HTMLElement> {
  const [view, nodes] = await Promise.all([
    getJson<MetricsView>(jobPath(jobId, 'steps', stepName, 'metrics')),
    getJson<NodesAnswer>('/api/nodes'),
  ]);
  const progress = job.graph.steps.find((step) => step.name === stepName)?.progress ?? job.progress;
  const ends = view.buckets.map((bucket) => bucket.atMs);
  const seconds = view.bucketMs / 1000;
  const cards: [string, string][] = [
    ['items/s now', progress.ratePerS.toFixed(1)],
    ['ETA', progress.etaMs > 0 ? duration(progress.etaMs) : '—'],
    ['mini-batches done', `${progress.miniBatchesSucceeded} / ${progress.miniBatchesTotal}`],
    ['failed', String(progress.miniBatchesFailed)],
    ['retries', String(progress.retries)],
  ];
  return h(
    'div',
    { id: 'metrics' },
    h(
      'div',
      { class: 'cards' },
      ...cards.map(([label, value]) => h('div', { class: 'card', 'data-metric': label }, h('b', {}, value), label)),
    ),
    h(
      'div',
      { class: 'charts' },
      lineChart(
        'Throughput',
        'items/s',
        [{ label: 'items/s', cls: 'c0', points: view.buckets.map((b) => [b.atMs, b.items / seconds] as const) }],
        0,
        'throughput',
      ),
      stackedBars(
        'Mini-batch attempts ended, by status',
        'attempts',
        ends,
        view.bucketMs,
        [
          { label: 'done', cls: 's-done', values: view.buckets.map((b) => b.done) },
          { label: 'retried', cls: 's-retried', values: view.buckets.map((b) => b.retried) },
          { label: 'failed', cls: 's-failed', values: view.buckets.map((b) => b.failed) },
          { label: 'revoked', cls: 's-revoked', values: view.buckets.map((b) => b.revoked) },
        ],
        'status',
      ),
      lineChart(
        'Mini-batches done',
        'mini-batches',
        [{ label: 'done', cls: 's-done', points: view.buckets.map((b) => [b.atMs, b.doneTotal] as const) }],
        0,
        'done',
      ),
      lineChart(
        'run() time',
        's',
        [
          {
            label: 'mean',
            cls: 'c0',
            points: view.buckets.filter((b) => b.runMaxS > 0).map((b) => [b.atMs, b.runMeanS] as const),
          },
          {
            label: 'max',
            cls: 'c1',
            points: view.buckets.filter((b) => b.runMaxS > 0).map((b) => [b.atMs, b.runMaxS] as const),
          },
        ],
        0,
        'latency',
      ),
    ),
    h('h4', {}, 'Nodes'),
    liveNodes(nodes.nodes),
    resourceCharts(view),
  );
}
