/**
 * `runLocal(job)`: what `parajob run` does, from code. A coordinator on 127.0.0.1 (any free port) and
 * the nodes each compute pool needs start in this process (their workers are child processes, as
 * always), the job is submitted to them over gRPC like any client's, followed to its end, and
 * everything is stopped again. The data dir holds what `parajob run --data-dir` would: coordinator.log,
 * nodes/, code snapshots, registered assets (which the job may name) and the run directory.
 *
 * The coordinator and node modules are imported only when runLocal is called (local-cluster.ts), so
 * importing the SDK to build or submit jobs does not load them.
 */
import { resolve } from 'node:path';

import type { JobStatus } from '../gen/parajob/v1/parajob.js';
import { LocalAssetStore } from '../jobspec/assets/local-store.js';
import { ParajobClient } from './client.js';
import { type Job, loadJob, PROVISIONAL_RUN_DIR } from './job.js';
import type { JobStreamEvent } from './job-events.js';
import { nodesPerCompute } from './submission.js';

/** The cluster runLocal runs a job on (local-cluster.ts). @internal */
export interface LocalCluster {
  readonly address: string;
  stop(): Promise<void>;
}

/** Starts a {@link LocalCluster}. @internal */
export type StartLocalCluster = (options: {
  readonly dataDir: string;
  readonly pools: ReadonlyMap<string, number>;
  readonly logLevel: NonNullable<RunLocalOptions['logLevel']>;
}) => Promise<LocalCluster>;

/** A variable, so that the compiler does not follow it (see local-cluster.ts). */
const LOCAL_CLUSTER_MODULE = './local-cluster.js';

/** Options of {@link runLocal}. */
export interface RunLocalOptions {
  /** Nodes per compute pool. @default the largest `instance_count` of the steps on that pool */
  readonly nodes?: number;
  /** The data dir (as `parajob run --data-dir`). @default ./.parajob */
  readonly dataDir?: string;
  /** The run directory. @default `<data dir>/runs/<job id>` */
  readonly runDir?: string;
  /** Written into the job as `experiment_name`. */
  readonly experimentName?: string;
  /** Every event of the job while it runs (status, progress, steps starting and ending, messages). */
  readonly onEvent?: (event: JobStreamEvent) => void;
  /** Aborting it cancels the job; runLocal still resolves once the job has ended. */
  readonly signal?: AbortSignal;
  /** Log level of the coordinator and nodes (their logs are files in the data dir). @default 'info' */
  readonly logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
}

/** What {@link runLocal} resolves to: the finished job. */
export interface LocalRun {
  /** The job's id. */
  readonly jobId: string;
  /** The job's run directory. */
  readonly runDir: string;
  /** The final status (state, progress, steps, outputs). */
  readonly status: JobStatus;
  /** Where each output was written, by the name the coordinator reports (a pipeline's: its own outputs' names). */
  readonly outputs: Readonly<Record<string, string>>;
  /** The validation's warnings. */
  readonly warnings: readonly string[];
}

/**
 * Runs `job` (built in code, loaded, or the path of a YAML file) on this machine and resolves with
 * it finished, whatever its final state (look at `status.state`). A ValidationError before anything
 * starts for an invalid job.
 *
 * @example
 * ```ts
 * const run = await runLocal(myPipeline, { dataDir: './.parajob' });
 * if (run.status.state === JobState.JOB_STATE_SUCCEEDED) console.log(run.outputs['score.scores']);
 * ```
 */
export async function runLocal(job: Job | string, options: RunLocalOptions = {}): Promise<LocalRun> {
  const dataDir = resolve(options.dataDir ?? '.parajob');
  const assets = new LocalAssetStore(dataDir);
  const loaded = typeof job === 'string' ? await loadJob(job, { assets }) : job;
  const pools = nodesPerCompute(loaded.compile({ runDir: PROVISIONAL_RUN_DIR, assets }), options.nodes);
  const { startLocalCluster } = (await import(LOCAL_CLUSTER_MODULE)) as { startLocalCluster: StartLocalCluster };
  const cluster = await startLocalCluster({ dataDir, pools, logLevel: options.logLevel ?? 'info' });
  const client = new ParajobClient({ address: cluster.address, env: {} });
  try {
    const submitted = await client.jobs.createOrUpdate(loaded, {
      assets,
      ...(options.runDir === undefined ? {} : { runDir: resolve(options.runDir) }),
      ...(options.experimentName === undefined ? {} : { experimentName: options.experimentName }),
    });
    const cancel = (): void => void client.jobs.cancel(submitted.jobId, 'cancelled by runLocal’s signal');
    if (options.signal?.aborted) cancel();
    options.signal?.addEventListener('abort', cancel, { once: true });
    try {
      const status = await client.jobs.wait(submitted.jobId, options.onEvent ? { onEvent: options.onEvent } : {});
      return {
        jobId: submitted.jobId,
        runDir: submitted.runDir,
        status,
        outputs: Object.fromEntries(status.outputs.map((output) => [output.name, output.path])),
        warnings: submitted.warnings,
      };
    } finally {
      options.signal?.removeEventListener('abort', cancel);
    }
  } finally {
    client.close();
    await cluster.stop();
  }
}
