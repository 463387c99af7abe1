/**
 * The coordinator process of parajob: a gRPC server that nodes attach to (Cluster), fetch code from
 * (Code) and clients submit to (Jobs). One per cluster. The node contract is the Cluster service of
 * proto/parajob/v1/parajob.proto (NodeMessage / CoordinatorMessage).
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { Logger } from 'pino';

import { parseCoordinatorChaosPlan } from '../chaos/coordinator-plan.js';
import { ClusterService, CodeService, JobsService } from '../gen/parajob/v1/parajob.js';
import { LocalAssetStore } from '../jobspec/assets/local-store.js';
import { compileJobSpec } from '../jobspec/load.js';
import { createRootLogger } from '../log/logger.js';
import { CHANNEL_OPTIONS } from '../rpc/options.js';
import { CoordinatorCore } from './coordinator-core.js';
import type { CompileJob } from './jobs/submission.js';
import { CoordinatorJournal } from './journal/coordinator-journal.js';
import type { CoordinatorRecord } from './journal/records.js';
import { clusterService, codeService, jobsService } from './services.js';
import { DEFAULT_STEP_RUN_SETTINGS, type StepRunSettings } from './step-run/settings.js';

/** The spec compiler signature (for `CoordinatorOptions.compileJob`). */
export type { CompileJob } from './jobs/submission.js';
/** Engine settings of step runs (for `CoordinatorOptions.stepRunSettings`). */
export type { StepRunSettings } from './step-run/settings.js';

/** Options of startCoordinator; only `port` and `dataDir` are required. */
export interface CoordinatorOptions {
  /** Interface to listen on. @default '0.0.0.0' */
  readonly host?: string;
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
  /** A coordinator chaos plan (src/chaos/coordinator-plan.ts), e.g. `kill-coordinator:after-commits=40`. */
  readonly chaos?: string;
}

/** A running coordinator. */
export interface Coordinator {
  /** The port the server listens on (the real one when `port` was 0). */
  readonly port: number;
  /** `host:port` to dial. */
  readonly address: string;
  /**
   * Ends every node and client stream, stops the actors and the server. Open calls get `graceMs`
   * (default SHUTDOWN_GRACE_MS) to finish before the server is forced down; 0 when nothing is left
   * to wait for (the embedded `parajob run` after its job ended).
   */
  stop(options?: { readonly graceMs?: number }): Promise<void>;
}

/** How long `stop()` lets open calls finish before forcing the server down. */
const SHUTDOWN_GRACE_MS = 250;

/** Starts a coordinator; resolves once the server listens. */
export async function startCoordinator(options: CoordinatorOptions): Promise<Coordinator> {
  const host = options.host ?? '0.0.0.0';
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
  const logger = options.logger ?? createRootLogger({ role: 'coordinator', file: join(dataDir, 'coordinator.log') });
  const journal =
    options.journal === false
      ? undefined
      : await CoordinatorJournal.open(dataDir, { logger, onRecordWritten: coordinatorChaos(options.chaos, logger) });
  const core = new CoordinatorCore({
    dataDir,
    heartbeatIntervalMs,
    nodeLostAfterMs,
    logger,
    // Registered components, data and datastores live in the coordinator's data dir.
    compile:
      options.compileJob ??
      ((source, compileOptions) => compileJobSpec(source, { ...compileOptions, assets: new LocalAssetStore(dataDir) })),
    settings: { ...DEFAULT_STEP_RUN_SETTINGS, ...options.stepRunSettings },
    journal,
  });
  await core.resumeJournaledJobs();

  const server = new Server(CHANNEL_OPTIONS);
  server.addService(ClusterService, clusterService(core, logger));
  server.addService(CodeService, codeService(core));
  server.addService(JobsService, jobsService(core, logger));
  const port = await new Promise<number>((resolvePort, reject) => {
    server.bindAsync(
      `${host.includes(':') ? `[${host}]` : host}:${options.port}`,
      ServerCredentials.createInsecure(),
      (error, boundPort) => (error ? reject(error) : resolvePort(boundPort)),
    );
  });
  logger.info({ host, port, dataDir, heartbeatIntervalMs, nodeLostAfterMs }, 'coordinator listening');

  let stopping: Promise<void> | undefined;
  return {
    port,
    address: dialAddress(host, port),
    stop: (stopOptions) =>
      (stopping ??= (async () => {
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

/** Where a local client dials a server bound to `host`: loopback for the wildcard addresses. */
function dialAddress(host: string, port: number): string {
  if (host === '0.0.0.0') return `127.0.0.1:${port}`;
  if (host === '::') return `[::1]:${port}`;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The journal observer that carries out a coordinator chaos plan; undefined without one. */
function coordinatorChaos(text: string | undefined, logger: Logger): ((record: CoordinatorRecord) => void) | undefined {
  const { killAfterCommits } = parseCoordinatorChaosPlan(text ?? '');
  if (killAfterCommits === undefined) return undefined;
  logger.warn({ killAfterCommits }, 'coordinator chaos: this coordinator will SIGKILL itself');
  let commits = 0;
  return (record) => {
    if (record.type !== 'batch.committed' || ++commits < killAfterCommits) return;
    logger.warn({ commits }, 'coordinator chaos: SIGKILL now');
    logger.flush();
    process.kill(process.pid, 'SIGKILL');
  };
}
