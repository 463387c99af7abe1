/**
 * Engine settings of a step run that the spec does not (yet) carry: how long to wait for nodes to shut
 * down, how often to write the progress overview, and the supervision knobs sent to nodes in the
 * JobAssignment. One object with defaults, so issue 3's automation settings can fill it from the spec.
 */

/** Step-run engine settings; durations in milliseconds. */
export interface StepRunSettings {
  /** How long `finishing` waits for every node's job_left after `release` (proto `JobRelease`, answered by `JobLeft`). */
  readonly releaseWaitMs: number;
  /** Interval of the progress overview lines (and of the CSV report flushes). */
  readonly overviewIntervalMs: number;
  /** Leases a processor keeps queued beyond the one it runs. */
  readonly prefetch: number;
  /** A failed init() is retried after initBackoffMs × 2^(n-1) (capped by the node). */
  readonly initBackoffMs: number;
  /**
   * init() failures a node tolerates per processor before leaving the job (Azure: 3 × processes per
   * node). The assignment carries this × the node's processor count.
   */
  readonly maxInitFailuresPerProcessor: number;
  /** More than restartIntensity worker restarts within restartPeriodMs escalate to the node. */
  readonly restartIntensity: number;
  readonly restartPeriodMs: number;
  /**
   * How long a step run resumed after a coordinator restart keeps the leases its journal held live
   * for their nodes to come back and claim them (lease-reclaim.ts); unclaimed ones then run again.
   */
  readonly leaseReclaimMs: number;
}

/** The defaults: 15 s release wait (proto `JobRelease`), overview every 5 s, prefetch 1, Azure-like supervision. */
export const DEFAULT_STEP_RUN_SETTINGS: StepRunSettings = {
  releaseWaitMs: 15_000,
  overviewIntervalMs: 5_000,
  prefetch: 1,
  initBackoffMs: 1_000,
  maxInitFailuresPerProcessor: 3,
  restartIntensity: 5,
  restartPeriodMs: 60_000,
  // Nodes redial a lost coordinator at least every 5 s (node-context.ts reconnectMaxMs).
  leaseReclaimMs: 15_000,
};
