/**
 * `/metrics` in Prometheus text format, with prom-client and a registry of this server's own (never
 * the process-global one). Gauges are computed when scraped, from the same WebSource the UI reads:
 * jobs by state, mini-batches by status, items, retries, nodes and their processors, running
 * mini-batches and resource samples. The lease round trip (grant → accepted result) and run()
 * duration are histograms fed as results are accepted (WebSource.onAttempt); the journal's fsync
 * latency one is fed by each group commit (WebSource.onJournalSync), when there is a journal.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

import { JobState } from '../gen/parajob/v1/parajob.js';
import { jobStateName } from './job-views.js';
import type { ResourceSample, WebSource } from './source.js';

export interface WebMetrics {
  readonly registry: Registry;
  /** Stops hearing the coordinator's attempts. */
  close(): void;
}

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** An fdatasync takes ~230 µs on a local disk (NOTES-durability); network disks and PostgreSQL take longer. */
const SYNC_SECONDS_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

const ALL_JOB_STATES = Object.values(JobState).filter(
  (value): value is JobState => typeof value === 'number' && value > 0,
);

/** A gauge whose values are set on each scrape by `collect`. */
function gauge(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly string[],
  collect: (set: (labels: Record<string, string>, value: number) => void) => void,
): void {
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      collect((labels, value) => this.set(labels, value));
    },
  });
}

/** The metrics of one coordinator's web server (see the module comment). */
export function createWebMetrics(source: WebSource): WebMetrics {
  const registry = new Registry();
  gauge(registry, 'parajob_jobs', 'Jobs this coordinator knows, by state.', ['state'], (set) => {
    const counts = new Map<string, number>(ALL_JOB_STATES.map((state) => [jobStateName(state), 0]));
    for (const job of source.jobs()) {
      const state = jobStateName(job.status().state);
      counts.set(state, (counts.get(state) ?? 0) + 1);
    }
    for (const [state, count] of counts) set({ state }, count);
  });
  gauge(
    registry,
    'parajob_mini_batches',
    'Mini-batches of every job, by status (running = leased now).',
    ['status'],
    (set) => {
      const totals = { pending: 0, running: 0, succeeded: 0, failed: 0 };
      for (const job of source.jobs()) {
        for (const step of job.status().steps) {
          const p = step.progress;
          if (p === undefined) continue;
          totals.succeeded += p.miniBatchesSucceeded;
          totals.failed += p.miniBatchesFailed;
          totals.running += p.miniBatchesRunning;
          totals.pending += Math.max(
            0,
            p.miniBatchesTotal - p.miniBatchesSucceeded - p.miniBatchesFailed - p.miniBatchesRunning,
          );
        }
      }
      for (const [status, count] of Object.entries(totals)) set({ status }, count);
    },
  );
  gauge(registry, 'parajob_items', 'Items (files or rows) of every job, by outcome.', ['outcome'], (set) => {
    let succeeded = 0;
    let failed = 0;
    for (const job of source.jobs()) {
      succeeded += job.status().progress?.itemsSucceeded ?? 0;
      failed += job.status().progress?.itemsFailed ?? 0;
    }
    set({ outcome: 'succeeded' }, succeeded);
    set({ outcome: 'failed' }, failed);
  });
  gauge(registry, 'parajob_retries', 'Mini-batch attempts retried, over every job.', [], (set) => {
    set(
      {},
      source.jobs().reduce((sum, job) => sum + (job.status().progress?.retries ?? 0), 0),
    );
  });
  gauge(registry, 'parajob_nodes', 'Nodes attached now.', [], (set) => set({}, source.nodes().length));
  gauge(registry, 'parajob_node_running_mini_batches', 'Mini-batches a node runs now.', ['node'], (set) => {
    for (const node of source.nodes()) set({ node: node.nodeId }, node.running);
  });
  gauge(registry, 'parajob_node_processors', 'Processors a node runs for the steps running now.', ['node'], (set) => {
    const processors = new Map<string, number>(source.nodes().map((node) => [node.nodeId, 0]));
    for (const job of source.jobs()) {
      if (job.status().endedAtMs !== 0) continue;
      for (const step of job.status().steps) {
        for (const node of job.stepLive(step.name)?.nodes ?? [])
          processors.set(node.nodeId, (processors.get(node.nodeId) ?? 0) + node.processors);
      }
    }
    for (const [node, count] of processors) set({ node }, count);
  });
  resourceGauges(registry, source);
  const roundTrip = new Histogram({
    name: 'parajob_lease_round_trip_seconds',
    help: 'From a lease granted to its result accepted.',
    buckets: SECONDS_BUCKETS,
    registers: [registry],
  });
  const runDuration = new Histogram({
    name: 'parajob_run_duration_seconds',
    help: "Duration of the entry script's run() per mini-batch attempt.",
    buckets: SECONDS_BUCKETS,
    registers: [registry],
  });
  const stopListening = source.onAttempt((roundTripMs, runMs) => {
    roundTrip.observe(roundTripMs / 1000);
    runDuration.observe(runMs / 1000);
  });
  const stopJournal = journalSyncHistogram(registry, source);
  const restarts = new Counter({
    name: 'parajob_processor_restarts_total',
    help: 'Workers a processor started again: worker_replaced (it crashed, timed out, was revoked or exited) or init_failed.',
    labelNames: ['node', 'cause'],
    registers: [registry],
  });
  const stopRestarts = source.onProcessorRestart((cause, nodeId) => restarts.inc({ node: nodeId, cause }));
  return {
    registry,
    close: () => {
      stopListening();
      stopJournal();
      stopRestarts();
    },
  };
}

/** `parajob_journal_fsync_seconds`, fed by each group commit; nothing when there is no journal. */
function journalSyncHistogram(registry: Registry, source: WebSource): () => void {
  if (source.onJournalSync === undefined) return () => undefined;
  const sync = new Histogram({
    name: 'parajob_journal_fsync_seconds',
    help: "Duration of one group commit's sync: the fdatasync of the file journal, the transaction of PostgreSQL.",
    buckets: SYNC_SECONDS_BUCKETS,
    registers: [registry],
  });
  return source.onJournalSync((seconds) => sync.observe(seconds));
}

/** Per-node CPU and memory (node samples; `coordinator` for the coordinator's own host). */
function resourceGauges(registry: Registry, source: WebSource): void {
  const samples = (): [string, ResourceSample][] => {
    const all: [string, ResourceSample][] = [];
    for (const node of source.nodes()) if (node.resources !== undefined) all.push([node.nodeId, node.resources]);
    const own = source.coordinatorResources();
    if (own !== undefined) all.push(['coordinator', own]);
    return all;
  };
  gauge(registry, 'parajob_host_cpu_busy_ratio', 'CPU busy over the last sample, 0..1.', ['node'], (set) => {
    for (const [node, sample] of samples()) set({ node }, sample.cpuBusy);
  });
  gauge(registry, 'parajob_host_memory_used_bytes', 'Memory in use.', ['node'], (set) => {
    for (const [node, sample] of samples()) set({ node }, sample.memoryUsedBytes);
  });
  gauge(registry, 'parajob_host_memory_total_bytes', 'Memory installed.', ['node'], (set) => {
    for (const [node, sample] of samples()) set({ node }, sample.memoryTotalBytes);
  });
  const help = 'Bytes per second over the last sample (whole disks; every interface but loopback).';
  gauge(registry, 'parajob_host_io_bytes_per_second', help, ['node', 'device', 'direction'], (set) => {
    for (const [node, sample] of samples()) {
      set({ node, device: 'disk', direction: 'read' }, sample.diskReadBytesPerS);
      set({ node, device: 'disk', direction: 'write' }, sample.diskWriteBytesPerS);
      set({ node, device: 'network', direction: 'receive' }, sample.netReceiveBytesPerS);
      set({ node, device: 'network', direction: 'transmit' }, sample.netTransmitBytesPerS);
    }
  });
}
