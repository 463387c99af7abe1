/**
 * The command step machine: one per command step of a running pipeline. It leases the step's one
 * command run to one live node of its compute and waits for the node to say how it ended.
 *
 * waitingForNode   no live node of the compute yet.   (entry, node.offered) a node picked → running
 *                  (a node lost earlier is not picked) after limits.queue_timeout → failed (compute named)
 *                                                       job.cancel → cancelled
 * running          command_run sent to the node.      command.ended: exit 0 → succeeded,
 *                                                       else → failed (exit code, signal, timeout named)
 *                                                       node.lost of its node → fencing, to run again
 *                                                       on another node (attempt n+1, whose node
 *                                                       empties the outputs first), or → failed (node
 *                                                       named) after maxAttempts
 *                                                       job.cancel → cancelling (command_cancel sent)
 * fencing          waits fenceMs: the lost node kills    after fenceMs → waitingForNode
 *                  the command once out of touch for    job.cancel → cancelled
 *                  its session timeout (proto Welcome)
 * cancelling       waits for the node's command_ended  command.ended / node.lost / after cancelGrace
 *                                                       → cancelled
 * succeeded | failed | cancelled (final)   output: the StepOutcome.
 * A node lost while running the command is fenced: in time, since the next run starts only after the
 * lost node has killed its own (fencing); by attempt, since command_ended and command_log count only
 * from the current run's node and attempt; and should it come back (node.offered), it is told to
 * cancel the command, so two runs never write the step's outputs at the same time.
 * Emits `step.message` (as the parallel step run does) and `command.log` (output chunks to stream).
 */
import type { Logger } from 'pino';
import { and, assertEvent, assign, emit, enqueueActions, setup } from 'xstate';

import { type CommandEnded, FailureKind } from '../../gen/parajob/v1/parajob.js';
import type { CompiledCommandStep } from '../../jobspec/model.js';
import type { NodeDirectory, NodeInfo } from '../cluster/node-directory.js';
import { failedOutcome, type StepOutcome } from '../step-run/outcome.js';
import { commandEndedReason, commandFailureKind } from './command-outcome.js';

/** Where a command step's logs are (Azure's layout for command jobs), relative to its folder. */
export const USER_LOGS_DIR = 'user_logs';

export interface CommandStepInput {
  /** Wire id of the step run (`<job id>:<step>`). */
  readonly wireJobId: string;
  /** The step, bound to what its producers wrote (bindStepInputs). */
  readonly step: CompiledCommandStep;
  /** Content hash of the step's code snapshot; '' without code. */
  readonly codeHash: string;
  readonly nodes: NodeDirectory;
  /** Picks the node to run on among the live nodes of the step's compute (least loaded). */
  readonly pickNode: (candidates: readonly NodeInfo[]) => NodeInfo | undefined;
  /** True when someone streams the job's logs (the node then ships the output). */
  readonly streamLogs: boolean;
  readonly logger: Logger;
  /** How long a cancelled command may take to say it ended. */
  readonly cancelGraceMs: number;
  /** Runs of the command at most: a node lost while running it costs one. */
  readonly maxAttempts: number;
  /**
   * How long after losing the node running the command the step waits before running it again: the
   * session timeout the node was told (it kills the command once out of touch that long) and a margin
   * for a node that notices later than the coordinator.
   */
  readonly fenceMs: number;
}

interface CommandStepContext {
  readonly input: CommandStepInput;
  readonly nodeId: string | undefined;
  readonly startedAtMs: number;
  readonly endedAtMs: number;
  readonly exitCode: number | undefined;
  readonly outcome: StepOutcome | undefined;
  readonly cancelReason: string | undefined;
  /** Runs leased so far (1 on the first node). */
  readonly attempt: number;
  /** Nodes lost while running the command: never picked again, told to cancel should they come back. */
  readonly lostNodes: readonly string[];
}

export type CommandStepEvent =
  | { readonly type: 'node.offered'; readonly node: NodeInfo }
  | { readonly type: 'node.lost'; readonly nodeId: string; readonly reason: string }
  | { readonly type: 'command.ended'; readonly nodeId: string; readonly ended: CommandEnded }
  | { readonly type: 'command.log'; readonly nodeId: string; readonly attempt: number; readonly text: string }
  | { readonly type: 'job.cancel'; readonly reason: string };

export type CommandStepEmitted =
  | {
      readonly type: 'step.message';
      readonly level: 'info' | 'warn' | 'error';
      readonly text: string;
      readonly atMs: number;
    }
  | { readonly type: 'command.log'; readonly text: string };

function candidatesFor(context: CommandStepContext): NodeInfo[] {
  const { input, lostNodes } = context;
  return input.nodes
    .liveNodes()
    .filter((node) => node.compute === input.step.compute && !lostNodes.includes(node.nodeId));
}

function chosenNode(context: CommandStepContext): NodeInfo | undefined {
  return context.input.pickNode(candidatesFor(context));
}

function stepMessage(level: 'info' | 'warn' | 'error', text: string): CommandStepEmitted {
  return { type: 'step.message', level, text, atMs: Date.now() };
}

/** The machine; see the module comment. */
export const commandStepMachine = setup({
  types: {
    context: {} as CommandStepContext,
    events: {} as CommandStepEvent,
    input: {} as CommandStepInput,
    output: {} as StepOutcome,
    emitted: {} as CommandStepEmitted,
  },
  actions: {
    lease: assign(({ context }) => {
      const { input } = context;
      const node = chosenNode(context) as NodeInfo;
      const attempt = context.attempt + 1;
      const { step } = input;
      input.nodes.send(node.nodeId, {
        kind: {
          $case: 'commandRun',
          value: {
            jobId: input.wireJobId,
            stepName: step.name,
            codeHash: input.codeHash,
            command: step.command,
            environmentVariables: { ...step.environmentVariables },
            timeoutMs: step.timeoutMs ?? 0,
            logDir: `${step.runDir}/${USER_LOGS_DIR}`,
            outputs: step.outputs.map((output) => ({ name: output.name, type: output.type, path: output.path })),
            streamLogs: input.streamLogs,
            attempt,
          },
        },
      });
      input.logger.info({ nodeId: node.nodeId, attempt, command: step.command }, 'command run leased');
      return { nodeId: node.nodeId, startedAtMs: Date.now(), attempt };
    }),
    tellStarted: emit(({ context }) =>
      stepMessage(
        'info',
        `running on node ${context.nodeId ?? '?'}${context.attempt > 1 ? ` (attempt ${context.attempt} of ${context.input.maxAttempts})` : ''}`,
      ),
    ),
    announceWait: enqueueActions(({ context, enqueue }) => {
      if (chosenNode(context) !== undefined) return;
      const { step } = context.input;
      context.input.logger.info({ compute: step.compute }, 'waiting for a node');
      enqueue.emit(
        stepMessage(
          'info',
          `waiting for a node of compute '${step.compute}'${context.lostNodes.length > 0 ? ` other than ${context.lostNodes.join(', ')}` : ''} (limits.queue_timeout ${step.queueTimeoutMs / 1000} s)`,
        ),
      );
    }),
    failQueueTimeout: assign(({ context }) => {
      const now = Date.now();
      const { step } = context.input;
      const others = context.lostNodes.length > 0 ? ` other than the lost ${context.lostNodes.join(', ')}` : '';
      const reason = `no node of compute '${step.compute}'${others} came to run the command within limits.queue_timeout (${step.queueTimeoutMs / 1000} s); start one with \`parajob node --compute ${step.compute}\`, or raise limits.queue_timeout`;
      context.input.logger.warn({ compute: step.compute }, reason);
      return {
        endedAtMs: now,
        outcome: failedOutcome(FailureKind.FAILURE_KIND_NO_NODES, reason, `${USER_LOGS_DIR}/std_log.txt`, now),
      };
    }),
    noteNodeLost: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'node.lost');
      const text = `node ${event.nodeId} was lost while running the command (${event.reason}); running it again on another node (attempt ${context.attempt + 1} of ${context.input.maxAttempts}), its outputs emptied first, in ${context.input.fenceMs / 1000} s, once the lost node has killed its run`;
      context.input.logger.warn({ nodeId: event.nodeId, attempt: context.attempt }, text);
      enqueue.emit(stepMessage('warn', text));
      enqueue.assign({ nodeId: undefined, lostNodes: [...context.lostNodes, event.nodeId] });
    }),
    fenceLostNode: ({ context, event }) => {
      assertEvent(event, 'node.offered');
      if (!context.lostNodes.includes(event.node.nodeId)) return;
      context.input.logger.warn(
        { nodeId: event.node.nodeId },
        'a node lost while running the command came back: cancelling its run',
      );
      context.input.nodes.send(event.node.nodeId, {
        kind: {
          $case: 'commandCancel',
          value: {
            jobId: context.input.wireJobId,
            reason: 'the node was lost while running it; it ran again elsewhere',
          },
        },
      });
    },
    decideEnded: assign(({ context, event }) => {
      assertEvent(event, 'command.ended');
      const { ended } = event;
      const now = Date.now();
      const reason = commandEndedReason(ended, context.input.step.timeoutMs);
      context.input.logger.info({ ...ended, reason }, 'command ended');
      const succeeded = ended.exitCode === 0 && !ended.errorMessage && !ended.timedOut && !ended.cancelled;
      return {
        endedAtMs: now,
        exitCode: ended.exitCode,
        outcome: succeeded
          ? { state: 'succeeded' as const, failureKind: FailureKind.FAILURE_KIND_UNSPECIFIED, reason, decidedAtMs: now }
          : failedOutcome(commandFailureKind(ended), reason, `${USER_LOGS_DIR}/std_log.txt`, now),
      };
    }),
    failNodeLost: assign(({ context, event }) => {
      assertEvent(event, 'node.lost');
      const now = Date.now();
      const tries = context.attempt > 1 ? ` (attempt ${context.attempt} of ${context.input.maxAttempts})` : '';
      const reason = `node ${event.nodeId} was lost while running the command${tries} (${event.reason})`;
      context.input.logger.warn({ nodeId: event.nodeId }, reason);
      return {
        endedAtMs: now,
        outcome: failedOutcome(FailureKind.FAILURE_KIND_NO_NODES, reason, `${USER_LOGS_DIR}/std_log.txt`, now),
      };
    }),
    sendCancel: ({ context }) => {
      if (context.nodeId === undefined) return;
      context.input.nodes.send(context.nodeId, {
        kind: {
          $case: 'commandCancel',
          value: { jobId: context.input.wireJobId, reason: context.cancelReason ?? 'cancelled' },
        },
      });
    },
    noteCancel: assign(({ event }) => {
      assertEvent(event, 'job.cancel');
      return { cancelReason: event.reason };
    }),
    decideCancelled: assign(({ context }) => {
      const now = Date.now();
      return {
        endedAtMs: now,
        outcome: {
          state: 'cancelled' as const,
          failureKind: FailureKind.FAILURE_KIND_UNSPECIFIED,
          reason: context.cancelReason ?? 'cancelled',
          decidedAtMs: now,
        },
      };
    }),
    forwardLog: emit(({ event }) => {
      assertEvent(event, 'command.log');
      return { type: 'command.log' as const, text: event.text };
    }),
  },
  guards: {
    nodeAvailable: ({ context }) => chosenNode(context) !== undefined,
    mayRunAgain: ({ context }) => context.attempt < context.input.maxAttempts,
    fromItsNode: ({ context, event }) => event.type === 'node.lost' && event.nodeId === context.nodeId,
    /** From the current run: its node, and its attempt (0: a node's answer to a cancel, for any run). */
    fromItsRun: ({ context, event }) => {
      if ((event.type !== 'command.ended' && event.type !== 'command.log') || event.nodeId !== context.nodeId)
        return false;
      const attempt = event.type === 'command.ended' ? event.ended.attempt : event.attempt;
      return attempt === 0 || attempt === context.attempt;
    },
    succeeded: ({ context }) => context.outcome?.state === 'succeeded',
  },
  delays: {
    cancelGrace: ({ context }) => context.input.cancelGraceMs,
    fence: ({ context }) => context.input.fenceMs,
    queueTimeout: ({ context }) => context.input.step.queueTimeoutMs,
  },
}).createMachine({
  id: 'commandStep',
  context: ({ input }) => ({
    input,
    nodeId: undefined,
    startedAtMs: 0,
    endedAtMs: 0,
    exitCode: undefined,
    outcome: undefined,
    cancelReason: undefined,
    attempt: 0,
    lostNodes: [],
  }),
  initial: 'waitingForNode',
  states: {
    waitingForNode: {
      entry: 'announceWait',
      always: { guard: 'nodeAvailable', target: 'running', actions: ['lease', 'tellStarted'] },
      after: { queueTimeout: { target: 'failed', actions: 'failQueueTimeout' } },
      on: {
        'node.offered': [
          { guard: 'nodeAvailable', target: 'running', actions: ['fenceLostNode', 'lease', 'tellStarted'] },
          { actions: 'fenceLostNode' },
        ],
        'job.cancel': { target: 'cancelled', actions: ['noteCancel', 'decideCancelled'] },
      },
    },
    running: {
      on: {
        'command.ended': { guard: 'fromItsRun', target: 'ended', actions: 'decideEnded' },
        'command.log': { guard: 'fromItsRun', actions: 'forwardLog' },
        'node.lost': [
          { guard: and(['fromItsNode', 'mayRunAgain']), target: 'fencing', actions: 'noteNodeLost' },
          { guard: 'fromItsNode', target: 'failed', actions: 'failNodeLost' },
        ],
        'node.offered': { actions: 'fenceLostNode' },
        'job.cancel': { target: 'cancelling', actions: ['noteCancel', 'sendCancel'] },
      },
    },
    fencing: {
      after: { fence: { target: 'waitingForNode' } },
      on: {
        'node.offered': { actions: 'fenceLostNode' },
        'job.cancel': { target: 'cancelled', actions: ['noteCancel', 'decideCancelled'] },
      },
    },
    ended: {
      always: [{ guard: 'succeeded', target: 'succeeded' }, { target: 'failed' }],
    },
    cancelling: {
      after: { cancelGrace: { target: 'cancelled', actions: 'decideCancelled' } },
      on: {
        'command.ended': { guard: 'fromItsRun', target: 'cancelled', actions: 'decideCancelled' },
        'command.log': { guard: 'fromItsRun', actions: 'forwardLog' },
        'node.lost': { guard: 'fromItsNode', target: 'cancelled', actions: 'decideCancelled' },
      },
    },
    succeeded: { type: 'final' },
    failed: { type: 'final' },
    cancelled: { type: 'final' },
  },
  output: ({ context }) => context.outcome as StepOutcome,
});

export type CommandStepMachine = typeof commandStepMachine;
