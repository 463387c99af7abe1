/** The jobs list (status, name, experiment, submitted, duration, progress) with filters, and the live nodes. */
import type { JobRowView, ResourceSample, WebNode } from '../../src/web/api-types.js';
import { getJson } from './api.js';
import { bytes, h, replace, span, stateBadge, time } from './dom.js';

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

export class JobsPage {
  readonly element = h('section', { id: 'jobs-page' });
  private rows: readonly JobRowView[] = [];
  private readonly text = h('input', {
    type: 'search',
    placeholder: 'filter by name, id or experiment',
    'aria-label': 'filter',
  });
  private readonly status = h(
    'select',
    { 'aria-label': 'status' },
    ...['all', 'active', 'succeeded', 'failed', 'cancelled'].map((value) => h('option', { value }, value)),
  );
  private readonly table = h('div', { class: 'scroll' });
  private readonly nodes = h('div', { class: 'scroll' });

  constructor() {
    this.text.addEventListener('input', () => this.render());
    this.status.addEventListener('change', () => this.render());
    replace(
      this.element,
      h('h2', {}, 'Jobs'),
      h('div', { class: 'filters' }, this.text, this.status),
      this.table,
      h('h2', {}, 'Nodes'),
      this.nodes,
    );
  }

  async load(): Promise<void> {
    this.update(await getJson<JobRowView[]>('/api/jobs'));
  }

  update(rows: readonly JobRowView[]): void {
    this.rows = rows;
    this.render();
    void this.loadNodes();
  }

  private render(): void {
    const text = this.text.value.trim().toLowerCase();
    const wanted = this.status.value;
    const shown = [...this.rows]
      .reverse()
      .filter((row) => text === '' || `${row.name} ${row.jobId} ${row.experiment}`.toLowerCase().includes(text))
      .filter((row) => wanted === 'all' || (wanted === 'active' ? !TERMINAL.has(row.state) : row.state === wanted));
    replace(
      this.table,
      h(
        'table',
        { id: 'jobs' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['Name', 'Status', 'Experiment', 'Submitted', 'Duration', 'Progress'].map((t) => h('th', {}, t)),
          ),
        ),
        h('tbody', {}, ...shown.map(jobRow)),
      ),
      shown.length === 0
        ? h('p', { class: 'muted' }, this.rows.length === 0 ? 'No jobs yet.' : 'No job matches.')
        : null,
    );
  }

  private async loadNodes(): Promise<void> {
    const { nodes, coordinator } = await getJson<{ nodes: WebNode[]; coordinator: ResourceSample | null }>(
      '/api/nodes',
    );
    replace(
      this.nodes,
      h(
        'table',
        { id: 'nodes' },
        h(
          'thead',
          {},
          h('tr', {}, ...['Node', 'Compute', 'Host', 'Cores', 'Running', 'CPU', 'Memory'].map((t) => h('th', {}, t))),
        ),
        h(
          'tbody',
          {},
          ...nodes.map((node) =>
            h(
              'tr',
              { 'data-node': node.nodeId },
              h('td', {}, node.nodeId),
              h('td', {}, node.compute),
              h('td', {}, node.host),
              h('td', {}, node.cores),
              h('td', {}, node.running),
              ...resourceCells(node.resources),
            ),
          ),
          coordinator === null
            ? null
            : h(
                'tr',
                { class: 'muted' },
                h('td', {}, '(coordinator)'),
                h('td', {}),
                h('td', {}),
                h('td', {}),
                h('td', {}),
                ...resourceCells(coordinator),
              ),
        ),
      ),
    );
  }
}

function resourceCells(sample: ResourceSample | undefined): HTMLElement[] {
  if (sample === undefined) return [h('td', { class: 'muted' }, 'n/a'), h('td', { class: 'muted' }, 'n/a')];
  return [
    h('td', {}, `${Math.round(sample.cpuBusy * 100)}%`),
    h('td', {}, `${bytes(sample.memoryUsedBytes)} / ${bytes(sample.memoryTotalBytes)}`),
  ];
}

function jobRow(row: JobRowView): HTMLElement {
  const p = row.progress;
  const done = p.miniBatchesSucceeded + p.miniBatchesFailed;
  const share = p.miniBatchesTotal > 0 ? done / p.miniBatchesTotal : TERMINAL.has(row.state) ? 1 : 0;
  return h(
    'tr',
    { 'data-job': row.jobId, 'data-state': row.state },
    h(
      'td',
      {},
      h('a', { href: `#/jobs/${encodeURIComponent(row.jobId)}` }, row.name),
      h('div', { class: 'muted' }, row.jobId),
    ),
    h('td', { title: row.stateReason }, stateBadge(row.state)),
    h('td', {}, row.experiment),
    h('td', {}, time(row.createdAtMs)),
    h('td', {}, span(row.createdAtMs, row.endedAtMs)),
    h(
      'td',
      {},
      h('div', { class: 'bar' }, h('span', { style: `width:${Math.round(share * 100)}%` })),
      h(
        'span',
        { class: 'muted' },
        p.miniBatchesTotal > 0 ? `${done}/${p.miniBatchesTotal} mini-batches` : `${row.steps} step(s)`,
      ),
    ),
  );
}
