/**
 * The node machine: one per node process. It keeps the node attached to its coordinator and runs a
 * job machine (job.machine.ts) per job it is assigned.
 *
 * connecting        waits for the coordinator's channel.  ready → attached; error/timeout → reconnecting
 * attached          invokes the Cluster.Attach stream actor. stream.closed → reconnecting (jobs told)
 *   registering     `hello` sent (with the node_id and job_ids it had).  stream.welcome → ready;
 *                   after registerTimeout → reconnecting
 *   ready           jobs told the connection is back; a heartbeat every heartbeat_interval_ms.
 *                   stream.message → assign spawns a job; leases/revoke/release go to their job;
 *                   command_run spawns a command run (command/command-run.actor.ts), command_cancel
 *                   goes to it; it says command.finished once its command_ended is sent
 *                   node.stop → draining
 *   draining        every job released, every command cancelled; none left (or after drainTimeout) → stopped
 * reconnecting      after reconnectBackoff (capped exponential) → connecting
 * stopped (final)   leaving `attached` half-closes the stream after the last writes
 * Jobs keep running while the stream is down; their results wait in the outbox (outbox.ts).
 * node.stop while not attached → stopped at once (processes are killed with the machine).
 */
import type { Logger } from 'pino';
import { type ActorRefFrom, assertEvent, assign, enqueueActions, fromPromise, setup, stopChild } from 'xstate';

import type {
  ClusterClient,
  CommandRun,
  CoordinatorMessage,
  JobAssignment,
  NodeHello,
} from '../gen/parajob/v1/parajob.js';
import { logDirLayout } from '../log/layout.js';
import { deadlineIn } from '../rpc/options.js';
import { clusterStreamActor, type ClusterStreamEvent } from './cluster-stream.js';
import { commandRunActor, type CommandRunNotice } from './command/command-run.actor.js';
import { jobMachine, type JobRef, runningCount } from './job/job.machine.js';
import { type JobLog, openJobLog } from './job/job-log.js';
import type { CompiledNodeOptions } from './node-options.js';
import type { NodeOutbox } from './outbox.js';
import { NOT_RUN, returnedResult } from './processor/batch-results.js';
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
  readonly clusterClient: ClusterClient;
  /** Makes code snapshot `hash` available in the cache; resolves with its folder. */
  readonly ensureCode: (hash: string) => Promise<string>;
  readonly outbox: NodeOutbox;
  readonly readTableBatch: ReadTableBatch;
  readonly timing: NodeTiming;
  /** parajob's version, sent in hello. */
  readonly version: string;
  readonly host: string;
  /** Receives, per stream, a promise settled when that stream has fully ended. */
  readonly trackStream: (ended: Promise<void>) => void;
}

interface RunningJob {
  readonly ref: JobRef;
  readonly log: JobLog;
}

interface NodeContext {
  readonly input: NodeMachineInput;
  readonly logger: Logger;
  readonly nodeId: string | undefined;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatSeq: number;
  readonly reconnectAttempts: number;
  readonly jobs: Readonly<Record<string, RunningJob>>;
  /** Command runs in progress, by wire job id. */
  readonly commands: Readonly<Record<string, ActorRefFrom<typeof commandRunActor>>>;
}

type NodeEvent =
  | ClusterStreamEvent
  | { readonly type: 'job.left'; readonly jobId: string; readonly reason: string }
  | CommandRunNotice
  | { readonly type: 'node.stop' };

function jobIdOf(message: CoordinatorMessage): string | undefined {
  switch (message.kind?.$case) {
    case 'assign':
    case 'leases':
    case 'revoke':
    case 'release':
      return message.kind.value.jobId;
    default:
      return undefined;
  }
}

/** Grace between SIGTERM and SIGKILL of a command's process group. */
const COMMAND_KILL_GRACE_MS = 2_000;

function commandRunOf(event: NodeEvent): CommandRun {
  if (event.type !== 'stream.message' || event.message.kind?.$case !== 'commandRun')
    throw new TypeError(`not a command run: ${event.type}`);
  return event.message.kind.value;
}

function assignmentOf(event: NodeEvent): JobAssignment {
  if (event.type !== 'stream.message' || event.message.kind?.$case !== 'assign')
    throw new TypeError(`not an assignment: ${event.type}`);
  return event.message.kind.value;
}

/** The node machine; see the module comment. */
export const nodeMachine = setup({
  types: {
    context: {} as NodeContext,
    events: {} as NodeEvent,
    input: {} as NodeMachineInput,
  },
  actors: {
    clusterStream: clusterStreamActor,
    job: jobMachine,
    commandRun: commandRunActor,
    waitForCoordinator: fromPromise<void, { readonly client: ClusterClient; readonly timeoutMs: number }>(
      ({ input }) =>
        new Promise<void>((resolvePromise, reject) => {
          input.client.waitForReady(deadlineIn(input.timeoutMs), (error) => (error ? reject(error) : resolvePromise()));
        }),
    ),
  },
  actions: {
    logConnectFailure: ({ context }, params: { readonly error: unknown }) => {
      context.logger.warn(
        {
          coordinator: context.input.options.coordinator,
          error: String(params.error),
          attempt: context.reconnectAttempts + 1,
        },
        'cannot reach the coordinator',
      );
    },
    logDisconnected: ({ context, event }) => {
      const reason = event.type === 'stream.closed' ? event.reason : 'no welcome in time';
      context.logger.warn({ reason }, 'disconnected from the coordinator');
    },
    countReconnect: assign({ reconnectAttempts: ({ context }) => context.reconnectAttempts + 1 }),
    register: assign(({ context, event }) => {
      assertEvent(event, 'stream.welcome');
      context.logger.info(
        { nodeId: event.nodeId, heartbeatIntervalMs: event.heartbeatIntervalMs, jobs: Object.keys(context.jobs) },
        'registered with the coordinator',
      );
      return {
        nodeId: event.nodeId,
        heartbeatIntervalMs:
          event.heartbeatIntervalMs > 0 ? event.heartbeatIntervalMs : context.input.timing.defaultHeartbeatMs,
        reconnectAttempts: 0,
        logger: context.input.options.logger.child({ nodeId: event.nodeId }),
      };
    }),
    tellJobsConnected: enqueueActions(({ context, enqueue }) => {
      for (const job of Object.values(context.jobs)) enqueue.sendTo(job.ref, { type: 'connection.restored' });
    }),
    tellJobsDisconnected: enqueueActions(({ context, enqueue }) => {
      for (const job of Object.values(context.jobs)) enqueue.sendTo(job.ref, { type: 'connection.lost' });
    }),
    sendHeartbeat: enqueueActions(({ context, enqueue }) => {
      const running = Object.values(context.jobs).reduce((sum, job) => sum + runningCount(job.ref), 0);
      context.input.outbox.send({
        kind: { $case: 'heartbeat', value: { seq: context.heartbeatSeq, sentAtMs: Date.now(), running } },
      });
      enqueue.assign({ heartbeatSeq: context.heartbeatSeq + 1 });
    }),
    startJob: assign({
      jobs: ({ context, spawn }, params: { readonly assignment: JobAssignment }) => {
        const { assignment } = params;
        const nodeId = context.nodeId as string;
        if (context.jobs[assignment.jobId] !== undefined) {
          context.logger.info({ jobId: assignment.jobId }, 'already serving this job; assignment ignored');
          return context.jobs;
        }
        const { options } = context.input;
        const log = openJobLog(
          options.logger,
          logDirLayout(assignment.logDir).nodeMain(nodeId),
          nodeId,
          assignment.jobId,
        );
        context.logger.info(
          { jobId: assignment.jobId, jobName: assignment.jobName, stepName: assignment.stepName },
          'job assigned',
        );
        const ref = spawn('job', {
          id: `job:${assignment.jobId}`,
          input: {
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
          },
        });
        return { ...context.jobs, [assignment.jobId]: { ref, log } };
      },
    }),
    startCommand: assign({
      commands: ({ context, spawn }, params: { readonly run: CommandRun }) => {
        const { run } = params;
        if (context.commands[run.jobId] !== undefined) {
          context.logger.info({ jobId: run.jobId }, 'already running this command; command run ignored');
          return context.commands;
        }
        context.logger.info({ jobId: run.jobId, stepName: run.stepName }, 'command run assigned');
        const ref = spawn('commandRun', {
          id: `command:${run.jobId}`,
          input: {
            run,
            cacheDir: context.input.options.cacheDir,
            ensureCode: context.input.ensureCode,
            outbox: context.input.outbox,
            logger: context.logger.child({ jobId: run.jobId, step: run.stepName }),
            killGraceMs: COMMAND_KILL_GRACE_MS,
          },
        });
        return { ...context.commands, [run.jobId]: ref };
      },
    }),
    cancelCommand: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'stream.message');
      if (event.message.kind?.$case !== 'commandCancel') return;
      const { jobId, reason } = event.message.kind.value;
      const ref = context.commands[jobId];
      if (ref !== undefined) enqueue.sendTo(ref, { type: 'command.cancel', reason });
      else
        context.input.outbox.send({
          kind: {
            $case: 'commandEnded',
            value: {
              jobId,
              exitCode: -1,
              signal: '',
              timedOut: false,
              cancelled: true,
              errorMessage: 'not running here',
              startedAtMs: 0,
              endedAtMs: Date.now(),
            },
          },
        });
    }),
    cancelAllCommands: enqueueActions(({ context, enqueue }) => {
      for (const ref of Object.values(context.commands))
        enqueue.sendTo(ref, { type: 'command.cancel', reason: 'node stopping' });
    }),
    removeCommand: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'command.finished');
      const ref = context.commands[event.jobId];
      if (ref === undefined) return;
      enqueue(stopChild(ref));
      const rest = { ...context.commands };
      delete rest[event.jobId];
      enqueue.assign({ commands: rest });
    }),
    routeToJob: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'stream.message');
      const { kind } = event.message;
      const jobId = jobIdOf(event.message);
      if (kind === undefined || jobId === undefined) return;
      const job = context.jobs[jobId];
      if (kind.$case === 'assign') return; // startJob handles it
      if (job !== undefined) {
        if (kind.$case === 'leases') enqueue.sendTo(job.ref, { type: 'lease.granted', leases: kind.value.leases });
        else if (kind.$case === 'revoke') enqueue.sendTo(job.ref, { type: 'lease.revoke', token: kind.value.token });
        else if (kind.$case === 'release') enqueue.sendTo(job.ref, { type: 'job.release', reason: kind.value.reason });
      } else if (kind.$case === 'leases') {
        // Leases for a job this node no longer serves go straight back to the queue.
        for (const lease of kind.value.leases) {
          context.input.outbox.sendResult(
            jobId,
            returnedResult({ lease, receivedAtMs: Date.now() }, NOT_RUN, 'node does not serve this job'),
          );
        }
      } else if (kind.$case === 'release') {
        // Nothing to stop: say so at once so the coordinator does not wait for this node.
        context.input.outbox.send({
          kind: { $case: 'jobLeft', value: { jobId, reason: 'released: not running here' } },
        });
      }
    }),
    removeJob: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'job.left');
      const job = context.jobs[event.jobId];
      if (job === undefined) return;
      context.logger.info({ jobId: event.jobId, reason: event.reason }, 'job left');
      job.log.close();
      enqueue(stopChild(job.ref));
      const rest = { ...context.jobs };
      delete rest[event.jobId];
      enqueue.assign({ jobs: rest });
    }),
    releaseAllJobs: enqueueActions(({ context, enqueue }) => {
      for (const job of Object.values(context.jobs))
        enqueue.sendTo(job.ref, { type: 'job.release', reason: 'node stopping' });
    }),
    closeJobLogs: ({ context }) => {
      for (const job of Object.values(context.jobs)) job.log.close();
    },
    logStopped: ({ context }) => context.logger.info('node stopped'),
  },
  guards: {
    isAssignment: ({ event }) => event.type === 'stream.message' && event.message.kind?.$case === 'assign',
    isCommandRun: ({ event }) => event.type === 'stream.message' && event.message.kind?.$case === 'commandRun',
    isCommandCancel: ({ event }) => event.type === 'stream.message' && event.message.kind?.$case === 'commandCancel',
    noJobs: ({ context }) => Object.keys(context.jobs).length === 0 && Object.keys(context.commands).length === 0,
  },
  delays: {
    reconnectBackoff: ({ context }) =>
      Math.min(
        context.input.timing.reconnectMaxMs,
        context.input.timing.reconnectInitialMs * 2 ** Math.max(0, context.reconnectAttempts - 1),
      ),
    heartbeatInterval: ({ context }) => context.heartbeatIntervalMs,
    registerTimeout: ({ context }) => context.input.timing.registerTimeoutMs,
    drainTimeout: ({ context }) => context.input.timing.drainTimeoutMs,
  },
}).createMachine({
  id: 'node',
  context: ({ input }) => ({
    input,
    logger: input.options.logger,
    nodeId: undefined,
    heartbeatIntervalMs: input.timing.defaultHeartbeatMs,
    heartbeatSeq: 0,
    reconnectAttempts: 0,
    jobs: {},
    commands: {},
  }),
  initial: 'connecting',
  on: {
    'job.left': { actions: 'removeJob' },
    'command.finished': { actions: 'removeCommand' },
  },
  states: {
    connecting: {
      invoke: {
        src: 'waitForCoordinator',
        input: ({ context }) => ({
          client: context.input.clusterClient,
          timeoutMs: context.input.timing.connectTimeoutMs,
        }),
        onDone: { target: 'attached' },
        onError: {
          target: 'reconnecting',
          actions: { type: 'logConnectFailure', params: ({ event }) => ({ error: event.error }) },
        },
      },
      on: { 'node.stop': { target: 'stopped' } },
    },
    attached: {
      invoke: {
        src: 'clusterStream',
        input: ({
          context,
        }): { client: ClusterClient; hello: NodeHello; outbox: NodeOutbox; track: (ended: Promise<void>) => void } => {
          const { options } = context.input;
          return {
            client: context.input.clusterClient,
            hello: {
              name: options.name,
              compute: options.compute,
              cores: options.cores,
              gpus: options.gpus,
              host: context.input.host,
              pid: process.pid,
              version: context.input.version,
              nodeId: context.nodeId ?? '',
              jobIds: Object.keys(context.jobs),
            },
            outbox: context.input.outbox,
            track: context.input.trackStream,
          };
        },
      },
      initial: 'registering',
      on: {
        'stream.closed': { target: 'reconnecting', actions: ['logDisconnected', 'tellJobsDisconnected'] },
      },
      states: {
        registering: {
          after: {
            registerTimeout: { target: '#node.reconnecting', actions: ['logDisconnected', 'tellJobsDisconnected'] },
          },
          on: {
            'stream.welcome': { target: 'ready', actions: 'register' },
            'node.stop': { target: '#node.stopped' },
          },
        },
        ready: {
          entry: 'tellJobsConnected',
          initial: 'beating',
          states: {
            beating: {
              after: { heartbeatInterval: { target: 'beating', reenter: true, actions: 'sendHeartbeat' } },
            },
          },
          on: {
            'stream.message': [
              {
                guard: 'isAssignment',
                actions: { type: 'startJob', params: ({ event }) => ({ assignment: assignmentOf(event) }) },
              },
              {
                guard: 'isCommandRun',
                actions: { type: 'startCommand', params: ({ event }) => ({ run: commandRunOf(event) }) },
              },
              { guard: 'isCommandCancel', actions: 'cancelCommand' },
              { actions: 'routeToJob' },
            ],
            'node.stop': { target: 'draining' },
          },
        },
        draining: {
          entry: ['releaseAllJobs', 'cancelAllCommands'],
          always: { guard: 'noJobs', target: '#node.stopped' },
          after: { drainTimeout: { target: '#node.stopped' } },
          on: {
            'stream.message': { actions: 'routeToJob' },
            'stream.closed': { target: '#node.stopped' },
          },
        },
      },
    },
    reconnecting: {
      entry: 'countReconnect',
      after: { reconnectBackoff: { target: 'connecting' } },
      on: { 'node.stop': { target: 'stopped' } },
    },
    stopped: {
      type: 'final',
      entry: ['closeJobLogs', 'logStopped'],
    },
  },
});
