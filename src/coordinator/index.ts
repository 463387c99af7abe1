/**
 * The coordinator process of parajob: a gRPC server that nodes attach to (Cluster), fetch code from
 * (Code) and clients submit to (Jobs) and register components and data assets with (Assets), plus
 * the web UI's server (src/web). One per cluster. The node contract is the Cluster service of
 * proto/parajob/v1/parajob.proto (NodeMessage / CoordinatorMessage).
 *
 * Layout: coordinator-core.ts holds the state the services (services.ts) adapt; cluster/ the attached
 * nodes, jobs/ submission and job runs, pipeline/ a pipeline's step graph, step-run/ and command-step/
 * the machines of one step, ledger/ the mini-batch ledger, journal/ what survives a restart,
 * partition/ cutting the input, output/ the output files, reports/ the run directory's reports, code/
 * the code snapshots on disk, assets/ the Assets service.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { Server } from '@grpc/grpc-js';
import type { Logger } from 'pino';

import { bindingRefusal } from '../auth/binding.js';
import { authInterceptor, type AuthPolicy } from '../auth/interceptor.js';
import { joinHandler, type NodeCertAuthority } from '../auth/join-service.js';
import { serverCredentials, type ServerTls } from '../auth/server-credentials.js';
import { type CoordinatorKillPoint, parseCoordinatorChaosPlan } from '../chaos/coordinator-plan.js';
import { AssetsService, ClusterService, CodeService, JobsService } from '../gen/parajob/v1/parajob.js';
import { LocalAssetStore } from '../jobspec/assets/local-store.js';
import { compileJobSpec } from '../jobspec/load.js';
import { createRootLogger } from '../log/logger.js';
import { CHANNEL_OPTIONS } from '../rpc/options.js';
import { isS3Uri } from '../storage/s3-location.js';
import type { WebServer, WebServerOptions } from '../web/server.js';
import { assetsService } from './assets/assets-service.js';
import { CoordinatorCore } from './coordinator-core.js';
import { inputsService, InputsWireService } from './inputs/input-service.js';
import { DEFAULT_SUBMIT_LIMITS, maxReceiveBytes, type SubmitLimits } from './jobs/limits.js';
import type { RetentionOptions } from './jobs/retention.js';
import type { CompileJob } from './jobs/submission.js';
import { CoordinatorJournal } from './journal/coordinator-journal.js';
import { postgresJournalStore } from './journal/postgres-journal.js';
import type { CoordinatorRecord } from './journal/records.js';
import { clusterService, codeService, jobsService } from './services.js';
import { DEFAULT_STEP_RUN_SETTINGS, type StepRunSettings } from './step-run/settings.js';

/** The spec compiler signature (for `CoordinatorOptions.compileJob`). */
export type { CompileJob } from './jobs/submission.js';
/** Engine settings of step runs (for `CoordinatorOptions.stepRunSettings`). */
export type { StepRunSettings } from './step-run/settings.js';

/** Options of startCoordinator; only `port` and `dataDir` are required. */
export interface CoordinatorOptions {
  /**
   * Interface to listen on. Anything but loopback needs `security.tls` and `security.auth.requireAuth`,
   * or `security.insecure` (src/auth/binding.ts). @default '127.0.0.1'
   */
  readonly host?: string;
  /**
   * Roots that submitted inputs, outputs and run dirs must lie under; the data dir is always added.
   * undefined: no roots enforced (a coordinator that asks no credentials). @default undefined
   */
  readonly allowPaths?: readonly string[];
  /** Bounds on submissions (spec and code size, retries, processes per node). @default DEFAULT_SUBMIT_LIMITS */
  readonly limits?: Partial<SubmitLimits>;
  /** HTTP/2 streams one connection may hold open at once. @default MAX_CONCURRENT_STREAMS */
  readonly maxConcurrentStreams?: number;
  /** TLS and credentials. @default plaintext, no credentials asked (loopback only) */
  readonly security?: CoordinatorSecurity;
  /** Port to listen on; 0 = any free port (read it back from `Coordinator.port`). */
  readonly port: number;
  /** The coordinator's data folder: `runs/<jobId>/` and `code/<hash>/` live here. */
  readonly dataDir: string;
  /** Heartbeat interval sent to nodes in `welcome`, in milliseconds. @default 1000 */
  readonly heartbeatIntervalMs?: number;
  /** Silence after which a node is lost, in milliseconds. @default 3 × heartbeatIntervalMs */
  readonly nodeLostAfterMs?: number;
  /** The root pino logger. @default JSON lines appended to `<dataDir>/coordinator.log` */
  readonly logger?: Logger;
  /** Engine settings of step runs (release wait, overview interval, supervision). @default DEFAULT_STEP_RUN_SETTINGS */
  readonly stepRunSettings?: Partial<StepRunSettings>;
  /** The spec compiler; tests may inject one. @default compileJobSpec from src/jobspec/load.ts */
  readonly compileJob?: CompileJob;
  /**
   * Journal jobs in `<dataDir>/journal/`, so that a coordinator restarted on the same data dir resumes
   * them. @default true
   */
  readonly journal?: boolean;
  /**
   * Where the journal lives: undefined, the file journal in `<dataDir>/journal/`; `postgres://…`, that
   * PostgreSQL database, where one coordinator at a time is active: startCoordinator resolves only once
   * this one is (a second one waits as a hot standby and takes over when the active one dies; the data
   * dir must then be the same folder for both, on a shared filesystem). @default undefined
   */
  readonly store?: string;
  /** Called when a PostgreSQL store is held by another coordinator and this one waits as its standby. */
  readonly onStandby?: () => void;
  /** How long ended jobs stay in memory and on disk (jobs/retention.ts). @default in memory 10 min, on disk forever */
  readonly retention?: RetentionOptions;
  /** A coordinator chaos plan (src/chaos/coordinator-plan.ts), e.g. `kill-coordinator:after-commits=40`. */
  readonly chaos?: string;
  /**
   * Serve the web UI, its API and /metrics (src/web) on this port (0 = any free port), on loopback
   * unless `host` says otherwise (then only with `security.tls`). It accepts the tokens of
   * `security.auth` (client role) besides its own login token. @default no web UI
   */
  readonly http?: { readonly port: number; readonly host?: string; readonly anyPortIfTaken?: boolean };
}

/** How the coordinator authenticates its callers (src/auth). */
export interface CoordinatorSecurity {
  /** Token checks and roles, applied by one server interceptor; undefined: every call anonymous. */
  readonly auth?: AuthPolicy;
  /** The server's TLS key and certificate chain (PEM), and the CA of node certificates; undefined: plaintext. */
  readonly tls?: ServerTls;
  /** Issues node certificates (Cluster.Join); undefined: Join is refused. */
  readonly nodeCerts?: NodeCertAuthority;
  /** Allow a non-loopback host without TLS or required credentials (the operator was warned). */
  readonly insecure?: boolean;
}

/** A running coordinator. */
export interface Coordinator {
  /** The port the server listens on (the real one when `port` was 0). */
  readonly port: number;
  /** `host:port` to dial. */
  readonly address: string;
  /** The web UI's URL with its login token, when `http` was given. */
  readonly webUrl: string | undefined;
  /**
   * Rejects when the journal's store is lost for good (PostgreSQL: another coordinator took over, or
   * the connection is gone): this coordinator can record nothing more and must stop. undefined: the
   * store reports failures only through its writes (the file journal).
   */
  readonly journalLost: Promise<never> | undefined;
  /**
   * Ends every node and client stream, stops the actors and the server. Open calls get `graceMs`
   * (default SHUTDOWN_GRACE_MS) to finish before the server is forced down; 0 when nothing is left
   * to wait for (the embedded `parajob run` after its job ended).
   */
  stop(options?: { readonly graceMs?: number }): Promise<void>;
}

/** Default bound on concurrent HTTP/2 streams per connection (a node holds two, a client a few). */
export const MAX_CONCURRENT_STREAMS = 100;

/** How long `stop()` lets open calls finish before forcing the server down. */
const SHUTDOWN_GRACE_MS = 250;

/** Starts a coordinator; resolves once the server listens. */
export async function startCoordinator(options: CoordinatorOptions): Promise<Coordinator> {
  const host = options.host ?? '127.0.0.1';
  const security = options.security ?? {};
  const refusal = bindingRefusal(host, {
    tls: security.tls !== undefined,
    requireAuth: security.auth?.requireAuth ?? false,
    insecure: security.insecure ?? false,
  });
  if (refusal !== undefined) throw new TypeError(refusal);
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 1_000;
  if (!(heartbeatIntervalMs > 0)) throw new TypeError(`heartbeatIntervalMs must be > 0, got ${heartbeatIntervalMs}`);
  const nodeLostAfterMs = options.nodeLostAfterMs ?? 3 * heartbeatIntervalMs;
  if (!(nodeLostAfterMs > heartbeatIntervalMs)) {
    throw new TypeError(
      `nodeLostAfterMs (${nodeLostAfterMs}) must be greater than heartbeatIntervalMs (${heartbeatIntervalMs})`,
    );
  }
  const limits: SubmitLimits = { ...DEFAULT_SUBMIT_LIMITS, ...options.limits };
  const logger = options.logger ?? createRootLogger({ role: 'coordinator', file: join(dataDir, 'coordinator.log') });
  // Each group commit's sync time, for /metrics (the web server listens once it starts).
  const journalSyncListeners = new Set<(seconds: number) => void>();
  const onSync = (seconds: number): void => {
    for (const listener of journalSyncListeners) listener(seconds);
  };
  const store = journalStoreOf(options, logger, onSync);
  const journal =
    options.journal === false
      ? undefined
      : await CoordinatorJournal.open(dataDir, {
          logger,
          onSync,
          onRecordWritten: coordinatorChaos(options.chaos, logger),
          ...(store === undefined ? {} : { store }),
        });
  // Registered components, data and datastores live in the coordinator's data dir.
  const assets = new LocalAssetStore(dataDir);
  const core = new CoordinatorCore({
    dataDir,
    heartbeatIntervalMs,
    nodeLostAfterMs,
    logger,
    compile: options.compileJob ?? ((source, compileOptions) => compileJobSpec(source, { ...compileOptions, assets })),
    settings: { ...DEFAULT_STEP_RUN_SETTINGS, ...options.stepRunSettings },
    journal,
    pathPolicy: {
      allowedRoots:
        options.allowPaths === undefined
          ? undefined
          : [dataDir, ...options.allowPaths.map((dir) => (isS3Uri(dir) ? dir : resolve(dir)))],
    },
    limits,
    ...(options.retention === undefined ? {} : { retention: options.retention }),
  });
  await core.resumeJournaledJobs();

  const server = new Server({
    ...CHANNEL_OPTIONS,
    // Nothing a caller sends may be larger than one submission at its limits (a 300 MB message is
    // refused by grpc-js before it is buffered whole); streams per connection are bounded too.
    'grpc.max_receive_message_length': maxReceiveBytes(limits),
    'grpc.max_concurrent_streams': options.maxConcurrentStreams ?? MAX_CONCURRENT_STREAMS,
    ...(security.auth === undefined ? {} : { interceptors: [authInterceptor(security.auth)] }),
  });
  server.addService(ClusterService, { ...clusterService(core, logger), join: joinHandler(security.nodeCerts) });
  server.addService(CodeService, codeService(core));
  server.addService(JobsService, jobsService(core, logger));
  server.addService(AssetsService, assetsService(assets, logger));
  server.addService(InputsWireService, inputsService(core, logger));
  const port = await new Promise<number>((resolvePort, reject) => {
    server.bindAsync(
      `${host.includes(':') ? `[${host}]` : host}:${options.port}`,
      serverCredentials(security.tls),
      (error, boundPort) => (error ? reject(error) : resolvePort(boundPort)),
    );
  });
  logger.info(
    {
      host,
      port,
      dataDir,
      heartbeatIntervalMs,
      nodeLostAfterMs,
      tls: security.tls !== undefined,
      requireAuth: security.auth?.requireAuth ?? false,
    },
    'coordinator listening',
  );
  const web =
    options.http === undefined
      ? undefined
      : await startWebUi({
          port: options.http.port,
          ...(options.http.host === undefined ? {} : { host: options.http.host }),
          anyPortIfTaken: options.http.anyPortIfTaken === true,
          core,
          journalSyncListeners: journal === undefined ? undefined : journalSyncListeners,
          logger,
          // The same credentials as the gRPC services, and its certificate (required beyond loopback).
          ...(security.auth === undefined ? {} : { verifier: security.auth.tokens }),
          ...(security.tls === undefined ? {} : { tls: security.tls }),
        }).catch(async (error: unknown) => {
          server.forceShutdown();
          core.stop();
          await journal?.close();
          throw error;
        });

  let stopping: Promise<void> | undefined;
  return {
    port,
    address: dialAddress(host, port),
    webUrl: web?.url,
    journalLost: journal?.lost,
    stop: (stopOptions) =>
      (stopping ??= (async () => {
        await web?.close();
        core.stop();
        // tryShutdown waits for open streams (nodes, watchers) forever: force it after a grace period.
        await new Promise<void>((done) => {
          const force = setTimeout(() => {
            server.forceShutdown();
            done();
          }, stopOptions?.graceMs ?? SHUTDOWN_GRACE_MS);
          server.tryShutdown(() => {
            clearTimeout(force);
            done();
          });
        });
        await journal?.close();
        logger.info('coordinator stopped');
        logger.flush();
      })()),
  };
}

/** The journal store `options.store` names; undefined: the file journal. Throws TypeError for another scheme. */
function journalStoreOf(options: CoordinatorOptions, logger: Logger, onSync: (seconds: number) => void) {
  if (options.store === undefined) return undefined;
  if (!/^postgres(ql)?:\/\//.test(options.store))
    throw new TypeError(
      `--store must be a postgres://user@host:port/database URL, got one starting "${options.store.split(':')[0] ?? ''}:"`,
    );
  return postgresJournalStore(options.store, {
    logger,
    onSync,
    ...(options.onStandby ? { onStandby: options.onStandby } : {}),
  });
}

/** Where a local client dials a server bound to `host`: loopback for the wildcard addresses. */
function dialAddress(host: string, port: number): string {
  if (host === '0.0.0.0') return `127.0.0.1:${port}`;
  if (host === '::') return `[::1]:${port}`;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The journal observer that carries out a coordinator chaos plan; undefined without one. */
function coordinatorChaos(text: string | undefined, logger: Logger): ((record: CoordinatorRecord) => void) | undefined {
  const { kill } = parseCoordinatorChaosPlan(text ?? '');
  if (kill === undefined) return undefined;
  logger.warn({ point: kill.point, count: kill.count }, 'coordinator chaos: this coordinator will SIGKILL itself');
  let seen = 0;
  return (record) => {
    if (killPointOf(record) !== kill.point || ++seen < kill.count) return;
    logger.warn({ point: kill.point, seen }, 'coordinator chaos: SIGKILL now');
    logger.flush();
    process.kill(process.pid, 'SIGKILL');
  };
}

/** The kill point a journal record counts for (src/chaos/coordinator-plan.ts); undefined: none. */
function killPointOf(record: CoordinatorRecord): CoordinatorKillPoint | undefined {
  if (record.type === 'batch.committed') return 'commit';
  if (record.type === 'step.ended') return 'step-end';
  if (record.type === 'ledger.event' && record.event.type === 'lease.granted') return 'lease';
  return undefined;
}

/**
 * The web UI's server over the coordinator's state. Loaded only when asked for (`--http-port`, `--ui`):
 * a coordinator without it (every `parajob run` by default) does not load the server, its metrics
 * registry and their dependencies at start-up.
 */
async function startWebUi(
  options: Omit<WebServerOptions, 'source'> & {
    readonly core: CoordinatorCore;
    /** The journal's fsync timings for /metrics; undefined without a journal. */
    readonly journalSyncListeners: Set<(seconds: number) => void> | undefined;
  },
): Promise<WebServer> {
  const [{ startWebServer }, { coordinatorWebSource }] = await Promise.all([
    import('../web/server.js'),
    import('./web-source.js'),
  ]);
  const { core, journalSyncListeners, ...rest } = options;
  return startWebServer({ ...rest, source: coordinatorWebSource(core, journalSyncListeners) });
}
