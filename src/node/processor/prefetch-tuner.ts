/**
 * Adaptive prefetch: how many leases each processor keeps queued beyond the one it runs.
 *
 * A processor that finishes a mini-batch must find the next one already on the node, or it idles for
 * a round trip to the coordinator. One queued lease is enough when a run takes longer than that round
 * trip; tiny mini-batches (a no-op run takes well under a millisecond) need as many queued as fit in one
 * round trip. So the node measures both — the round trip from asking for credit to receiving leases,
 * and the cost of a run — as moving averages, and prefetches `ceil(roundTrip / runCost)` per processor,
 * between the job's configured prefetch and MAX_PREFETCH. Long mini-batches keep the configured value,
 * so no lease waits on a busy node while another node idles; short ones are never starved.
 *
 * Plain data and pure functions; the job machine feeds it.
 */

/** Upper bound of leases queued per processor: bounds the work a lost node takes with it. */
export const MAX_PREFETCH = 64;

/** Weight of a new sample in the moving averages. */
const SMOOTHING = 0.2;

/** Floor of the run cost, in ms: a no-op run still costs a frame each way. */
const MIN_RUN_COST_MS = 0.02;

export interface PrefetchTuner {
  /** Moving average of the credit round trip, ms; undefined before the first sample. */
  readonly roundTripMs: number | undefined;
  /** Moving average of one run's cost on a processor, ms; undefined before the first sample. */
  readonly runCostMs: number | undefined;
  /** When the oldest unanswered credit request was sent (ms since epoch), if one is out. */
  readonly askedAtMs: number | undefined;
}

export const INITIAL_TUNER: PrefetchTuner = { roundTripMs: undefined, runCostMs: undefined, askedAtMs: undefined };

function average(previous: number | undefined, sample: number): number {
  return previous === undefined ? sample : previous + SMOOTHING * (sample - previous);
}

/** Credit was requested at `atMs` (only the oldest outstanding request is timed). */
export function noteAsked(tuner: PrefetchTuner, atMs: number): PrefetchTuner {
  return tuner.askedAtMs === undefined ? { ...tuner, askedAtMs: atMs } : tuner;
}

/** Leases arrived at `atMs`: one round-trip sample when a request was out; `stillOwed` says if more are. */
export function noteGranted(tuner: PrefetchTuner, atMs: number, stillOwed: boolean): PrefetchTuner {
  if (tuner.askedAtMs === undefined) return tuner;
  return {
    ...tuner,
    roundTripMs: average(tuner.roundTripMs, Math.max(0, atMs - tuner.askedAtMs)),
    askedAtMs: stillOwed ? atMs : undefined,
  };
}

/** A processor finished a run whose run() took `runMs`. */
export function noteRun(tuner: PrefetchTuner, runMs: number): PrefetchTuner {
  return { ...tuner, runCostMs: average(tuner.runCostMs, Math.max(MIN_RUN_COST_MS, runMs)) };
}

/** Runs shorter than this (ms) are worth queueing on the processor itself (processorQueueFor). */
export const SHORT_RUN_MS = 5;

/**
 * How much predicted work (ms) a processor may hold behind the run it is on. Those leases are
 * pipelined into its worker and cannot be taken back from a busy worker, so a run that turns out long
 * holds about this much work hostage at most — while tiny runs get enough queued to travel and settle
 * in batches (one write, one wake-up, one event for many mini-batches).
 */
export const PIPELINE_BUDGET_MS = 2;

/** Upper bound of the leases queued on one processor behind its current run. */
export const MAX_PROCESSOR_QUEUE = 48;

/**
 * How many leases one processor may hold (the one it runs included): with short runs, as many as fit
 * in PIPELINE_BUDGET_MS of measured run time (it runs them back to back without waiting on its job);
 * with long or unmeasured runs just one, so no lease waits behind a long mini-batch while another
 * processor idles.
 */
export function processorQueueFor(tuner: PrefetchTuner): number {
  if (tuner.runCostMs === undefined || tuner.runCostMs >= SHORT_RUN_MS) return 1;
  return 1 + Math.min(MAX_PROCESSOR_QUEUE, Math.max(1, Math.floor(PIPELINE_BUDGET_MS / tuner.runCostMs)));
}

/** Leases to keep queued per processor: at least `configured`, at most MAX_PREFETCH. */
export function prefetchFor(tuner: PrefetchTuner, configured: number): number {
  if (tuner.roundTripMs === undefined || tuner.runCostMs === undefined) return configured;
  const needed = Math.ceil(tuner.roundTripMs / tuner.runCostMs);
  // Enough to fill every processor's pipeline too, or it would run dry between grants.
  return Math.min(MAX_PREFETCH, Math.max(configured, needed, processorQueueFor(tuner) - 1));
}
