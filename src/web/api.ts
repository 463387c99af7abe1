/**
 * The JSON API's handlers: each takes the request's path parameters and query and answers with a
 * status and a body. They read the WebSource and the run directory; the server (server.ts) routes,
 * authorises and writes.
 *
 *   GET  /api/jobs                                    the jobs list
 *   GET  /api/jobs/:job                               a job with its pipeline graph
 *   GET  /api/jobs/:job/steps/:step                   a step: overview, spec as YAML, settings
 *   GET  /api/jobs/:job/steps/:step/mini-batches      attempts (?status=&miniBatch=&limit=) and live leases
 *   GET  /api/jobs/:job/steps/:step/timeline          attempts as bars per node and process (?status=)
 *   GET  /api/jobs/:job/steps/:step/metrics           series over time and the nodes' resource monitor
 *   GET  /api/jobs/:job/files?path=                   the run directory as a tree
 *   GET  /api/jobs/:job/file?path=&from=              a file's text (big ones tailed)
 *   POST /api/jobs/:job/cancel                        cancels the job
 *   POST /api/jobs/:job/rerun?fromScratch=            reruns an ended job as a new one
 *   GET  /api/nodes                                   the live nodes
 *   GET  /api/pending                                 pending mini-batches per compute pool
 *   GET  /api/session                                 the caller's role (answered by server.ts)
 */
import { readFile } from 'node:fs/promises';

import { parse } from 'yaml';

import { runDirLayout } from '../log/layout.js';
import type { MetricsView } from './api-types.js';
import { jobRowView, jobView, stepDetailView } from './job-views.js';
import { miniBatchesView, readAttempts } from './mini-batches.js';
import { readPerfSeries } from './perf-series.js';
import { listRunTree, readRunFile, RunPathRefused } from './run-files.js';
import type { WebJob, WebSource } from './source.js';
import { metricsBuckets, type StepFacts, timelineView } from './step-metrics.js';

export interface ApiAnswer {
  readonly status: number;
  readonly body: unknown;
}

const ok = (body: unknown): ApiAnswer => ({ status: 200, body });
const notFound = (what: string): ApiAnswer => ({ status: 404, body: { error: `no ${what}` } });

/** Most attempts one mini-batches answer holds. */
const MAX_ATTEMPTS = 1_000;

export class WebApi {
  constructor(private readonly source: WebSource) {}

  jobs(): ApiAnswer {
    return ok(this.source.jobs().map((job) => jobRowView(job.status(), job.compiled())));
  }

  job(jobId: string): ApiAnswer {
    const job = this.source.job(jobId);
    return job === undefined ? notFound(`job ${jobId}`) : ok(jobView(job.status(), job.compiled()));
  }

  async step(jobId: string, stepName: string): Promise<ApiAnswer> {
    const job = this.source.job(jobId);
    if (job === undefined) return notFound(`job ${jobId}`);
    const status = job.status();
    const step = status.steps.find((candidate) => candidate.name === stepName);
    if (step === undefined) return notFound(`step ${stepName} in job ${jobId}`);
    return ok(stepDetailView(status, step, job.compiled(), await submittedSpec(status.runDir)));
  }

  async miniBatches(jobId: string, stepName: string, query: URLSearchParams): Promise<ApiAnswer> {
    const found = this.findStep(jobId, stepName);
    if ('status' in found) return found;
    const limit = Math.min(MAX_ATTEMPTS, Math.max(1, Number(query.get('limit') ?? MAX_ATTEMPTS) || MAX_ATTEMPTS));
    const status = query.get('status') ?? undefined;
    const miniBatchText = query.get('miniBatch');
    const miniBatch = miniBatchText ? Number(miniBatchText) : Number.NaN;
    return ok(
      await miniBatchesView(found.runDir, found.live, {
        limit,
        ...(status ? { status } : {}),
        ...(Number.isInteger(miniBatch) ? { miniBatch } : {}),
      }),
    );
  }

  /** The step's attempts as bars per node and process (`?status=` running, done, failed, retried, revoked). */
  async timeline(jobId: string, stepName: string, query: URLSearchParams): Promise<ApiAnswer> {
    const found = this.findStep(jobId, stepName);
    if ('status' in found) return found;
    const { attempts, tailOnly } = await readAttempts(found.runDir);
    const status = query.get('status') ?? undefined;
    return ok(
      timelineView(attempts, found, { nowMs: Date.now(), tailOnly, ...(status === undefined ? {} : { status }) }),
    );
  }

  /** The step's series over time (throughput, endings, run() time) and its resource monitor files. */
  async metrics(jobId: string, stepName: string): Promise<ApiAnswer> {
    const found = this.findStep(jobId, stepName);
    if ('status' in found) return found;
    const { attempts } = await readAttempts(found.runDir);
    const { bucketMs, buckets } = metricsBuckets(attempts, found, { nowMs: Date.now(), running: found.running });
    const compiled = this.source
      .job(jobId)
      ?.compiled()
      ?.steps.find((step) => step.name === stepName);
    const body: MetricsView = {
      bucketMs,
      buckets,
      perf: await readPerfSeries(runDirLayout(found.runDir).logs),
      resourceMonitorIntervalS:
        compiled?.kind === 'parallel' ? compiled.predefined.resourceMonitorIntervalMs / 1000 : undefined,
    };
    return ok(body);
  }

  private findStep(
    jobId: string,
    stepName: string,
  ): ApiAnswer | (StepFacts & { readonly runDir: string; readonly running: boolean }) {
    const job = this.source.job(jobId);
    if (job === undefined) return notFound(`job ${jobId}`);
    const step = job.status().steps.find((candidate) => candidate.name === stepName);
    if (step === undefined) return notFound(`step ${stepName} in job ${jobId}`);
    const running = !(step.endedAtMs > 0);
    const compiled = job.compiled()?.steps.find((candidate) => candidate.name === stepName);
    const maxRetries = compiled?.kind === 'parallel' ? compiled.maxRetries : undefined;
    return {
      runDir: step.runDir,
      live: job.stepLive(stepName),
      running,
      ...(running && maxRetries !== undefined ? { retriesQueuedUpTo: maxRetries } : {}),
    };
  }

  async files(jobId: string, query: URLSearchParams): Promise<ApiAnswer> {
    return this.inRunDir(jobId, (runDir) => listRunTree(runDir, query.get('path') ?? ''));
  }

  async file(jobId: string, query: URLSearchParams): Promise<ApiAnswer> {
    const fromText = query.get('from');
    const from = fromText === null ? undefined : Number(fromText);
    if (from !== undefined && !(Number.isSafeInteger(from) && from >= 0))
      return { status: 400, body: { error: `from must be a byte offset ≥ 0, got ${fromText}` } };
    return this.inRunDir(jobId, (runDir) => readRunFile(runDir, query.get('path') ?? '', from));
  }

  cancel(jobId: string): ApiAnswer {
    const job = this.source.job(jobId);
    if (job === undefined) return notFound(`job ${jobId}`);
    job.cancel('cancelled from the web UI');
    return ok(jobRowView(job.status(), job.compiled()));
  }

  async rerun(jobId: string, query: URLSearchParams): Promise<ApiAnswer> {
    if (this.source.job(jobId) === undefined) return notFound(`job ${jobId}`);
    if (this.source.rerun === undefined) {
      return { status: 501, body: { error: 'this coordinator cannot rerun jobs yet (no Jobs.Rerun)' } };
    }
    try {
      const rerun = await this.source.rerun(jobId, query.get('fromScratch') === 'true');
      return ok({ jobId: rerun.jobId });
    } catch (error) {
      // A refusal (the job succeeded, or is still running): the user's to read, not a server fault.
      return { status: 409, body: { error: error instanceof Error ? error.message : String(error) } };
    }
  }

  nodes(): ApiAnswer {
    return ok({ nodes: this.source.nodes(), coordinator: this.source.coordinatorResources() ?? null });
  }

  /** Pending mini-batches per compute pool, over running parallel steps: what an autoscaler needs. */
  pending(): ApiAnswer {
    const pools: Record<string, number> = {};
    for (const job of this.source.jobs()) {
      for (const step of job.compiled()?.steps ?? []) {
        if (step.kind !== 'parallel') continue;
        const live = job.stepLive(step.name);
        if (live !== undefined) pools[step.compute] = (pools[step.compute] ?? 0) + live.pending;
      }
    }
    return ok({ pending: pools });
  }

  private async inRunDir(jobId: string, read: (runDir: string) => Promise<unknown>): Promise<ApiAnswer> {
    const job: WebJob | undefined = this.source.job(jobId);
    if (job === undefined) return notFound(`job ${jobId}`);
    try {
      return ok(await read(job.status().runDir));
    } catch (error) {
      if (error instanceof RunPathRefused) return { status: error.status, body: { error: error.message } };
      throw error;
    }
  }
}

/** The spec the job was submitted with (its run directory's copy), parsed; undefined when unreadable. */
async function submittedSpec(runDir: string): Promise<unknown> {
  try {
    return parse(await readFile(runDirLayout(runDir).specCopy, 'utf8'));
  } catch {
    return undefined;
  }
}
