/**
 * The step's Timeline tab: one row per node and process, one bar per mini-batch attempt coloured by
 * how it ended (running, done, failed, retried, revoked), filterable by status. A bar opens its
 * mini-batch in the Mini-batches tab (its attempts, errors and log links).
 */
import type { BarStatus, TimelineView } from '../../src/web/api-types.js';
import { getJson, jobPath } from './api.js';
import { timeLabels, timeScale } from './charts.js';
import { h, svg } from './dom.js';

const STATUSES: readonly BarStatus[] = ['running', 'done', 'failed', 'retried', 'revoked'];
const LANE = 14;
/** Wider than the charts' 640: lanes are thin, and labels stay small when the drawing is scaled to the page. */
const WIDTH = 1000;
const LABELS = 90;
const AXIS = 20;

export interface TimelineOptions {
  readonly status: string;
  readonly onStatus: (status: string) => void;
  readonly onBar: (miniBatchId: number) => void;
}

export async function timelineTab(jobId: string, stepName: string, options: TimelineOptions): Promise<HTMLElement> {
  const query = options.status === '' ? '' : `?status=${encodeURIComponent(options.status)}`;
  const view = await getJson<TimelineView>(`${jobPath(jobId, 'steps', stepName, 'timeline')}${query}`);
  const filter = h(
    'select',
    { 'aria-label': 'bar status', onchange: (event) => options.onStatus((event.target as HTMLSelectElement).value) },
    ...['', ...STATUSES].map((status) => {
      const label = status === '' ? 'every status' : `${status} (${view.counts[status as BarStatus]})`;
      const option = h('option', { value: status }, label);
      option.selected = status === options.status;
      return option;
    }),
  );
  const legend = h(
    'div',
    { class: 'legend' },
    ...STATUSES.map((status) => h('span', { class: `key s-${status}` }, `${status} ${view.counts[status]}`)),
  );
  if (view.lanes.length === 0) {
    return h(
      'div',
      { id: 'timeline' },
      h('h4', {}, 'Timeline ', filter),
      legend,
      h('p', { class: 'muted' }, 'No mini-batch attempts yet.'),
    );
  }
  const height = view.lanes.length * LANE + AXIS;
  const x = timeScale(view.fromMs, view.toMs, LABELS, WIDTH);
  const chart = svg('svg', { viewBox: `0 0 ${WIDTH} ${height}`, role: 'img', class: 'timeline' });
  const nowMs = view.toMs;
  view.lanes.forEach((lane, row) => {
    const top = row * LANE;
    const name = svg('text', { x: LABELS - 4, y: top + LANE - 3, 'text-anchor': 'end', class: 'axis-label' });
    // `node-a p0` for process000; a running lease's process is not known until it reports.
    const process = lane.process === '' ? 'running' : lane.process.replace(/^process0*(?=\d)/, 'p');
    name.textContent = `${lane.node} ${process}`;
    chart.appendChild(name);
    chart.appendChild(svg('line', { x1: LABELS, x2: WIDTH - 8, y1: top + LANE, y2: top + LANE, class: 'grid' }));
    for (const bar of lane.bars) {
      const left = x(bar.startMs);
      const right = x(bar.endMs > 0 ? bar.endMs : nowMs);
      const rect = svg('rect', {
        x: left,
        y: top + 2,
        width: Math.max(1.5, right - left),
        height: LANE - 4,
        class: `seg s-${bar.status}`,
        'data-mini-batch': bar.miniBatchId,
        'data-status': bar.status,
      });
      const title = svg('title');
      title.textContent = `mini-batch ${bar.miniBatchId} attempt ${bar.attempt}: ${bar.status}${bar.detail ? ` (${bar.detail})` : ''}`;
      rect.appendChild(title);
      rect.addEventListener('click', () => options.onBar(bar.miniBatchId));
      chart.appendChild(rect);
    }
  });
  chart.appendChild(timeLabels(view.fromMs, view.toMs, height - 6, LABELS, WIDTH));
  return h(
    'div',
    { id: 'timeline' },
    h('h4', {}, 'Timeline ', filter),
    legend,
    view.partial ? h('p', { class: 'muted' }, 'Only the latest attempts are drawn.') : null,
    h('div', { class: 'scroll' }, chart),
  );
}
