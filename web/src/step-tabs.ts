/**
 * The selected step's panel, with Studio's tabs: Overview (status, times, the spec as YAML), Settings
 * (each setting's value in force and its source), Outputs + logs (the run directory as a tree, a file
 * viewed in place and tailed while the job runs; job_result.txt opened first on failure) and
 * Mini-batches (live counts and leases, and every attempt, filterable by status and mini-batch, with
 * links to the logs of the process that ran it), Timeline (timeline-tab.ts) and Metrics (metrics-tab.ts).
 */
import type { FileContent, JobView, MiniBatchesView, StepDetailView, TreeEntry } from '../../src/web/api-types.js';
import { getJson, jobPath } from './api.js';
import { bytes, h, replace, span, time } from './dom.js';
import { metricsTab } from './metrics-tab.js';
import { timelineTab } from './timeline-tab.js';

export type TabName = 'overview' | 'settings' | 'outputs' | 'mini-batches' | 'timeline' | 'metrics';
const TABS: readonly [TabName, string][] = [
  ['overview', 'Overview'],
  ['settings', 'Settings'],
  ['outputs', 'Outputs + logs'],
  ['mini-batches', 'Mini-batches'],
  ['timeline', 'Timeline'],
  ['metrics', 'Metrics'],
];
/** Live tabs refresh at most this often, however often the job changes. */
const REFRESH_MIN_MS = 1_000;
const ATTEMPT_STATUSES = [
  '',
  'RUN_DONE',
  'RUN_EXCEPTION',
  'RUN_TIMEOUT',
  'LOAD_TIMEOUT',
  'WORKER_CRASHED',
  'RETURNED',
  'REVOKED',
];

export class StepTabs {
  readonly element = h('section', { id: 'step-panel' });
  private readonly tabBar = h('div', { class: 'tabs', role: 'tablist' });
  private readonly body = h('div', { class: 'panel', role: 'tabpanel' });
  private tab: TabName = 'overview';
  private openFile: string | undefined;
  private statusFilter = '';
  private barFilter = '';
  private miniBatch: number | undefined;
  private lastRefreshMs = 0;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly jobId: string,
    private readonly stepName: string,
    private job: JobView,
  ) {
    replace(this.element, h('h3', {}, `Step ${stepName}`), this.tabBar, this.body);
    this.renderTabs();
    // On failure, the first thing to read is job_result.txt.
    if (job.failed) {
      this.tab = 'outputs';
      this.renderTabs();
    }
    void this.refresh();
  }

  /** The job changed (a push): refresh what may have changed in the shown tab. */
  jobChanged(job: JobView): void {
    this.job = job;
    if (this.tab === 'settings' || this.refreshTimer !== undefined) return;
    const wait = Math.max(0, this.lastRefreshMs + REFRESH_MIN_MS - Date.now());
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refresh();
    }, wait);
  }

  /** Shows `tab` (and its refreshed content). */
  private show(tab: TabName): void {
    this.tab = tab;
    this.renderTabs();
    void this.refresh();
  }

  /** The step's run directory relative to the job's, as the files API names paths. */
  private relativeRunDir(): string {
    const box = this.job.graph.steps.find((step) => step.name === this.stepName);
    if (box === undefined || !box.runDir.startsWith(this.job.runDir)) return '';
    return box.runDir.slice(this.job.runDir.length).replace(/^\/+/, '');
  }

  /** Opens a file of the step's run directory in the Outputs + logs tab. */
  private openLog(path: string): void {
    this.openFile = [this.relativeRunDir(), path].filter(Boolean).join('/');
    this.show('outputs');
  }

  private renderTabs(): void {
    replace(
      this.tabBar,
      ...TABS.map(([name, label]) =>
        h(
          'button',
          {
            class: name === this.tab ? 'active' : undefined,
            role: 'tab',
            'data-tab': name,
            onclick: () => this.show(name),
          },
          label,
        ),
      ),
    );
  }

  private async refresh(): Promise<void> {
    const tab = this.tab;
    this.lastRefreshMs = Date.now();
    try {
      const content = await this.render(tab);
      if (tab === this.tab) replace(this.body, content);
    } catch (error) {
      replace(this.body, h('p', { class: 'error' }, String(error instanceof Error ? error.message : error)));
    }
  }

  private async render(tab: TabName): Promise<HTMLElement> {
    if (tab === 'mini-batches') return this.miniBatches();
    if (tab === 'metrics') return metricsTab(this.jobId, this.stepName, this.job);
    if (tab === 'timeline') {
      return timelineTab(this.jobId, this.stepName, {
        status: this.barFilter,
        onStatus: (status) => {
          this.barFilter = status;
          void this.refresh();
        },
        onBar: (miniBatchId) => {
          this.miniBatch = miniBatchId;
          this.show('mini-batches');
        },
      });
    }
    const detail = await getJson<StepDetailView>(jobPath(this.jobId, 'steps', this.stepName));
    if (tab === 'overview') return overview(detail);
    if (tab === 'settings') return settings(detail);
    return this.outputs(detail);
  }

  private async outputs(detail: StepDetailView): Promise<HTMLElement> {
    const base = detail.relativeRunDir;
    const tree = await getJson<{ entries: TreeEntry[]; truncated: boolean }>(
      `${jobPath(this.jobId, 'files')}?path=${encodeURIComponent(base)}`,
    );
    const resultFile = [base, 'logs/job_result.txt'].filter(Boolean).join('/');
    if (this.openFile === undefined && tree.entries.some((entry) => entry.path === resultFile)) {
      if (this.job.failed || this.job.state === 'succeeded') this.openFile = resultFile;
    }
    const viewer = h('div', { id: 'file-view' });
    if (this.openFile !== undefined) await this.showFile(viewer, this.openFile);
    const list = h(
      'ul',
      { id: 'file-tree' },
      ...tree.entries.map((entry) => {
        const name = entry.path.slice(base === '' ? 0 : base.length + 1);
        const depth = name.split('/').length - 1;
        const indent = `padding-left:${depth}em`;
        if (entry.type === 'dir') return h('li', { class: 'dir', style: indent }, `${name.split('/').pop() ?? name}/`);
        return h(
          'li',
          { style: indent },
          h(
            'a',
            {
              href: '#',
              'data-path': entry.path,
              onclick: (event) => {
                event.preventDefault();
                this.openFile = entry.path;
                void this.showFile(viewer, entry.path);
              },
            },
            name.split('/').pop() ?? name,
          ),
          h('span', { class: 'muted' }, ` ${bytes(entry.size)}`),
        );
      }),
    );
    return h(
      'div',
      {},
      h('h4', {}, 'Outputs'),
      h(
        'ul',
        { class: 'paths' },
        ...detail.outputs.map((output) => h('li', {}, h('b', {}, output.name), ' ', output.path)),
      ),
      h('div', { class: 'files' }, list, viewer),
      tree.truncated ? h('p', { class: 'muted' }, 'Only the first entries are listed.') : null,
    );
  }

  private async showFile(viewer: HTMLElement, path: string): Promise<void> {
    const content = await getJson<FileContent>(`${jobPath(this.jobId, 'file')}?path=${encodeURIComponent(path)}`).catch(
      (error: unknown) => error as Error,
    );
    if (content instanceof Error) {
      replace(viewer, h('div', {}, h('b', {}, path)), h('p', { class: 'error' }, content.message));
      return;
    }
    replace(
      viewer,
      h('div', {}, h('b', {}, path), ' ', h('span', { class: 'muted' }, bytes(content.size))),
      content.truncated ? h('p', { class: 'muted' }, `Showing the last ${bytes(content.size - content.from)}.`) : null,
      content.binary ? h('p', { class: 'muted' }, 'A binary file.') : h('pre', { 'data-file': path }, content.text),
    );
  }

  private async miniBatches(): Promise<HTMLElement> {
    const params = new URLSearchParams();
    if (this.statusFilter !== '') params.set('status', this.statusFilter);
    if (this.miniBatch !== undefined) params.set('miniBatch', String(this.miniBatch));
    const query = params.size === 0 ? '' : `?${params.toString()}`;
    const view = await getJson<MiniBatchesView>(
      `${jobPath(this.jobId, 'steps', this.stepName, 'mini-batches')}${query}`,
    );
    const filter = h(
      'select',
      {
        'aria-label': 'attempt status',
        onchange: (event) => {
          this.statusFilter = (event.target as HTMLSelectElement).value;
          void this.refresh();
        },
      },
      ...ATTEMPT_STATUSES.map((status) => {
        const option = h('option', { value: status }, status === '' ? 'every status' : status);
        option.selected = status === this.statusFilter;
        return option;
      }),
    );
    const live = view.live;
    return h(
      'div',
      { id: 'mini-batches' },
      live === undefined
        ? h(
            'p',
            { class: 'muted' },
            'No live ledger for this step (not a parallel step, or not run by this coordinator).',
          )
        : h(
            'div',
            {},
            h(
              'div',
              { class: 'cards' },
              ...(
                [
                  ['total', live.total],
                  ['pending', live.pending],
                  ['running', live.leased],
                  ['succeeded', live.succeeded],
                  ['failed', live.failed],
                  ['retries', live.retries],
                ] as const
              ).map(([label, value]) => h('div', { class: 'card', 'data-count': label }, h('b', {}, value), label)),
            ),
            live.leases.length === 0
              ? null
              : table(
                  ['Running mini-batch', 'Attempt', 'Node', 'For'],
                  live.leases.map((lease) => [
                    lease.miniBatchId,
                    lease.attempt,
                    lease.nodeId,
                    span(lease.grantedAtMs, 0),
                  ]),
                ),
          ),
      h('h4', {}, 'Attempts ', filter),
      this.miniBatch === undefined
        ? null
        : h(
            'p',
            { id: 'mini-batch-filter' },
            `Mini-batch ${this.miniBatch} only `,
            h(
              'button',
              {
                onclick: () => {
                  this.miniBatch = undefined;
                  void this.refresh();
                },
              },
              'show all',
            ),
          ),
      view.tailOnly ? h('p', { class: 'muted' }, 'Only the latest attempts are read.') : null,
      table(
        ['Mini-batch', 'Attempt', 'Node', 'Process', 'Start', 'Items', 'Failed', 'Seconds', 'Status', 'Error', 'Logs'],
        view.attempts.map((row) => [
          row.miniBatchId,
          row.attempt,
          row.node,
          row.process,
          row.startTime,
          row.total,
          row.failed,
          row.elapsedS,
          row.status,
          [row.errorCategory, row.errorMessage].filter(Boolean).join(': '),
          this.logLinks(row.node, row.process),
        ]),
        'attempts',
      ),
    );
  }
  /** Links to the logs of the process that ran an attempt: its entry script log, stderr, the node's log. */
  private logLinks(node: string, process: string): HTMLElement {
    if (node === '' || process === '') return h('span', {});
    const link = (label: string, path: string) =>
      h(
        'a',
        {
          href: '#',
          'data-log': path,
          onclick: (event) => {
            event.preventDefault();
            this.openLog(path);
          },
        },
        label,
      );
    return h(
      'span',
      { class: 'log-links' },
      link('log', `logs/user/entry_script_log/${node}/${process}.log.txt`),
      ' ',
      link('stderr', `logs/user/stderr/${node}/${process}.stderr.txt`),
      ' ',
      link('node', `logs/sys/node/${node}/_main.txt`),
    );
  }
}

type Cell = string | number | HTMLElement;

function table(headers: readonly string[], rows: readonly (readonly Cell[])[], id?: string): HTMLElement {
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      { id },
      h('thead', {}, h('tr', {}, ...headers.map((text) => h('th', {}, text)))),
      h('tbody', {}, ...rows.map((cells) => h('tr', {}, ...cells.map((cell) => h('td', {}, cell))))),
    ),
  );
}

function overview(detail: StepDetailView): HTMLElement {
  const box = detail.box;
  const p = box.progress;
  return h(
    'div',
    { id: 'overview' },
    table(
      ['', ''],
      [
        ['Type', box.type],
        ['Status', box.state],
        ['Detail', box.detail],
        ['Why', box.stateReason],
        ['Started', time(box.startedAtMs)],
        ['Ended', time(box.endedAtMs)],
        ['Duration', span(box.startedAtMs, box.endedAtMs)],
        ['Reused from', box.reusedFrom || '—'],
        [
          'Mini-batches',
          p.miniBatchesTotal > 0
            ? `${p.miniBatchesSucceeded} succeeded, ${p.miniBatchesFailed} failed of ${p.miniBatchesTotal}`
            : '—',
        ],
        ['Items', `${p.itemsSucceeded} succeeded, ${p.itemsFailed} failed`],
        ['Retries', p.retries],
        ['Run directory', box.runDir],
      ],
    ),
    h('h4', {}, 'Spec'),
    detail.specYaml === '' ? h('p', { class: 'muted' }, '(defined in a component)') : h('pre', {}, detail.specYaml),
  );
}

function settings(detail: StepDetailView): HTMLElement {
  return h(
    'div',
    { id: 'settings' },
    table(
      ['Setting', 'Value', 'Source'],
      detail.settings.map((setting) => [setting.name, setting.value, setting.source]),
      'settings-table',
    ),
  );
}
