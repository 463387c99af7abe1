/**
 * `parajob coordinator --port 7070 --data-dir DIR [--host 127.0.0.1] [--advertise HOST[,HOST]]
 * [--require-auth] [--insecure] [--store postgres://…]`: runs the coordinator until SIGINT or SIGTERM,
 * then stops it (open node streams are cut). What the flags mean for TLS and credentials:
 * src/auth/server-security.ts. With `--store`, a coordinator started while another is active waits as
 * its standby (it listens only once it took over), and one whose store is lost (another took over)
 * stops at once with exit code 3.
 */
import { resolve } from 'node:path';

import { advertisedNames, joinLine, prepareServerSecurity } from '../../auth/server-security.js';
import { startCoordinator } from '../../coordinator/index.js';
import { createRootLogger } from '../../log/logger.js';
import { type CommandIo, writeLine } from '../command-io.js';
import { describeError } from '../describe-error.js';
import { ExitCode, exitCodeForError, UsageError } from '../exit-codes.js';
import { waitForTermination } from '../interrupts.js';
import { webUiLine, webUiSetting } from '../web-ui-options.js';

export interface CoordinatorCommandOptions {
  /** TCP port to listen on; 0 = any free port (printed). */
  readonly port: number;
  /** Interface to bind. */
  readonly host: string;
  readonly dataDir: string;
  readonly logLevel?: string;
  /** Node heartbeat interval, in milliseconds (undefined: the coordinator's default). */
  readonly heartbeatIntervalMs?: number;
  /** A node silent this long is lost, in milliseconds (undefined: 3 × heartbeat interval). */
  readonly nodeLostAfterMs?: number;
  /** A coordinator chaos plan (src/chaos/coordinator-plan.ts). */
  readonly chaos?: string;
  /** The journal's PostgreSQL database (`postgres://…`); undefined: the file journal in the data dir. */
  readonly store?: string;
  /** Comma-separated names/addresses nodes and clients dial (the server certificate's SANs). */
  readonly advertise?: string;
  /** Demand tokens on loopback too. */
  readonly requireAuth?: boolean;
  /** Listen beyond loopback without TLS (and, without --require-auth, without credentials). */
  readonly insecure?: boolean;
  /** `--allow-path` folders (repeatable). */
  readonly allowPath?: readonly string[];
  readonly maxSpecBytes?: number;
  readonly maxRetries?: number;
  readonly maxProcessesPerNode?: number;
  /** Ended jobs are deleted this many days after their end (`--retain-days`). */
  readonly retainDays?: number;
  /** An ended job leaves memory this long after its end (`--retain-finished-ms`). */
  readonly retainFinishedMs?: number;
  /** Serve the web UI (default true), on these flags. */
  readonly ui?: boolean;
  readonly httpPort?: number;
  readonly httpHost?: string;
}

/** Runs `parajob coordinator`; resolves with the exit code once stopped by a signal. */
export async function coordinatorCommand(options: CoordinatorCommandOptions, io: CommandIo): Promise<number> {
  const logger = createRootLogger({ role: 'coordinator', level: (options.logLevel ?? 'info') as 'info' });
  const dataDir = resolve(options.dataDir);
  const advertise = (options.advertise ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const terminated = waitForTermination();
  let coordinator;
  let security;
  let signalled: NodeJS.Signals | undefined;
  try {
    security = await prepareServerSecurity({
      dataDir,
      host: options.host,
      advertise,
      insecure: options.insecure ?? false,
      requireAuth: options.requireAuth ?? false,
    });
    for (const warning of security.warnings) writeLine(io.stderr, warning);
    const starting = startCoordinator({
      host: options.host,
      port: options.port,
      dataDir,
      logger,
      security,
      // With credentials required, only the data dir and --allow-path; without, whoever is local may
      // run code as the node's user anyway, so roots are enforced only when given.
      ...(options.allowPath !== undefined || security.auth.requireAuth ? { allowPaths: options.allowPath ?? [] } : {}),
      limits: {
        ...(options.maxSpecBytes === undefined ? {} : { maxSpecBytes: options.maxSpecBytes }),
        ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }),
        ...(options.maxProcessesPerNode === undefined ? {} : { maxProcessesPerNode: options.maxProcessesPerNode }),
      },
      retention: {
        ...(options.retainDays === undefined ? {} : { retainDays: options.retainDays }),
        ...(options.retainFinishedMs === undefined ? {} : { retainFinishedMs: options.retainFinishedMs }),
      },
      ...(options.heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: options.heartbeatIntervalMs }),
      ...(options.nodeLostAfterMs === undefined ? {} : { nodeLostAfterMs: options.nodeLostAfterMs }),
      ...(options.chaos === undefined ? {} : { chaos: options.chaos }),
      ...(options.store === undefined
        ? {}
        : {
            store: options.store,
            onStandby: () =>
              writeLine(
                io.stdout,
                'parajob coordinator standing by: another coordinator is active on this journal; taking over when it stops',
              ),
          }),
      ...(options.ui === false ? {} : { http: webUiSetting(options) }),
    });
    // A standby may wait for hours: a signal ends it while it waits (its session, and its place in
    // the lock's queue, end with the process).
    const first = await Promise.race([starting, terminated]);
    if (typeof first === 'string') signalled = first;
    else coordinator = first;
  } catch (caught) {
    // A refused binding or a bad option is the operator's mistake: exit 2.
    const error = caught instanceof TypeError ? new UsageError(caught.message) : caught;
    writeLine(io.stderr, describeError(error));
    return exitCodeForError(error);
  }
  if (coordinator === undefined) {
    writeLine(io.stderr, `${signalled ?? 'signal'}: stopping the coordinator before it became active`);
    return ExitCode.succeeded;
  }
  // Scripts and tests wait for this exact line to learn the port.
  writeLine(io.stdout, `parajob coordinator listening on ${options.host}:${coordinator.port} (data dir ${dataDir})`);
  if (security.auth.requireAuth && options.allowPath === undefined)
    writeLine(io.stderr, `jobs may read and write only under ${dataDir}: add --allow-path DIR for your data`);
  const advertised = advertisedNames({ host: options.host, advertise })[0] ?? options.host;
  const join = joinLine(`${advertised}:${coordinator.port}`, security);
  if (join !== undefined) {
    writeLine(io.stdout, `TLS on; CA ${security.caHash} (${dataDir}/pki/ca.crt). Start a node with:`);
    writeLine(io.stdout, `  ${join}`);
  }
  if (coordinator.webUrl !== undefined) writeLine(io.stdout, webUiLine(coordinator.webUrl));
  const ended = await Promise.race([
    terminated,
    coordinator.journalLost?.catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))) ??
      new Promise<never>(() => undefined),
  ]);
  if (ended instanceof Error) {
    // Another coordinator took over (or the store is gone): serving on would hand out work this one
    // can no longer record. Nodes and clients move to the active one.
    writeLine(io.stderr, `parajob coordinator stopping: its journal is lost: ${ended.message}`);
    await coordinator.stop({ graceMs: 0 });
    logger.flush();
    return ExitCode.unavailable;
  }
  writeLine(io.stderr, `${ended}: stopping the coordinator`);
  await coordinator.stop();
  logger.flush();
  return ExitCode.succeeded;
}
