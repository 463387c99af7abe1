/**
 * `parajob coordinator --port 7070 --data-dir DIR [--host 0.0.0.0]`: runs the coordinator until
 * SIGINT or SIGTERM, then stops it (open node streams are cut).
 */
import { resolve } from 'node:path';

import { startCoordinator } from '../../coordinator/index.js';
import { createRootLogger } from '../../log/logger.js';
import { type CommandIo, writeLine } from '../command-io.js';
import { describeError } from '../describe-error.js';
import { ExitCode, exitCodeForError } from '../exit-codes.js';
import { waitForTermination } from '../interrupts.js';

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
}

/** Runs `parajob coordinator`; resolves with the exit code once stopped by a signal. */
export async function coordinatorCommand(options: CoordinatorCommandOptions, io: CommandIo): Promise<number> {
  const logger = createRootLogger({ role: 'coordinator', level: (options.logLevel ?? 'info') as 'info' });
  const dataDir = resolve(options.dataDir);
  const terminated = waitForTermination();
  let coordinator;
  try {
    coordinator = await startCoordinator({
      host: options.host,
      port: options.port,
      dataDir,
      logger,
      ...(options.heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: options.heartbeatIntervalMs }),
      ...(options.nodeLostAfterMs === undefined ? {} : { nodeLostAfterMs: options.nodeLostAfterMs }),
      ...(options.chaos === undefined ? {} : { chaos: options.chaos }),
    });
  } catch (error) {
    writeLine(io.stderr, describeError(error));
    return exitCodeForError(error);
  }
  // Scripts and tests wait for this exact line to learn the port.
  writeLine(io.stdout, `parajob coordinator listening on ${options.host}:${coordinator.port} (data dir ${dataDir})`);
  const signal = await terminated;
  writeLine(io.stderr, `${signal}: stopping the coordinator`);
  await coordinator.stop();
  logger.flush();
  return ExitCode.succeeded;
}
