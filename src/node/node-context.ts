/**
 * The node machine's types and what it computes (node.machine.ts is the diagram): its timings, input,
 * context and events, and pure builders of what it hands the actors it invokes and spawns (the stream's
 * hello, a job's input, a command run's input).
 */
import type { Logger } from 'pino';
import type { ActorRefFrom } from 'xstate';

import type { CommandRun, JobAssignment, NodeHello } from '../gen/parajob/v1/parajob.js';
import { logDirLayout } from '../log/layout.js';
import type { HostSample } from '../monitor/host-sampler.js';
import type { ClusterStreamEvent, ClusterStreamInput } from './cluster-stream.js';
import type { commandRunActor, CommandRunInput, CommandRunNotice } from './command/command-run.actor.js';
import type { CoordinatorDialer } from './coordinator-dialer.js';
import type { NodeInputs } from './inputs/remote-inputs.js';
import type { JobInput, JobLeftNotice, JobRef } from './job/job.machine.js';
import { type JobLog, makeJobLog } from './job/job-log.js';
import type { CompiledNodeOptions } from './node-options.js';
import type { NodeOutbox } from './outbox.js';
import type { ReadTableBatch } from './tabular/table-batches.js';

/** Timings of the node's connection; all in milliseconds. */
export interface NodeTiming {
  /** First reconnect delay; doubles per failed attempt up to `reconnectMaxMs`. */
  readonly reconnectInitialMs: number;
  readonly reconnectMaxMs: number;
  /** How long one attempt waits for the channel to connect. */
  readonly connectTimeoutMs: number;
  /** How long the node waits for `welcome` after `hello`. */
  readonly registerTimeoutMs: number;
  /** How long a stopping node waits for its jobs to leave. */
  readonly drainTimeoutMs: number;
  /** Heartbeat interval when the welcome says 0. */
  readonly defaultHeartbeatMs: number;
}

export const DEFAULT_NODE_TIMING: NodeTiming = {
  reconnectInitialMs: 200,
  reconnectMaxMs: 5_000,
  connectTimeoutMs: 5_000,
  registerTimeoutMs: 10_000,
  drainTimeoutMs: 20_000,
  defaultHeartbeatMs: 5_000,
};

export interface NodeMachineInput {
  readonly options: CompiledNodeOptions;
  /** The coordinator's channels: connect() finds the one that answers (coordinator-dialer.ts). */
  readonly coordinator: CoordinatorDialer;
  /** Makes code snapshot `hash` available in the cache; resolves with its folder. */
  readonly ensureCode: (hash: string) => Promise<string>;
  readonly outbox: NodeOutbox;
  readonly readTableBatch: ReadTableBatch;
  /** Input files the node does not see, fetched from the coordinator (src/node/inputs); undefined: none fetched. */
  readonly inputs?: NodeInputs;
  readonly timing: NodeTiming;
  /** parajob's version, sent in hello. */
  readonly version: string;
  readonly host: string;
  /** Receives, per stream, a promise settled when that stream has fully ended. */
  readonly trackStream: (ended: Promise<void>) => void;
  /** Samples the machine for each heartbeat (the resource monitor); undefined: heartbeats carry none. */
  readonly sampleHost?: () => HostSample;
}

export interface RunningJob {
  readonly ref: JobRef;
  readonly log: JobLog;
}

export interface NodeContext {
  readonly input: NodeMachineInput;
  readonly logger: Logger;
  readonly nodeId: string | undefined;
  readonly heartbeatIntervalMs: number;
  /** The coordinator's session timeout (proto Welcome); 0 until told. */
  readonly sessionTimeoutMs: number;
  readonly heartbeatSeq: number;
  readonly reconnectAttempts: number;
  /** Since when (ms since the epoch) the coordinator is unreachable; undefined while attached. */
  readonly unreachableSinceMs: number | undefined;
  readonly jobs: Readonly<Record<string, RunningJob>>;
  /** Command runs in progress, by wire job id. */
  readonly commands: Readonly<Record<string, ActorRefFrom<typeof commandRunActor>>>;
}

export type NodeEvent =
  | ClusterStreamEvent
  | JobLeftNotice
  | CommandRunNotice
  | { readonly type: 'node.stop' }
  /** Out of touch with the coordinator for its session timeout (a delayed event the node raises itself). */
  | { readonly type: 'contact.expired' };

/** Grace between SIGTERM and SIGKILL of a command's process group. */
const COMMAND_KILL_GRACE_MS = 2_000;

/** The stream's input: the hello names this node again (node_id and job_ids) after a reconnect. */
export function streamInputOf(context: NodeContext): ClusterStreamInput {
  const { options } = context.input;
  const hello: NodeHello = {
    name: options.name,
    compute: options.compute,
    cores: options.cores,
    gpus: options.gpus,
    host: context.input.host,
    pid: process.pid,
    version: context.input.version,
    nodeId: context.nodeId ?? '',
    jobIds: Object.keys(context.jobs),
    heldLeases: context.input.outbox.held.list(),
  };
  return {
    client: context.input.coordinator.cluster,
    hello,
    outbox: context.input.outbox,
    track: context.input.trackStream,
  };
}

/**
 * What a job spawned for `assignment` is given, and its log: made here, not opened (the node machine
 * opens it in an action once the job is spawned; job-log.ts).
 */
export function jobStartOf(
  context: NodeContext,
  nodeId: string,
  assignment: JobAssignment,
): { readonly input: JobInput; readonly log: JobLog } {
  const { options } = context.input;
  const log = makeJobLog(options.logger, logDirLayout(assignment.logDir).nodeMain(nodeId), nodeId, assignment.jobId);
  const input: JobInput = {
    assignment,
    node: {
      nodeId,
      cores: options.cores,
      gpus: options.gpus,
      cacheDir: options.cacheDir,
      ...(options.python === undefined ? {} : { python: options.python }),
    },
    outbox: context.input.outbox,
    logger: log.logger,
    ensureCode: context.input.ensureCode,
    readTableBatch: context.input.readTableBatch,
    ...(context.input.inputs === undefined ? {} : { inputs: context.input.inputs }),
  };
  return { input, log };
}

/** What a command run spawned for `run` is given. */
export function commandInputOf(context: NodeContext, run: CommandRun): CommandRunInput {
  return {
    run,
    cacheDir: context.input.options.cacheDir,
    ensureCode: context.input.ensureCode,
    outbox: context.input.outbox,
    logger: context.logger.child({ jobId: run.jobId, step: run.stepName }),
    killGraceMs: COMMAND_KILL_GRACE_MS,
  };
}

/** Capped exponential: reconnectInitialMs, doubled per failed attempt, at most reconnectMaxMs. */
export function reconnectDelayMs(timing: NodeTiming, attempts: number): number {
  return Math.min(timing.reconnectMaxMs, timing.reconnectInitialMs * 2 ** Math.max(0, attempts - 1));
}
