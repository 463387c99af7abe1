/**
 * A job: its state, a cancel button (while it runs) or a rerun button (once it failed or was
 * cancelled: the rerun is a new job, which the page then shows), the pipeline graph (live) and the
 * selected step's tabs. A credential that may not change jobs (a viewer's) gets neither button, and
 * the page says it is read-only.
 */
import type { JobView, SessionView } from '../../src/web/api-types.js';
import { getJson, jobPath, postJson } from './api.js';
import { h, replace, span, stateBadge, time } from './dom.js';
import { drawGraph } from './graph.js';
import { StepTabs } from './step-tabs.js';

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
/** Jobs.Rerun reruns jobs that ended without succeeding. */
const RERUNNABLE = new Set(['failed', 'cancelled']);

export class JobPage {
  readonly element = h('section', { id: 'job-page' });
  private readonly summary = h('div', {});
  private readonly graph = h('div', { class: 'graph', id: 'graph' });
  private readonly panel = h('div', {});
  private tabs: StepTabs | undefined;
  private selected: string | undefined;
  private job: JobView | undefined;
  /** Why the last cancel or rerun was refused; shown under the title. */
  private refusal = '';

  constructor(
    private readonly jobId: string,
    selected: string | undefined,
    private readonly session: SessionView,
  ) {
    this.selected = selected;
    replace(this.element, this.summary, this.graph, this.panel);
  }

  async load(): Promise<void> {
    this.update(await getJson<JobView>(jobPath(this.jobId)));
  }

  update(job: JobView): void {
    this.job = job;
    if (this.selected === undefined) {
      const steps = job.graph.steps;
      this.selected = (steps.find((step) => step.state === 'failed') ?? steps[0])?.name;
    }
    this.renderSummary(job);
    replace(
      this.graph,
      drawGraph(job.graph.steps, job.graph.edges, this.selected, (name) => this.select(name)),
    );
    if (this.selected === undefined) return;
    if (this.tabs === undefined) {
      this.tabs = new StepTabs(this.jobId, this.selected, job);
      replace(this.panel, this.tabs.element);
    } else {
      this.tabs.jobChanged(job);
    }
  }

  private select(name: string): void {
    this.selected = name;
    this.tabs = undefined;
    history.replaceState(null, '', `#/jobs/${encodeURIComponent(this.jobId)}/${encodeURIComponent(name)}`);
    if (this.job !== undefined) this.update(this.job);
  }

  /** Reruns the job and shows the new one; a refusal is shown under the title. */
  private async rerun(button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      const rerun = await postJson<{ jobId: string }>(jobPath(this.jobId, 'rerun'));
      location.hash = `#/jobs/${encodeURIComponent(rerun.jobId)}`;
    } catch (error) {
      this.refused('Rerun', error);
    }
  }

  /** Cancels the job; the push channel shows the outcome, a refusal is shown under the title. */
  private async cancel(button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      await postJson(jobPath(this.jobId, 'cancel'));
    } catch (error) {
      this.refused('Cancel', error);
    }
  }

  private refused(what: string, error: unknown): void {
    this.refusal = `${what} refused: ${error instanceof Error ? error.message : String(error)}`;
    if (this.job !== undefined) this.renderSummary(this.job);
  }

  private renderSummary(job: JobView): void {
    const mayChange = this.session.mayChange;
    const cancel =
      mayChange && !TERMINAL.has(job.state)
        ? h(
            'button',
            { id: 'cancel', onclick: (event) => void this.cancel(event.target as HTMLButtonElement) },
            'Cancel',
          )
        : null;
    const rerun =
      mayChange && RERUNNABLE.has(job.state)
        ? h('button', { id: 'rerun', onclick: (event) => void this.rerun(event.target as HTMLButtonElement) }, 'Rerun')
        : null;
    const readOnly = mayChange
      ? null
      : h('span', { class: 'muted', id: 'read-only', title: 'cancel and rerun need a client credential' }, 'read-only');
    replace(
      this.summary,
      h('p', {}, h('a', { href: '#/' }, '← Jobs')),
      h('h2', {}, job.name, ' ', stateBadge(job.state), ' ', cancel, rerun, readOnly),
      this.refusal === '' ? null : h('p', { class: 'error', id: 'refusal' }, this.refusal),
      h(
        'p',
        { class: 'muted' },
        `${job.jobId} · submitted ${time(job.createdAtMs)} · ${span(job.createdAtMs, job.endedAtMs)}`,
        job.experiment ? ` · experiment ${job.experiment}` : '',
      ),
      job.stateReason ? h('p', { id: 'state-reason' }, job.stateReason) : null,
    );
  }
}
