/**
 * The node's public options and their compiled form (defaults filled, every invalid option a
 * TypeError naming it).
 */
import { availableParallelism, hostname, tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

import type { Logger } from 'pino';

import type { DialAuth } from '../auth/dial.js';
import { type NodeChaosPlan, parseNodeChaosPlan } from '../chaos/node-plan.js';
import { createRootLogger } from '../log/logger.js';
import { splitCoordinatorAddresses } from '../rpc/coordinator-list.js';

export interface NodeOptions {
  /**
   * The coordinator's `host:port`, or a comma-separated list of them (an active coordinator and its
   * standbys: the node uses the one that answers, and moves when it goes).
   */
  readonly coordinator: string;
  /** Requested node name, unique in the cluster. @default os.hostname() */
  readonly name?: string;
  /** Compute pool this node serves (a job's `compute:`). @default 'local' */
  readonly compute?: string;
  /** Cores offered; a job's processors default to this. @default os.availableParallelism() */
  readonly cores?: number;
  /** GPUs on this machine (CUDA_VISIBLE_DEVICES per processor). @default 0 */
  readonly gpus?: number;
  /** Code snapshot cache and workers' working folders. @default <os.tmpdir()>/parajob-cache */
  readonly cacheDir?: string;
  /** Interpreter for `.py` entry scripts. @default $PARAJOB_PYTHON, then python3 on PATH */
  readonly python?: string;
  /** Root pino logger. @default JSON lines to stderr */
  readonly logger?: Logger;
  /**
   * Faults of this node process (src/chaos/node-plan.ts), e.g. `kill-node:after=40`. For rehearsals
   * and tests only. @default '' (none)
   */
  readonly chaos?: string;
  /** Token and CA to reach a coordinator that asks credentials (src/auth/dial.ts). @default none */
  readonly auth?: DialAuth;
  /**
   * Where the node keeps its key and certificate (src/auth/node-identity.ts): with a token and a CA
   * it joins once and attaches over mutual TLS from then on, with no token (src/auth/node-join.ts).
   * `parajob node` defaults it to `$XDG_STATE_HOME/parajob/nodes/<name>`. @default none: the token
   * is sent on every attach, as before
   */
  readonly stateDir?: string;
  /**
   * How long the node keeps dialling a coordinator it lost (or has not reached yet) before it gives
   * up, in milliseconds; its running work goes on meanwhile. @default 900000 (15 minutes)
   */
  readonly reconnectForMs?: number;
  /**
   * Path prefixes this node sees as the coordinator does (`--shared-fs`): input files under them are
   * read in place, all others fetched from the coordinator. @default none declared: a path is read in
   * place when a regular file exists at it on this machine (src/node/inputs/visibility.ts)
   */
  readonly sharedFs?: readonly string[];
  /** Bound of the fetched-input cache under `<cacheDir>/inputs`, in bytes. @default 10 GiB */
  readonly cacheMaxBytes?: number;
}

/** How long a node keeps dialling a lost coordinator by default: 15 minutes. */
export const DEFAULT_RECONNECT_FOR_MS = 15 * 60_000;

/** NodeOptions with every default applied. */
export interface CompiledNodeOptions {
  readonly coordinator: string;
  /** `coordinator` split into its addresses. */
  readonly coordinators: readonly string[];
  readonly name: string;
  readonly compute: string;
  readonly cores: number;
  readonly gpus: number;
  readonly cacheDir: string;
  readonly python: string | undefined;
  readonly logger: Logger;
  readonly chaos: NodeChaosPlan;
  readonly auth: DialAuth;
  readonly stateDir: string | undefined;
  readonly reconnectForMs: number;
  readonly sharedFs: readonly string[] | undefined;
  readonly cacheMaxBytes: number;
}

/** Default bound of the fetched-input cache. */
export const DEFAULT_CACHE_MAX_BYTES = 10 * 1024 ** 3;

/**
 * Fills defaults and validates; throws TypeError naming the first invalid option (a chaos plan that
 * does not parse: ChaosSyntaxError, which says which part).
 */
export function compileNodeOptions(options: NodeOptions): CompiledNodeOptions {
  const coordinators = typeof options.coordinator === 'string' ? splitCoordinatorAddresses(options.coordinator) : [];
  if (coordinators.length === 0 || !coordinators.every((address) => /^\S+:\d{1,5}$/.test(address))) {
    throw new TypeError(
      `options.coordinator must be "host:port" or a comma-separated list of them, got ${JSON.stringify(options.coordinator)}`,
    );
  }
  const cores = options.cores ?? availableParallelism();
  if (!Number.isInteger(cores) || cores < 1)
    throw new TypeError(`options.cores must be a positive integer, got ${String(options.cores)}`);
  const gpus = options.gpus ?? 0;
  if (!Number.isInteger(gpus) || gpus < 0)
    throw new TypeError(`options.gpus must be a non-negative integer, got ${String(options.gpus)}`);
  const name = options.name ?? hostname();
  if (name.trim() === '') throw new TypeError('options.name must not be empty');
  const reconnectForMs = options.reconnectForMs ?? DEFAULT_RECONNECT_FOR_MS;
  if (!(Number.isFinite(reconnectForMs) && reconnectForMs > 0))
    throw new TypeError(`options.reconnectForMs must be a positive number, got ${String(options.reconnectForMs)}`);
  const cacheMaxBytes = options.cacheMaxBytes ?? DEFAULT_CACHE_MAX_BYTES;
  if (!Number.isSafeInteger(cacheMaxBytes) || cacheMaxBytes < 0)
    throw new TypeError(`options.cacheMaxBytes must be a non-negative integer, got ${String(options.cacheMaxBytes)}`);
  for (const prefix of options.sharedFs ?? []) {
    if (!isAbsolute(prefix)) throw new TypeError(`options.sharedFs entries must be absolute paths, got "${prefix}"`);
  }
  const compute = options.compute ?? 'local';
  if (compute.trim() === '') throw new TypeError('options.compute must not be empty');
  return {
    coordinator: options.coordinator,
    coordinators,
    name,
    compute,
    cores,
    gpus,
    cacheDir: resolve(options.cacheDir ?? join(tmpdir(), 'parajob-cache')),
    python: options.python === '' ? undefined : options.python,
    logger: options.logger ?? createRootLogger({ role: 'node' }),
    chaos: parseNodeChaosPlan(options.chaos ?? ''),
    auth: options.auth ?? {},
    stateDir: options.stateDir === undefined ? undefined : resolve(options.stateDir),
    reconnectForMs,
    sharedFs: options.sharedFs,
    cacheMaxBytes,
  };
}
