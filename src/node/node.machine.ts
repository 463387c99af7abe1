/**
 * The node machine: one per node process. It keeps the node attached to its coordinator and runs a
 * job machine (job.machine.ts) per job it is assigned.
 *
 * connecting        dials the coordinator (every address of a list: the first that answers is used,
 *                   coordinator-dialer.ts).  ready → attached; error/timeout → reconnecting
 * attached          invokes the Cluster.Attach stream actor. stream.closed → reconnecting (jobs told)
 *   registering     `hello` sent (with the node_id and job_ids it had).  stream.welcome → ready;
 *                   after registerTimeout → reconnecting
 *   ready           jobs told the connection is back; a heartbeat every heartbeat_interval_ms.
 *                   coordinator.assign → a job spawned (its log opened); one it already serves is ignored
 *                   coordinator.leases / .revoke / .release → to their job; for a job not served here,
 *                   leases are handed back and a release answered with job_left at once
 *                   coordinator.commandRun → a command run spawned (command/command-run.actor.ts);
 *                   coordinator.commandCancel → to it, or answered with command_ended if not running;
 *                   it says command.finished once its command_ended is sent
 *                   node.stop → draining
 *   draining        every job released, every command cancelled; leases/revoke/release still routed;
 *                   none left (or after drainTimeout) → stopped
 *   (any)           coordinator.resultsAck → the outbox forgets those results (and their leases)
 * reconnecting      after reconnectBackoff (capped exponential) → connecting; once the coordinator has
 *                   been unreachable for options.reconnectForMs (since the stream was lost, or since
 *                   the start when it was never reached) → gaveUp
 * gaveUp (final)    logged as an error; processes are killed with the machine
 * Out of touch: leaving `ready` arms a timer of the session timeout the welcome told; entering `ready`
 * again disarms it. Should it fire (contact.expired), every command run is killed (command.fence):
 * the coordinator has declared this node lost and runs those steps elsewhere once that time has passed.
 * stopped (final)   leaving `attached` half-closes the stream after the last writes
 * Jobs keep running while the stream is down; their results wait in the outbox (outbox.ts), which also
 * keeps every written result until the coordinator's results_ack and writes it again after a reconnect,
 * and keeps the book of the leases the node answers for (said in the next hello: held-leases.ts).
 * node.stop while not attached → stopped at once (processes are killed with the machine).
 */
import { assign, cancel, enqueueActions, fromPromise, setup, stopChild } from 'xstate';

import type { JobAssignment, Lease, NodeMessage } from '../gen/parajob/v1/parajob.js';
import { clusterStreamActor } from './cluster-stream.js';
import { commandRunActor } from './command/command-run.actor.js';
import type { CoordinatorDialer } from './coordinator-dialer.js';
import { heartbeat, notRunningCommandEnded, unservedLeaseReplies } from './coordinator-events.js';
import { type JobCommand, jobMachine, runningCount } from './job/job.machine.js';
import { type EventOf, jobIdOf, routeToJobs } from './job-routing.js';
import {
  commandInputOf,
  jobStartOf,
  type NodeContext,
  type NodeEvent,
  type NodeMachineInput,
  reconnectDelayMs,
  streamInputOf,
} from './node-context.js';

export { DEFAULT_NODE_TIMING, type NodeMachineInput, type NodeTiming } from './node-context.js';

/** What the welcome told: node id, heartbeat interval, session timeout. */
type WelcomeParams = Omit<Extract<NodeEvent, { readonly type: 'stream.welcome' }>, 'type'>;
/** Id of the delayed contact.expired event (see the module comment). */
const CONTACT_TIMER = 'contact-timer';

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
    waitForCoordinator: fromPromise<void, { readonly coordinator: CoordinatorDialer; readonly timeoutMs: number }>(
      ({ input }) => input.coordinator.connect(input.timeoutMs),
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
    countReconnect: assign({
      reconnectAttempts: ({ context }) => context.reconnectAttempts + 1,
      unreachableSinceMs: ({ context }) => context.unreachableSinceMs ?? Date.now(),
    }),
    logGaveUp: ({ context }) => {
      context.logger.error(
        {
          coordinator: context.input.options.coordinator,
          reconnectForMs: context.input.options.reconnectForMs,
          attempts: context.reconnectAttempts,
        },
        'gave up on the coordinator: unreachable for the whole reconnect window (--reconnect-for)',
      );
    },
    register: assign(({ context }, params: WelcomeParams) => ({
      nodeId: params.nodeId,
      sessionTimeoutMs: params.sessionTimeoutMs,
      heartbeatIntervalMs:
        params.heartbeatIntervalMs > 0 ? params.heartbeatIntervalMs : context.input.timing.defaultHeartbeatMs,
      reconnectAttempts: 0,
      unreachableSinceMs: undefined,
      logger: context.input.options.logger.child({ nodeId: params.nodeId }),
    })),
    armContactTimer: enqueueActions(({ context, enqueue }) => {
      if (context.sessionTimeoutMs > 0)
        enqueue.raise({ type: 'contact.expired' }, { id: CONTACT_TIMER, delay: context.sessionTimeoutMs });
    }),
    disarmContactTimer: cancel(CONTACT_TIMER),
    fenceAllCommands: enqueueActions(({ context, enqueue }) => {
      const running = Object.keys(context.commands);
      if (running.length === 0) return;
      const reason = `out of touch with the coordinator for more than its session timeout (${context.sessionTimeoutMs} ms): the step runs elsewhere`;
      context.logger.warn({ commands: running }, `killing command runs: ${reason}`);
      for (const ref of Object.values(context.commands)) enqueue.sendTo(ref, { type: 'command.fence', reason });
    }),
    logRegistered: ({ context }) => {
      context.logger.info(
        { nodeId: context.nodeId, heartbeatIntervalMs: context.heartbeatIntervalMs, jobs: Object.keys(context.jobs) },
        'registered with the coordinator',
      );
    },
    tellJobsConnected: enqueueActions(({ context, enqueue }) => {
      for (const job of Object.values(context.jobs)) enqueue.sendTo(job.ref, { type: 'connection.restored' });
    }),
    tellJobsDisconnected: enqueueActions(({ context, enqueue }) => {
      for (const job of Object.values(context.jobs)) enqueue.sendTo(job.ref, { type: 'connection.lost' });
    }),
    sendHeartbeat: ({ context }) => {
      const running = Object.values(context.jobs).reduce((sum, job) => sum + runningCount(job.ref), 0);
      context.input.outbox.send(heartbeat(context.heartbeatSeq, running, Date.now(), context.input.sampleHost?.()));
    },
    countHeartbeat: assign({ heartbeatSeq: ({ context }) => context.heartbeatSeq + 1 }),
    startJob: assign({
      jobs: ({ context, spawn }, params: { readonly assignment: JobAssignment }) => {
        const { input, log } = jobStartOf(context, context.nodeId as string, params.assignment);
        const ref = spawn('job', { id: `job:${params.assignment.jobId}`, input });
        return { ...context.jobs, [params.assignment.jobId]: { ref, log } };
      },
    }),
    openJobLog: ({ context }, params: { readonly jobId: string }) => context.jobs[params.jobId]?.log.open(),
    logJobAssigned: ({ context }, params: { readonly assignment: JobAssignment }) => {
      const { jobId, jobName, stepName } = params.assignment;
      context.logger.info({ jobId, jobName, stepName }, 'job assigned');
    },
    logAssignmentIgnored: ({ context }, params: { readonly jobId: string }) => {
      context.logger.info({ jobId: params.jobId }, 'already serving this job; assignment ignored');
    },
    tellJob: enqueueActions(
      ({ context, enqueue }, params: { readonly jobId: string; readonly command: JobCommand }) => {
        const job = context.jobs[params.jobId];
        if (job !== undefined) enqueue.sendTo(job.ref, params.command);
      },
    ),
    returnUnservedLeases: ({ context }, params: { readonly jobId: string; readonly leases: readonly Lease[] }) => {
      for (const { jobId, result } of unservedLeaseReplies(params.jobId, params.leases, Date.now()))
        context.input.outbox.sendResult(jobId, result);
    },
    send: ({ context }, params: { readonly message: NodeMessage }) => context.input.outbox.send(params.message),
    /** The coordinator is done with these results: the outbox stops keeping them for a resend. */
    acknowledgeResults: ({ context }, params: { readonly jobId: string; readonly tokens: readonly number[] }) =>
      context.input.outbox.acknowledge(params.jobId, params.tokens),
    /** Leases granted to a job served here: the node answers for them (the next hello says so). */
    holdLeases: ({ context }, params: { readonly jobId: string; readonly tokens: readonly number[] }) =>
      context.input.outbox.held.granted(params.jobId, params.tokens),
    settleLeases: ({ context }, params: { readonly jobId: string; readonly tokens: readonly number[] }) =>
      context.input.outbox.held.settled(params.jobId, params.tokens),
    forgetHeldLeases: ({ context }, params: { readonly jobId: string }) =>
      context.input.outbox.held.forgetJob(params.jobId),
    replyCommandNotRunning: ({ context }, params: { readonly jobId: string }) => {
      context.input.outbox.send(notRunningCommandEnded(params.jobId, Date.now()));
    },
    startCommand: assign({
      commands: ({ context, spawn }, params: { readonly run: EventOf<'coordinator.commandRun'>['run'] }) => {
        const ref = spawn('commandRun', {
          id: `command:${params.run.jobId}`,
          input: commandInputOf(context, params.run),
        });
        return { ...context.commands, [params.run.jobId]: ref };
      },
    }),
    logCommandAssigned: ({ context }, params: { readonly jobId: string; readonly stepName: string }) => {
      context.logger.info({ jobId: params.jobId, stepName: params.stepName }, 'command run assigned');
    },
    logCommandIgnored: ({ context }, params: { readonly jobId: string }) => {
      context.logger.info({ jobId: params.jobId }, 'already running this command; command run ignored');
    },
    cancelCommand: enqueueActions(
      ({ context, enqueue }, params: { readonly jobId: string; readonly reason: string }) => {
        const ref = context.commands[params.jobId];
        if (ref !== undefined) enqueue.sendTo(ref, { type: 'command.cancel', reason: params.reason });
      },
    ),
    cancelAllCommands: enqueueActions(({ context, enqueue }) => {
      for (const ref of Object.values(context.commands))
        enqueue.sendTo(ref, { type: 'command.cancel', reason: 'node stopping' });
    }),
    removeCommand: enqueueActions(({ context, enqueue }, params: { readonly jobId: string }) => {
      const ref = context.commands[params.jobId];
      if (ref === undefined) return;
      enqueue(stopChild(ref));
      const rest = { ...context.commands };
      delete rest[params.jobId];
      enqueue.assign({ commands: rest });
    }),
    logJobLeft: ({ context }, params: { readonly jobId: string; readonly reason: string }) => {
      context.logger.info({ jobId: params.jobId, reason: params.reason }, 'job left');
    },
    closeJobLog: ({ context }, params: { readonly jobId: string }) => context.jobs[params.jobId]?.log.close(),
    removeJob: enqueueActions(({ context, enqueue }, params: { readonly jobId: string }) => {
      const job = context.jobs[params.jobId];
      if (job === undefined) return;
      enqueue(stopChild(job.ref));
      const rest = { ...context.jobs };
      delete rest[params.jobId];
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
    servesJob: ({ context }, params: { readonly jobId: string }) => context.jobs[params.jobId] !== undefined,
    runsCommand: ({ context }, params: { readonly jobId: string }) => context.commands[params.jobId] !== undefined,
    noJobs: ({ context }) => Object.keys(context.jobs).length === 0 && Object.keys(context.commands).length === 0,
    reconnectWindowOver: ({ context }) =>
      context.unreachableSinceMs !== undefined &&
      Date.now() - context.unreachableSinceMs >= context.input.options.reconnectForMs,
  },
  delays: {
    reconnectBackoff: ({ context }) => reconnectDelayMs(context.input.timing, context.reconnectAttempts),
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
    sessionTimeoutMs: 0,
    heartbeatSeq: 0,
    reconnectAttempts: 0,
    // Counted from the start until the first welcome: a node started before its coordinator waits too.
    unreachableSinceMs: Date.now(),
    jobs: {},
    commands: {},
  }),
  initial: 'connecting',
  on: {
    'job.left': {
      guard: { type: 'servesJob', params: jobIdOf },
      actions: [
        { type: 'logJobLeft', params: ({ event }) => ({ jobId: event.jobId, reason: event.reason }) },
        { type: 'closeJobLog', params: jobIdOf },
        { type: 'forgetHeldLeases', params: jobIdOf },
        { type: 'removeJob', params: jobIdOf },
      ],
    },
    'command.finished': { actions: { type: 'removeCommand', params: jobIdOf } },
    'contact.expired': { actions: 'fenceAllCommands' },
  },
  states: {
    connecting: {
      invoke: {
        src: 'waitForCoordinator',
        input: ({ context }) => ({
          coordinator: context.input.coordinator,
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
      invoke: { src: 'clusterStream', input: ({ context }) => streamInputOf(context) },
      initial: 'registering',
      on: {
        'stream.closed': { target: 'reconnecting', actions: ['logDisconnected', 'tellJobsDisconnected'] },
        'coordinator.resultsAck': {
          actions: {
            type: 'acknowledgeResults',
            params: ({ event }) => ({ jobId: event.jobId, tokens: event.tokens }),
          },
        },
      },
      states: {
        registering: {
          after: {
            registerTimeout: { target: '#node.reconnecting', actions: ['logDisconnected', 'tellJobsDisconnected'] },
          },
          on: {
            'stream.welcome': {
              target: 'ready',
              actions: [
                {
                  type: 'register',
                  params: ({ event }) => event,
                },
                'logRegistered',
              ],
            },
            'node.stop': { target: '#node.stopped' },
          },
        },
        ready: {
          entry: ['disarmContactTimer', 'tellJobsConnected'],
          exit: 'armContactTimer',
          initial: 'beating',
          states: {
            beating: {
              after: {
                heartbeatInterval: { target: 'beating', reenter: true, actions: ['sendHeartbeat', 'countHeartbeat'] },
              },
            },
          },
          on: {
            'coordinator.assign': [
              {
                guard: { type: 'servesJob', params: ({ event }) => ({ jobId: event.assignment.jobId }) },
                actions: {
                  type: 'logAssignmentIgnored',
                  params: ({ event }) => ({ jobId: event.assignment.jobId }),
                },
              },
              {
                actions: [
                  { type: 'logJobAssigned', params: ({ event }) => ({ assignment: event.assignment }) },
                  { type: 'startJob', params: ({ event }) => ({ assignment: event.assignment }) },
                  { type: 'openJobLog', params: ({ event }) => ({ jobId: event.assignment.jobId }) },
                ],
              },
            ],
            'coordinator.commandRun': [
              {
                guard: { type: 'runsCommand', params: ({ event }) => ({ jobId: event.run.jobId }) },
                actions: { type: 'logCommandIgnored', params: ({ event }) => ({ jobId: event.run.jobId }) },
              },
              {
                actions: [
                  {
                    type: 'logCommandAssigned',
                    params: ({ event }) => ({ jobId: event.run.jobId, stepName: event.run.stepName }),
                  },
                  { type: 'startCommand', params: ({ event }) => ({ run: event.run }) },
                ],
              },
            ],
            'coordinator.commandCancel': [
              {
                guard: { type: 'runsCommand', params: jobIdOf },
                actions: {
                  type: 'cancelCommand',
                  params: ({ event }) => ({ jobId: event.jobId, reason: event.reason }),
                },
              },
              { actions: { type: 'replyCommandNotRunning', params: jobIdOf } },
            ],
            ...routeToJobs,
            'node.stop': { target: 'draining' },
          },
        },
        draining: {
          entry: ['releaseAllJobs', 'cancelAllCommands'],
          always: { guard: 'noJobs', target: '#node.stopped' },
          after: { drainTimeout: { target: '#node.stopped' } },
          on: {
            ...routeToJobs,
            'stream.closed': { target: '#node.stopped' },
          },
        },
      },
    },
    reconnecting: {
      entry: 'countReconnect',
      after: {
        reconnectBackoff: [
          { guard: 'reconnectWindowOver', target: 'gaveUp', actions: 'logGaveUp' },
          { target: 'connecting' },
        ],
      },
      on: { 'node.stop': { target: 'stopped' } },
    },
    gaveUp: { type: 'final', entry: 'closeJobLogs' },
    stopped: {
      type: 'final',
      entry: ['closeJobLogs', 'logStopped'],
    },
  },
});
