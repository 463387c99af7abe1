/**
 * The shapes of the web UI's JSON API, shared by the server (src/web) and the browser (web/src): one
 * definition of what travels. Types only, importing nothing, so the browser build can use it.
 */

/** A live lease of a running parallel step. */
export interface LiveLease {
  readonly miniBatchId: number;
  readonly attempt: number;
  readonly nodeId: string;
  /** Milliseconds since the epoch. */
  readonly grantedAtMs: number;
}

/** Mini-batches of a running parallel step by ledger state, its live leases and serving nodes. */
export interface StepLive {
  readonly total: number;
  readonly pending: number;
  readonly leased: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly retries: number;
  readonly itemsSucceeded: number;
  readonly itemsFailed: number;
  /** Live leases, oldest grant first. */
  readonly leases: readonly LiveLease[];
  /** Nodes serving the step and how many processors each runs for it. */
  readonly nodes: readonly { readonly nodeId: string; readonly processors: number }[];
}

/** A machine sample a node sends with its heartbeats (or the coordinator takes of its own host). */
export interface ResourceSample {
  /** Milliseconds since the epoch. */
  readonly atMs: number;
  /** CPU busy over the last interval, 0..1 over all cores. */
  readonly cpuBusy: number;
  readonly memoryUsedBytes: number;
  readonly memoryTotalBytes: number;
  readonly loadAverage1m: number;
  /** Byte rates since the previous sample (0 where the machine has no /proc). */
  readonly diskReadBytesPerS: number;
  readonly diskWriteBytesPerS: number;
  readonly netReceiveBytesPerS: number;
  readonly netTransmitBytesPerS: number;
}

/** A live node. */
export interface WebNode {
  readonly nodeId: string;
  readonly compute: string;
  readonly cores: number;
  readonly gpus: number;
  readonly host: string;
  readonly attachedAtMs: number;
  /** Mini-batches it runs now (its last heartbeat). */
  readonly running: number;
  /** Its last resource sample, when it sends them. */
  readonly resources: ResourceSample | undefined;
}

export interface ProgressView {
  readonly miniBatchesTotal: number;
  readonly miniBatchesSucceeded: number;
  readonly miniBatchesFailed: number;
  readonly miniBatchesRunning: number;
  readonly itemsSucceeded: number;
  readonly itemsFailed: number;
  readonly retries: number;
  readonly ratePerS: number;
  readonly etaMs: number;
}

/** A row of the jobs list. */
export interface JobRowView {
  readonly jobId: string;
  readonly name: string;
  readonly experiment: string;
  readonly state: string;
  readonly stateReason: string;
  readonly createdAtMs: number;
  readonly endedAtMs: number;
  readonly progress: ProgressView;
  readonly steps: number;
}

/** A box of the pipeline graph. */
export interface StepBoxView {
  readonly name: string;
  readonly type: string;
  readonly state: string;
  readonly detail: string;
  readonly stateReason: string;
  readonly startedAtMs: number;
  readonly endedAtMs: number;
  readonly reusedFrom: string;
  readonly runDir: string;
  readonly progress: ProgressView;
  readonly dependsOn: readonly string[];
}

/** An edge of the graph: an output of `from` bound to an input of `to`. */
export interface EdgeView {
  readonly from: string;
  readonly to: string;
  readonly label: string;
}

export interface JobView extends JobRowView {
  readonly runDir: string;
  readonly resultFile: string;
  readonly failed: boolean;
  readonly steps: number;
  readonly graph: { readonly steps: readonly StepBoxView[]; readonly edges: readonly EdgeView[] };
}

/** One step's panel: its box, the spec as YAML, its settings, its outputs and where its logs are. */
export interface StepDetailView {
  readonly box: StepBoxView;
  readonly specYaml: string;
  readonly settings: readonly SettingView[];
  readonly outputs: readonly { readonly name: string; readonly path: string }[];
  /** The step's run dir relative to the job's (`''` for a one-step job), for the files tab. */
  readonly relativeRunDir: string;
  readonly exitCode: number;
}

export type SettingSource = 'YAML' | 'program argument' | 'pipeline settings' | 'component' | 'default';

export interface SettingView {
  /** The YAML key path (`retry_settings.max_retries`) or the program argument (`--error_threshold`). */
  readonly name: string;
  readonly value: string;
  readonly source: SettingSource;
}

/** One attempt as the UI shows it. */
export interface AttemptView {
  readonly miniBatchId: number;
  readonly attempt: number;
  readonly node: string;
  readonly process: string;
  readonly startTime: string;
  readonly total: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly elapsedS: number;
  readonly runS: number;
  readonly status: string;
  readonly errorCategory: string;
  readonly errorMessage: string;
}

export interface MiniBatchesView {
  /** The ledger's live view; undefined when the step is not a parallel step running here. */
  readonly live: StepLive | undefined;
  /** Attempts, newest first (at most `limit`). */
  readonly attempts: readonly AttemptView[];
  /** Attempts read before the status filter and limit. */
  readonly attemptsRead: number;
  /** True when only the CSV's tail was read. */
  readonly tailOnly: boolean;
}

export interface TreeEntry {
  /** Relative to the run directory, `/`-separated. */
  readonly path: string;
  readonly type: 'file' | 'dir';
  readonly size: number;
  readonly mtimeMs: number;
}

export interface FileContent {
  readonly path: string;
  readonly size: number;
  /** Offset in the file of the first byte of `text`. */
  readonly from: number;
  readonly text: string;
  /** True when bytes before `from` were left out (the file was tailed). */
  readonly truncated: boolean;
  /** True when the file looks binary (then `text` is empty). */
  readonly binary: boolean;
}

/** How an attempt ended, as the timeline colours it. */
export type BarStatus = 'running' | 'done' | 'failed' | 'retried' | 'revoked';

/** One attempt of a mini-batch on the timeline. */
export interface TimelineBar {
  readonly miniBatchId: number;
  readonly attempt: number;
  readonly status: BarStatus;
  /** The attempt's own status (RUN_DONE, RUN_TIMEOUT, ...), '' while running. */
  readonly detail: string;
  readonly startMs: number;
  /** 0 while running. */
  readonly endMs: number;
}

/** A row of the timeline: one process of one node (process '' for running leases not yet reported). */
export interface TimelineLane {
  readonly node: string;
  readonly process: string;
  readonly bars: readonly TimelineBar[];
}

export interface TimelineView {
  readonly lanes: readonly TimelineLane[];
  /** The span drawn, ms since the epoch. */
  readonly fromMs: number;
  readonly toMs: number;
  /** Bars per status before the filter. */
  readonly counts: Readonly<Record<BarStatus, number>>;
  /** True when only the latest attempts were read (a big CSV) or drawn (more than the bar limit). */
  readonly partial: boolean;
}

/** One time bucket of a step's metrics. */
export interface MetricsBucket {
  /** The bucket's end, ms since the epoch. */
  readonly atMs: number;
  /** Mini-batch attempts that ended in the bucket, by how they ended. */
  readonly done: number;
  readonly failed: number;
  readonly retried: number;
  readonly revoked: number;
  /** Items that run() succeeded on, in the bucket: throughput is this over the bucket's span. */
  readonly items: number;
  /** Mini-batches done since the start, at the bucket's end. */
  readonly doneTotal: number;
  /** run() seconds of the bucket's finished attempts: mean and max (0 when none). */
  readonly runMeanS: number;
  readonly runMaxS: number;
}

/** A node's resource monitor rows (logs/sys/perf/<node>/), oldest first. */
export interface NodePerfSeries {
  readonly nodeId: string;
  readonly points: readonly {
    readonly atMs: number;
    readonly cpuPercent: number;
    readonly memoryUsedPercent: number;
    readonly diskReadMBps: number;
    readonly diskWriteMBps: number;
    readonly netRecvMBps: number;
    readonly netSentMBps: number;
  }[];
  /** GPU rows (nvidia-smi), oldest first; empty when the node has none. */
  readonly gpus: readonly {
    readonly atMs: number;
    readonly index: number;
    readonly utilizationPercent: number;
    readonly memoryUsedMB: number;
  }[];
  /** Why there are no GPU rows (gpu.txt), '' when there are. */
  readonly gpuNote: string;
  /** The worker processes' last sample. */
  readonly processes: readonly {
    readonly pid: number;
    readonly process: string;
    readonly cpuPercent: number;
    readonly rssMB: number;
    /** MB read from and written to storage since the process started; null: not readable there. */
    readonly diskReadMB: number | null;
    readonly diskWriteMB: number | null;
  }[];
}

export interface MetricsView {
  readonly bucketMs: number;
  readonly buckets: readonly MetricsBucket[];
  /** The resource monitor's files of the step, one entry per node; empty when it was off. */
  readonly perf: readonly NodePerfSeries[];
  /** The step's --resource_monitor_interval in seconds (0 = off), when known. */
  readonly resourceMonitorIntervalS: number | undefined;
}

/**
 * Who the page's credential is (GET /api/session): the UI's own login token (full access), or a
 * coordinator token's role. `mayChange`: whether cancel and rerun would be allowed (a viewer's are
 * refused, so the page does not offer them).
 */
export interface SessionView {
  readonly role: 'login token' | 'client' | 'viewer';
  readonly mayChange: boolean;
}
