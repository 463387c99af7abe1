/**
 * `ParajobClient`: submit, follow, list and cancel jobs on a coordinator from code, over the Jobs
 * gRPC service (src/rpc/jobs-client.ts). The CLI's job commands are built on it. gRPC failures
 * surface as the SDK's typed errors (errors.ts).
 */
import { status as Status } from '@grpc/grpc-js';

import { CA_ENV, type DialAuth, dialAuthFrom, TOKEN_ENV } from '../auth/dial.js';
import type { JobStatus } from '../gen/parajob/v1/parajob.js';
import type { AssetResolver } from '../jobspec/assets/resolver.js';
import type { CompiledJob } from '../jobspec/model.js';
import { AssetsApi } from '../rpc/assets-client.js';
import { findActiveCoordinator, resolveDialAny, splitCoordinatorAddresses } from '../rpc/coordinator-list.js';
import { isServiceError, JobsApi } from '../rpc/jobs-client.js';
import { ComponentOperations, DataOperations, DatastoreOperations } from './asset-operations.js';
import { CoordinatorAssets } from './coordinator-assets.js';
import { asValidationError, toSdkError } from './errors.js';
import { EventQueue } from './event-queue.js';
import { followJob } from './follow-job.js';
import { type Job, loadJob, PROVISIONAL_RUN_DIR } from './job.js';
import { EMPTY_MEMORY, type JobStreamEvent, messageEvent, statusEvents } from './job-events.js';
import { prepareJobSubmission, prepareSubmission } from './submission.js';

/** The environment variable naming the coordinator (`host:port`). */
export const COORDINATOR_ENV = 'PARAJOB_COORDINATOR';
/** The environment variables of the client's token and of the CA to trust (a PEM file, or `sha256:<hash>`). */
export { CA_ENV, TOKEN_ENV } from '../auth/dial.js';
/** The address used when neither the option nor the environment names one. */
export const DEFAULT_COORDINATOR_ADDRESS = '127.0.0.1:7070';

/** Options of {@link ParajobClient}; each falls back to its environment variable. */
export interface ParajobClientOptions {
  /**
   * `host:port` of the coordinator, or a comma-separated list (an active coordinator and its
   * standbys: the client uses the one that answers, and looks again after a call finds it gone).
   * @default PARAJOB_COORDINATOR, else 127.0.0.1:7070
   */
  readonly address?: string;
  /** Bearer token (`<id>.<secret>`). @default PARAJOB_TOKEN */
  readonly token?: string;
  /** CA to trust: a PEM file or `sha256:<hash>` of its key. @default PARAJOB_CA */
  readonly ca?: string;
  /** Deadline of every unary call, in milliseconds. @default 30 000 */
  readonly deadlineMs?: number;
  /** Where the defaults are read. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/** Options of {@link JobOperations.createOrUpdate}. */
export interface CreateJobOptions {
  /** Written into the job's YAML as `experiment_name`. */
  readonly experimentName?: string;
  /** Absolute run directory on the coordinator's filesystem; default `<data dir>/runs/<job id>`. */
  readonly runDir?: string;
  /** The job id to use; default: the coordinator makes one. */
  readonly jobId?: string;
  /**
   * Where the local validation looks registered components, data and datastores up.
   * @default the coordinator's registry (client.components, client.data, client.datastores)
   */
  readonly assets?: AssetResolver;
  /** For a YAML file: `--set PATH=VALUE` overrides applied before validation. */
  readonly sets?: readonly string[];
  /** @internal Fault injection for tests (src/chaos/model.ts text form). */
  readonly chaos?: string;
  /** Run every step even when an earlier run could be reused (for a standalone file too, which has no `settings`). */
  readonly forceRerun?: boolean;
}

/** What createOrUpdate resolves to. */
export interface SubmittedJob {
  /** The job's id. */
  readonly jobId: string;
  /** The run directory the coordinator chose. */
  readonly runDir: string;
  /** Warnings of the local validation and of the coordinator's, each once. */
  readonly warnings: readonly string[];
  /** The job as validated locally. */
  readonly compiled: CompiledJob;
}

/** Options of {@link JobOperations.rerun}. */
export interface RerunOptions {
  /**
   * Run every step and every mini-batch again. By default a rerun reuses every step of the earlier job
   * that succeeded, and a parallel step that failed or was cancelled runs only the mini-batches that
   * did not succeed (the rows of those that did are copied into its new output first).
   */
  readonly fromScratch?: boolean;
}

/** What {@link JobOperations.rerun} resolves to. */
export interface RerunJob {
  /** The new job's id. */
  readonly jobId: string;
  /** The new job's run directory. */
  readonly runDir: string;
  /** The job it reruns. */
  readonly rerunOf: string;
  /** The coordinator's warnings about the spec. */
  readonly warnings: readonly string[];
}

/** What {@link JobOperations.delete} resolves to. */
export interface DeletedJob {
  /** The job's id. */
  readonly jobId: string;
  /** The job's run directory. */
  readonly runDir: string;
  /** False when the run directory was left in place (one chosen with --run-dir, outside the data dir). */
  readonly runDirRemoved: boolean;
}

/** Options of {@link JobOperations.wait} and {@link JobOperations.stream}. */
export interface FollowOptions {
  /** Stops following (the job keeps running): wait resolves with the last status, stream ends. */
  readonly signal?: AbortSignal;
  /** Every event while waiting. */
  readonly onEvent?: (event: JobStreamEvent) => void;
  /** Command steps' output as it is written (asks the coordinator to send it): step name, text chunk. */
  readonly onLog?: (stepName: string, text: string) => void;
}

/** `client.jobs`: the operations on jobs. */
export class JobOperations {
  /** @internal */
  constructor(private readonly client: ParajobClient) {}

  /**
   * Validates the job locally (a ValidationError lists every problem), snapshots its code folders
   * and submits it. `job` is a Job (built in code or from loadJob) or the path of a YAML file.
   */
  async createOrUpdate(job: Job | string, options: CreateJobOptions = {}): Promise<SubmittedJob> {
    const runDir = options.runDir === undefined ? {} : { runDir: options.runDir };
    const prepare = async (assets: AssetResolver | undefined, coordinatorCode?: (folder: string) => boolean) => {
      const shared = { ...runDir, ...(assets ? { assets } : {}), ...(coordinatorCode ? { coordinatorCode } : {}) };
      return typeof job === 'string' && options.experimentName === undefined
        ? prepareSubmission(job, {
            ...shared,
            provisionalRunDir: PROVISIONAL_RUN_DIR,
            // One route for a forced rerun: the spec's settings.force_rerun (journaled with the spec).
            sets: [...(options.sets ?? []), ...(options.forceRerun ? ['settings.force_rerun=true'] : [])],
          })
        : prepareJobSubmission(typeof job === 'string' ? await loadJob(job, assets ? { assets } : {}) : job, {
            ...shared,
            ...(options.experimentName === undefined ? {} : { experimentName: options.experimentName }),
          });
    };
    if (options.forceRerun && !(typeof job === 'string' && options.experimentName === undefined))
      throw new TypeError(
        'forceRerun applies to a job file; for a job built in code, pass forceRerun: true to pipeline()',
      );
    const prepared = await this.client.withAssets(options.assets, prepare).catch((error: unknown) => {
      throw asValidationError(error);
    });
    const submitted = await this.client.call(undefined, (api) =>
      api.submit({
        ...prepared.request,
        ...(options.jobId === undefined ? {} : { jobId: options.jobId }),
        ...(options.chaos === undefined ? {} : { chaos: options.chaos }),
      }),
    );
    const local = prepared.compiled.warnings;
    return {
      jobId: submitted.jobId,
      runDir: submitted.runDir,
      warnings: [...local, ...submitted.warnings.filter((warning) => !local.includes(warning))],
      compiled: prepared.compiled,
    };
  }

  /** The job's current status; a JobNotFoundError for an unknown id. */
  get(jobId: string): Promise<JobStatus> {
    return this.client.call(jobId, (api) => api.get(jobId));
  }

  /** Every job the coordinator knows. */
  list(): Promise<JobStatus[]> {
    return this.client.call(undefined, (api) => api.list());
  }

  /** Asks the coordinator to cancel the job; resolves with its status right after the request. */
  cancel(jobId: string, reason = 'cancelled from the SDK'): Promise<JobStatus> {
    return this.client.call(jobId, (api) => api.cancel(jobId, reason));
  }

  /**
   * Reruns a failed or cancelled job as a new job with the same spec and code (follow it with
   * {@link JobOperations.wait} on the id it resolves to). The new job's status names the job it reruns
   * (`rerunOf`). A JobNotFoundError for an unknown id; a ValidationError when the job is still running,
   * succeeded, or its coordinator keeps no journal.
   *
   * @example
   * ```ts
   * const rerun = await client.jobs.rerun(failedJobId);
   * const final = await client.jobs.wait(rerun.jobId);
   * ```
   */
  async rerun(jobId: string, options: RerunOptions = {}): Promise<RerunJob> {
    const response = await this.client.call(jobId, (api) => api.rerun(jobId, options.fromScratch === true));
    return { jobId: response.jobId, runDir: response.runDir, rerunOf: jobId, warnings: response.warnings };
  }

  /**
   * Deletes an ended job: the coordinator forgets it and removes its run directory (unless one chosen
   * with `runDir` outside its data dir). A ValidationError while it runs or while a rerun of it runs.
   */
  async delete(jobId: string): Promise<DeletedJob> {
    const response = await this.client.call(jobId, (api) => api.delete(jobId));
    return { jobId: response.jobId, runDir: response.runDir, runDirRemoved: response.runDirRemoved };
  }

  /**
   * The job's events until it ends: its status on every change, progress, each step's start and end,
   * and the coordinator's lines about it. A watch cut short (coordinator restart) is re-opened.
   */
  async *stream(jobId: string, options: Pick<FollowOptions, 'signal'> = {}): AsyncGenerator<JobStreamEvent> {
    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) stop.abort();
    const queue = new EventQueue<JobStreamEvent>();
    this.wait(jobId, { signal: stop.signal, onEvent: (event) => queue.push(event) }).then(
      () => queue.end(),
      (error: unknown) => queue.fail(error),
    );
    try {
      yield* queue;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      stop.abort();
    }
  }

  /** Resolves with the job's final status (or the last one seen when `signal` aborted). */
  async wait(jobId: string, options: FollowOptions = {}): Promise<JobStatus> {
    const { onEvent } = options;
    let memory = EMPTY_MEMORY;
    const display = onEvent && {
      update: (status: JobStatus) => {
        const next = statusEvents(memory, status);
        memory = next.memory;
        for (const event of next.events) onEvent(event);
      },
      message: (message: Parameters<typeof messageEvent>[0]) => onEvent(messageEvent(message)),
    };
    return this.client.call(jobId, (api) =>
      followJob(api, jobId, {
        ...(display ? { display } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onLog ? { onLog: options.onLog } : {}),
      }),
    );
  }
}

/**
 * A client of one coordinator. `close()` it when done: an open channel keeps the process alive.
 *
 * Credentials: `token` (or PARAJOB_TOKEN) is sent as a bearer token on every call; `ca` (or
 * PARAJOB_CA) switches the channel to TLS, trusting either a CA's PEM file or, given as
 * `sha256:<hex>`, the CA whose public key has that hash (learned from the server on first dial,
 * as `parajob node --ca-hash` does). Neither: plaintext with no token, what a loopback coordinator
 * without `--require-auth` accepts.
 *
 * @example
 * ```ts
 * const client = new ParajobClient({ address: '127.0.0.1:7070' });
 * const { jobId } = await client.jobs.createOrUpdate(job, { experimentName: 'samples' });
 * for await (const event of client.jobs.stream(jobId)) if (event.type === 'stepEnded') console.log(event.step.name);
 * client.close();
 * ```
 */
export class ParajobClient {
  /** `host:port` of the coordinator (or the list of them given). */
  readonly address: string;
  /** The bearer token given or found in PARAJOB_TOKEN (see the class comment). */
  readonly token: string | undefined;
  /** The CA given or found in PARAJOB_CA (see the class comment). */
  readonly ca: string | undefined;
  /** Submit, get, list, cancel, rerun, delete, stream and wait for jobs. */
  readonly jobs: JobOperations;
  /** Register, get and list components on the coordinator. */
  readonly components: ComponentOperations;
  /** Register, get and list data assets on the coordinator. */
  readonly data: DataOperations;
  /** Create, get and list datastores on the coordinator (their credentials never come back). */
  readonly datastores: DatastoreOperations;
  /** Resolve once the credentials are ready (a pinned CA is learned over the network). */
  private api!: Promise<JobsApi>;
  private assetsApi!: Promise<AssetsApi>;
  private readonly connect: () => void;

  constructor(options: ParajobClientOptions = {}) {
    const env = options.env ?? process.env;
    this.address = options.address ?? (env[COORDINATOR_ENV] || DEFAULT_COORDINATOR_ADDRESS);
    this.token = options.token ?? (env[TOKEN_ENV] || undefined);
    this.ca = options.ca ?? (env[CA_ENV] || undefined);
    const auth = dialAuthFrom(
      { ...(this.token ? { token: this.token } : {}), ...(this.ca ? { ca: this.ca } : {}) },
      {},
    );
    const deadline = options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs };
    this.connect = () => {
      const active = connectActive(splitCoordinatorAddresses(this.address), auth, options.deadlineMs);
      this.api = active.then(({ address, dial }) => new JobsApi(address, { ...deadline, dial }));
      this.assetsApi = active.then(({ address, dial }) => new AssetsApi(address, { ...deadline, dial }));
      // A dial failure surfaces on the first call; it must not also crash the process as unhandled.
      this.api.catch(() => undefined);
      this.assetsApi.catch(() => undefined);
    };
    this.connect();
    this.jobs = new JobOperations(this);
    const callAssets = <T>(asset: string | undefined, body: (api: AssetsApi) => Promise<T>): Promise<T> =>
      this.callAssets(asset, body);
    this.components = new ComponentOperations(callAssets);
    this.data = new DataOperations(callAssets);
    this.datastores = new DatastoreOperations(callAssets);
  }

  /** Closes the channels. */
  close(): void {
    for (const api of [this.api, this.assetsApi])
      void api.then(
        (opened) => opened.close(),
        () => undefined,
      );
  }

  /**
   * @internal Runs `prepare` with `assets`, or else with the coordinator's registry (fetching what
   * the validation asks for, src/sdk/coordinator-assets.ts), telling it which code folders the
   * coordinator holds.
   */
  async withAssets<T>(
    assets: AssetResolver | undefined,
    prepare: (assets: AssetResolver | undefined, coordinatorCode?: (folder: string) => boolean) => Promise<T>,
  ): Promise<T> {
    if (assets !== undefined) return prepare(assets);
    const remote = new CoordinatorAssets(
      await this.assetsApi.catch((error: unknown) => {
        throw toSdkError(error, { address: this.address });
      }),
    );
    try {
      return await this.callAssets(undefined, () =>
        remote.compile((resolver) => prepare(resolver, (folder) => remote.isCachedCode(folder))),
      );
    } finally {
      remote.close();
    }
  }

  /** @internal Runs one Assets call, turning gRPC errors into the SDK's typed errors. */
  async callAssets<T>(asset: string | undefined, body: (api: AssetsApi) => Promise<T>): Promise<T> {
    try {
      return await body(await this.assetsApi);
    } catch (error) {
      this.lookAgainIfGone(error);
      throw toSdkError(error, { address: this.address, asset: asset ?? '' });
    }
  }

  /** @internal Runs one call, turning gRPC errors into the SDK's typed errors. */
  async call<T>(jobId: string | undefined, body: (api: JobsApi) => Promise<T>): Promise<T> {
    try {
      return await body(await this.api);
    } catch (error) {
      this.lookAgainIfGone(error);
      throw toSdkError(error, { address: this.address, ...(jobId === undefined ? {} : { jobId }) });
    }
  }

  /**
   * With several addresses, a call that found its coordinator gone makes the next call look for the
   * active one again (a standby took over). The failed call is not retried: it may have reached the
   * old one (a submission made twice is worse than one reported failed).
   */
  private lookAgainIfGone(error: unknown): void {
    if (
      splitCoordinatorAddresses(this.address).length < 2 ||
      !isServiceError(error) ||
      error.code !== Status.UNAVAILABLE
    )
      return;
    this.close();
    this.connect();
  }
}

/** How long a client looks for the active one among several coordinator addresses. */
const FIND_ACTIVE_TIMEOUT_MS = 10_000;

/** Credentials and the address of the coordinator that answers (the only one when just one is given). */
async function connectActive(addresses: readonly string[], auth: DialAuth, deadlineMs: number | undefined) {
  const dial = await resolveDialAny(addresses, auth);
  const address = await findActiveCoordinator(
    addresses,
    dial,
    Math.min(deadlineMs ?? Infinity, FIND_ACTIVE_TIMEOUT_MS),
  );
  return { address, dial };
}
