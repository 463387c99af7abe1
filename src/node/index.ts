/**
 * A parajob node: dials the coordinator, registers, heartbeats, and runs processors (worker child
 * processes running the user's entry script) for the jobs it is assigned. See node.machine.ts for
 * its life, job/job.machine.ts for a job's, processor/processor.machine.ts for a worker's supervision.
 *
 * Layout: the node machine, its stream (cluster-stream.ts), its outbox and the coordinator's messages
 * as typed events (coordinator-events.ts) at the top; processor/ a worker's supervision and run queue,
 * job/ one job's settings, leases and code, command/ a command step's run, tabular/ the table-read threads.
 */
import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

import { createActor, waitFor } from 'xstate';

import { resolveNodeDial } from '../auth/node-join.js';
import { ParajobError } from '../errors.js';
import { HostSampler } from '../monitor/host-sampler.js';
import { resolveDialAny } from '../rpc/coordinator-list.js';
import { CoordinatorDialer } from './coordinator-dialer.js';
import { InputCache } from './inputs/input-cache.js';
import { remoteInputs } from './inputs/remote-inputs.js';
import { inputVisibility } from './inputs/visibility.js';
import { ensureCode } from './job/code-cache.js';
import { DEFAULT_NODE_TIMING, nodeMachine, type NodeTiming } from './node.machine.js';
import { NodeChaosAgent } from './node-chaos.js';
import { compileNodeOptions, type NodeOptions } from './node-options.js';
import { NodeOutbox } from './outbox.js';
import { packageVersion } from './package-root.js';
import type { ReadTableBatch } from './tabular/table-batches.js';
import { TableReadPool } from './tabular/table-read-pool.js';

export type { NodeOptions } from './node-options.js';

/** A started node. */
export interface RunningNode {
  /** The id the coordinator gave this node (set once registered; kept across reconnects). */
  readonly nodeId: string | undefined;
  /**
   * Resolves (with a sentence saying so) if the node gives up on its coordinator: unreachable for the
   * whole `reconnectForMs`. Its processes are stopped by then. Never resolves otherwise.
   */
  readonly gaveUp: Promise<string>;
  /**
   * Releases every job (running mini-batches are killed, shutdown() runs in every worker, job_left
   * is sent), closes the stream and the gRPC channels. Bounded by the drain timeout; idempotent.
   */
  stop(): Promise<void>;
}

/**
 * Not part of the public API: seams for tests and for wiring what other modules provide.
 * @internal
 */
export interface NodeInternals {
  /** Reads a tabular lease's rows. @default a TableReadPool (table-read-pool.ts) of `cores` threads */
  readonly readTableBatch?: ReadTableBatch;
  /** Connection timings. */
  readonly timing?: Partial<NodeTiming>;
}

/** The node gave up on its coordinator (see NodeOptions.reconnectForMs). */
export class CoordinatorUnreachableError extends ParajobError {
  override readonly name = 'CoordinatorUnreachableError';
}

/** How long stop() waits for the last stream to finish after the machine stopped. */
const STREAM_END_WAIT_MS = 2_000;

/**
 * Starts a node and resolves once the coordinator has registered it (it keeps retrying until then,
 * with capped exponential backoff). Throws TypeError for invalid options.
 */
export async function startNode(options: NodeOptions, internals: NodeInternals = {}): Promise<RunningNode> {
  const compiled = compileNodeOptions(options);
  const logger = compiled.logger;
  // With a state dir, the node's certificate (joining first if need be); else its token (src/auth).
  const dial =
    compiled.stateDir === undefined
      ? await resolveDialAny(compiled.coordinators, compiled.auth)
      : await resolveNodeDial(compiled.coordinators, compiled.auth, {
          name: compiled.name,
          stateDir: compiled.stateDir,
          waitMs: compiled.reconnectForMs,
          logger,
        });
  const coordinator = new CoordinatorDialer(compiled.coordinators, dial);
  // Input files this node does not see come from the coordinator into a cache of its own (src/node/inputs).
  const inputCache = await InputCache.open(join(compiled.cacheDir, 'inputs'), compiled.cacheMaxBytes);
  const timing: NodeTiming = { ...DEFAULT_NODE_TIMING, ...internals.timing };
  let lastStreamEnded: Promise<void> = Promise.resolve();
  const tableReaders = internals.readTableBatch === undefined ? new TableReadPool(compiled.cores) : undefined;

  const hostSampler = new HostSampler();
  const chaos = compiled.chaos.faults.length > 0 ? new NodeChaosAgent(compiled.chaos, logger) : undefined;
  const actor = createActor(nodeMachine, {
    input: {
      options: compiled,
      coordinator,
      ensureCode: (hash: string) => ensureCode(coordinator.code, compiled.cacheDir, hash),
      outbox: new NodeOutbox(chaos),
      readTableBatch: internals.readTableBatch ?? (tableReaders as TableReadPool).read,
      inputs: remoteInputs(
        () => coordinator.inputs,
        inputCache,
        inputVisibility(compiled.sharedFs),
        chaos === undefined ? undefined : (finished) => chaos.uploadChunkWritten(finished),
      ),
      timing,
      version: packageVersion(),
      host: hostname(),
      sampleHost: () => hostSampler.sample(),
      trackStream: (ended: Promise<void>) => {
        lastStreamEnded = ended;
      },
    },
  });
  actor.subscribe({
    error: (error) => logger.error({ error: String(error), stack: (error as Error).stack }, 'node machine failed'),
  });
  logger.info(
    {
      coordinator: compiled.coordinator,
      name: compiled.name,
      compute: compiled.compute,
      cores: compiled.cores,
      gpus: compiled.gpus,
    },
    'node starting',
  );
  if (compiled.chaos.faults.length > 0)
    logger.warn({ chaos: compiled.chaos.faults.map((fault) => fault.text) }, 'chaos: node faults armed');
  actor.start();

  const closeChannels = (): void => coordinator.close();
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (actor.getSnapshot().status === 'active') {
        actor.send({ type: 'node.stop' });
        await waitFor(actor, (snapshot) => snapshot.status !== 'active', {
          timeout: timing.drainTimeoutMs + 5_000,
        }).catch(() => undefined);
        actor.stop();
      }
      await Promise.race([
        lastStreamEnded,
        new Promise<void>((resolvePromise) => setTimeout(resolvePromise, STREAM_END_WAIT_MS).unref()),
      ]);
      closeChannels();
      await tableReaders?.close();
      await rm(inputCache.dir, { recursive: true, force: true });
    })());

  const gaveUpText = `the coordinator at ${compiled.coordinator} was unreachable for ${compiled.reconnectForMs} ms (reconnect window): the node gave up`;
  const gaveUp = waitFor(actor, (snapshot) => snapshot.matches('gaveUp'), { timeout: Infinity }).then(
    () => gaveUpText,
    () => new Promise<string>(() => undefined), // stopped otherwise: never gives up
  );
  try {
    const attached = await waitFor(
      actor,
      (snapshot) => snapshot.context.nodeId !== undefined || snapshot.status !== 'active',
    );
    if (attached.matches('gaveUp')) throw new CoordinatorUnreachableError(gaveUpText);
  } catch (error) {
    await stop();
    throw error;
  }
  void gaveUp.then(stop);
  return {
    get nodeId() {
      return actor.getSnapshot().context.nodeId;
    },
    gaveUp,
    stop,
  };
}
