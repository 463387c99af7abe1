/**
 * `parajob node --coordinator HOST:PORT [--name n1] [--compute cpu-cluster] [--cores N] [--gpus N]
 * [--cache-dir DIR] [--shared-fs PREFIX]... [--cache-max-bytes N] [--python PATH] [--state-dir DIR]`:
 * runs a node until SIGINT or SIGTERM (or, with the hidden
 * `--exit-with-stdin` that `parajob run` uses, until its stdin closes because the parent died).
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';

import { type DialAuth, TOKEN_ENV } from '../../auth/dial.js';
import { defaultStateDir } from '../../auth/node-identity.js';
import { createRootLogger } from '../../log/logger.js';
import { startNode } from '../../node/index.js';
import { type CommandIo, writeLine } from '../command-io.js';
import { describeError } from '../describe-error.js';
import { ExitCode, exitCodeForError } from '../exit-codes.js';
import { waitForTermination } from '../interrupts.js';
import { STDIN_ADDRESS } from '../node-processes.js';

export interface NodeCommandOptions {
  readonly coordinator: string;
  readonly name?: string;
  readonly compute?: string;
  readonly cores?: number;
  readonly gpus?: number;
  readonly cacheDir?: string;
  /** Prefixes the node sees (absolute after resolving against the working folder). */
  readonly sharedFs?: readonly string[];
  readonly cacheMaxBytes?: number;
  readonly python?: string;
  /** Node faults (src/chaos/node-plan.ts), already checked by the option parser. */
  readonly chaos?: string;
  readonly logLevel?: string;
  /** Exit when stdin reaches its end (the parent that spawned this node is gone). */
  readonly exitWithStdin?: boolean;
  /** Token and CA to reach the coordinator (src/auth/dial.ts). */
  readonly auth?: DialAuth;
  /** How long to keep dialling a lost coordinator before giving up (ms). @default 15 minutes */
  readonly reconnectFor?: number;
  /** Key and certificate of the node (src/auth/node-identity.ts). @default defaultStateDir(name) */
  readonly stateDir?: string;
}

/** The first line written to stdin (the embedded `parajob run` writes the coordinator address there). */
function firstStdinLine(): Promise<string> {
  return new Promise((resolveLine) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      const newline = text.indexOf('\n');
      if (newline >= 0) {
        process.stdin.off('data', onData);
        resolveLine(text.slice(0, newline).trim());
      }
    };
    process.stdin.on('data', onData);
  });
}

/** Runs `parajob node`; resolves with the exit code once stopped. */
export async function nodeCommand(options: NodeCommandOptions, io: CommandIo): Promise<number> {
  // The token was read (options.auth); entry scripts, which inherit this environment, need not see it.
  delete process.env[TOKEN_ENV];
  const logger = createRootLogger({ role: 'node', level: (options.logLevel ?? 'info') as 'info' });
  const terminated = new Promise<string>((resolvePromise) => {
    void waitForTermination().then(resolvePromise);
    if (options.exitWithStdin || options.coordinator === STDIN_ADDRESS) {
      process.stdin.on('end', () => resolvePromise('stdin closed'));
      process.stdin.on('error', () => resolvePromise('stdin closed'));
      process.stdin.resume();
    }
  });
  let node;
  let coordinator = options.coordinator;
  try {
    if (coordinator === STDIN_ADDRESS) {
      const learned = await Promise.race([
        firstStdinLine().then((address) => ({ address })),
        terminated.then((reason) => ({ reason })),
      ]);
      if ('reason' in learned) {
        logger.info({ reason: learned.reason }, 'node stopping before it learned the coordinator address');
        logger.flush();
        return ExitCode.succeeded;
      }
      coordinator = learned.address;
    }
    const starting = startNode({
      coordinator,
      logger,
      ...(options.name === undefined ? {} : { name: options.name }),
      ...(options.compute === undefined ? {} : { compute: options.compute }),
      ...(options.cores === undefined ? {} : { cores: options.cores }),
      ...(options.gpus === undefined ? {} : { gpus: options.gpus }),
      ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
      ...(options.sharedFs === undefined ? {} : { sharedFs: options.sharedFs.map((prefix) => resolve(prefix)) }),
      ...(options.cacheMaxBytes === undefined ? {} : { cacheMaxBytes: options.cacheMaxBytes }),
      ...(options.python === undefined ? {} : { python: options.python }),
      ...(options.chaos === undefined ? {} : { chaos: options.chaos }),
      ...(options.auth === undefined ? {} : { auth: options.auth }),
      ...(options.reconnectFor === undefined ? {} : { reconnectForMs: options.reconnectFor }),
      // The nodes of `parajob run` (address on stdin) are private to one run: no identity to keep.
      ...(options.coordinator === STDIN_ADDRESS
        ? {}
        : { stateDir: options.stateDir ?? defaultStateDir(options.name ?? hostname()) }),
    });
    // A signal while still connecting ends the process too (the node may wait long for its coordinator).
    const first = await Promise.race([starting, terminated]);
    if (typeof first === 'string') {
      logger.info({ reason: first }, 'node stopping before it attached');
      void starting.then((started) => started.stop()).catch(() => undefined);
      logger.flush();
      return ExitCode.succeeded;
    }
    node = first;
  } catch (error) {
    writeLine(io.stderr, describeError(error, { coordinator }));
    return exitCodeForError(error);
  }
  writeLine(io.stderr, `parajob node ${node.nodeId} attached to ${coordinator}`);
  const ending = await Promise.race([
    terminated.then((reason) => ({ reason })),
    node.gaveUp.then((gaveUp) => ({ gaveUp })),
  ]);
  if ('gaveUp' in ending) {
    writeLine(io.stderr, `parajob node: ${ending.gaveUp}`);
    await node.stop();
    logger.flush();
    return ExitCode.unavailable;
  }
  logger.info({ reason: ending.reason }, 'node stopping');
  await node.stop();
  logger.flush();
  return ExitCode.succeeded;
}
