/**
 * A step's attempts (the processed_mini-batches.csv rows, mini-batches.ts) shaped for the Mini-batches
 * timeline and the Metrics tab's charts. Pure: the routes read, these shape.
 *
 * How an attempt shows: RUN_DONE is done; REVOKED and RETURNED (taken back unrun or withdrawn) are
 * revoked; any other end is retried when a later attempt of the same mini-batch exists (in the CSV or
 * as a live lease) or, while the step runs, when its attempt number is within retry_settings.max_retries
 * (its retry waits in the queue); else failed. Live leases are the running bars.
 */
import type { AttemptView, BarStatus, MetricsBucket, StepLive, TimelineBar, TimelineView } from './api-types.js';

/** Most bars one timeline answer holds (the newest). */
export const MAX_BARS = 5_000;
/** Buckets of the metrics series. */
export const BUCKETS = 60;

interface Ended {
  readonly row: AttemptView;
  readonly status: BarStatus;
  readonly startMs: number;
  readonly endMs: number;
}

/** The attempts with a known start, classified (see the module comment). */
/** What classify needs besides the attempts: the live leases and, while running, max_retries. */
export interface StepFacts {
  readonly live: StepLive | undefined;
  /** retry_settings.max_retries while the step runs; undefined once it ended (or unknown). */
  readonly retriesQueuedUpTo?: number;
}

function classify(attempts: readonly AttemptView[], { live, retriesQueuedUpTo }: StepFacts): Ended[] {
  const lastAttempt = new Map<number, number>();
  const noteAttempt = (id: number, attempt: number) =>
    lastAttempt.set(id, Math.max(attempt, lastAttempt.get(id) ?? attempt));
  for (const row of attempts) noteAttempt(row.miniBatchId, row.attempt);
  for (const lease of live?.leases ?? []) noteAttempt(lease.miniBatchId, lease.attempt);
  const ended: Ended[] = [];
  for (const row of attempts) {
    const startMs = Date.parse(row.startTime);
    if (!Number.isFinite(startMs)) continue;
    const retried =
      (lastAttempt.get(row.miniBatchId) ?? row.attempt) > row.attempt ||
      (retriesQueuedUpTo !== undefined && row.attempt <= retriesQueuedUpTo);
    const status: BarStatus =
      row.status === 'RUN_DONE'
        ? 'done'
        : row.status === 'REVOKED' || row.status === 'RETURNED'
          ? 'revoked'
          : retried
            ? 'retried'
            : 'failed';
    ended.push({ row, status, startMs, endMs: startMs + Math.max(0, row.elapsedS) * 1000 });
  }
  return ended;
}

const NO_COUNTS: Readonly<Record<BarStatus, number>> = { running: 0, done: 0, failed: 0, retried: 0, revoked: 0 };

/** The attempts as bars per node and process (`status` filter), newest MAX_BARS. */
export function timelineView(
  attempts: readonly AttemptView[],
  facts: StepFacts,
  options: { readonly status?: string; readonly nowMs: number; readonly tailOnly: boolean },
): TimelineView {
  const bars: (TimelineBar & { readonly node: string; readonly process: string })[] = [
    ...classify(attempts, facts).map(({ row, status, startMs, endMs }) => ({
      node: row.node,
      process: row.process,
      miniBatchId: row.miniBatchId,
      attempt: row.attempt,
      status,
      detail: row.status,
      startMs,
      endMs,
    })),
    ...(facts.live?.leases ?? []).map((lease) => ({
      node: lease.nodeId,
      process: '',
      miniBatchId: lease.miniBatchId,
      attempt: lease.attempt,
      status: 'running' as const,
      detail: '',
      startMs: lease.grantedAtMs,
      endMs: 0,
    })),
  ];
  const counts = { ...NO_COUNTS };
  for (const bar of bars) counts[bar.status] += 1;
  const wanted = options.status === undefined || options.status === '' ? undefined : options.status;
  const shown = bars
    .filter((bar) => wanted === undefined || bar.status === wanted)
    .sort((a, b) => a.startMs - b.startMs)
    .slice(-MAX_BARS);
  const lanes = new Map<string, { node: string; process: string; bars: TimelineBar[] }>();
  for (const { node, process, ...bar } of shown) {
    const key = `${node}\0${process}`;
    const lane = lanes.get(key) ?? { node, process, bars: [] };
    lane.bars.push(bar);
    lanes.set(key, lane);
  }
  const fromMs = shown.reduce((min, bar) => Math.min(min, bar.startMs), options.nowMs);
  const toMs = shown.reduce((max, bar) => Math.max(max, bar.endMs > 0 ? bar.endMs : options.nowMs), fromMs + 1);
  return {
    lanes: [...lanes.values()].sort((a, b) => a.node.localeCompare(b.node) || a.process.localeCompare(b.process)),
    fromMs: shown.length === 0 ? options.nowMs : fromMs,
    toMs,
    counts,
    partial: options.tailOnly || shown.length < bars.filter((bar) => !wanted || bar.status === wanted).length,
  };
}

/**
 * The attempts in BUCKETS time buckets from the first start to the last end (or `nowMs`, while
 * `running`): how many ended and how, items done (throughput), mini-batches done so far, run() time.
 */
export function metricsBuckets(
  attempts: readonly AttemptView[],
  facts: StepFacts,
  options: { readonly nowMs: number; readonly running: boolean },
): { readonly bucketMs: number; readonly buckets: MetricsBucket[] } {
  const ended = classify(attempts, facts);
  if (ended.length === 0) return { bucketMs: 1_000, buckets: [] };
  const fromMs = ended.reduce((min, one) => Math.min(min, one.startMs), Number.POSITIVE_INFINITY);
  const lastEnd = ended.reduce((max, one) => Math.max(max, one.endMs), 0);
  const toMs = options.running ? Math.max(lastEnd, options.nowMs) : lastEnd;
  const bucketMs = Math.max(1_000, Math.ceil((toMs - fromMs) / BUCKETS / 1_000) * 1_000);
  const count = Math.max(1, Math.ceil((toMs - fromMs) / bucketMs));
  const sums = Array.from({ length: count }, () => ({
    done: 0,
    failed: 0,
    retried: 0,
    revoked: 0,
    items: 0,
    runSum: 0,
    runCount: 0,
    runMax: 0,
  }));
  for (const { row, status, endMs } of ended) {
    const sum = sums[Math.min(count - 1, Math.floor((endMs - fromMs) / bucketMs))];
    if (sum === undefined || status === 'running') continue;
    sum[status] += 1;
    sum.items += row.succeeded;
    if (status === 'revoked') continue;
    sum.runSum += row.runS;
    sum.runCount += 1;
    sum.runMax = Math.max(sum.runMax, row.runS);
  }
  let doneTotal = 0;
  const buckets = sums.map((sum, index) => {
    doneTotal += sum.done;
    return {
      atMs: fromMs + (index + 1) * bucketMs,
      done: sum.done,
      failed: sum.failed,
      retried: sum.retried,
      revoked: sum.revoked,
      items: sum.items,
      doneTotal,
      runMeanS: sum.runCount === 0 ? 0 : sum.runSum / sum.runCount,
      runMaxS: sum.runMax,
    };
  });
  return { bucketMs, buckets };
}
