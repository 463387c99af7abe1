/**
 * The command step machine: one per command step of a running pipeline. It leases the step's one
 * command run to one live node of its compute and waits for the node to say how it ended.
 *
 * waitingForNode   no live node of the compute yet.   (entry, node.offered) a node picked → running
 *                                                       job.cancel → cancelled
 * running          command_run sent to the node.      command.ended: exit 0 → succeeded,
 *                                                       else → failed (exit code, signal, timeout named)
 *                                                       node.lost of its node → failed (node named)
 *                                                       job.cancel → cancelling (command_cancel sent)
 * cancelling       waits for the node's command_ended  command.ended / node.lost / after cancelGrace
 *                                                       → cancelled
 * succeeded | failed | cancelled (final)   output: the StepOutcome.
 * Emits `step.message` (as the parallel step run does) and `command.log` (output chunks to stream).
 */
import type { Logger } from 'pino';
import { assertEvent, assign, emit, setup } from 'xstate';

import { type CommandEnded, FailureKind } from '../../gen/parajob/v1/parajob.js';
import type { CompiledCommandStep } from '../../jobspec/model.js';
import type { NodeDirectory, NodeInfo } from '../cluster/node-directory.js';
import { failedOutcome, type StepOutcome } from '../step-run/outcome.js';
import { commandEndedReason } from './command-outcome.js';

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
}

interface CommandStepContext {
  readonly input: CommandStepInput;
  readonly nodeId: string | undefined;
  readonly startedAtMs: number;
  readonly endedAtMs: number;
  readonly exitCode: number | undefined;
  readonly outcome: StepOutcome | undefined;
  readonly cancelReason: string | undefined;
}

export type CommandStepEvent =
  | { readonly type: 'node.offered'; readonly node: NodeInfo }
  | { readonly type: 'node.lost'; readonly nodeId: string; readonly reason: string }
  | { readonly type: 'command.ended'; readonly nodeId: string; readonly ended: CommandEnded }
  | { readonly type: 'command.log'; readonly nodeId: string; readonly text: string }
  | { readonly type: 'job.cancel'; readonly reason: string };

export type CommandStepEmitted =
  | {
      readonly type: 'step.message';
      readonly level: 'info' | 'warn' | 'error';
      readonly text: string;
      readonly atMs: number;
    }
  | { readonly type: 'command.log'; readonly text: string };

function candidatesFor(input: CommandStepInput): NodeInfo[] {
  return input.nodes.liveNodes().filter((node) => node.compute === input.step.compute);
}

function chosenNode(input: CommandStepInput): NodeInfo | undefined {
  return input.pickNode(candidatesFor(input));
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
      const node = chosenNode(input) as NodeInfo;
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
          },
        },
      });
      input.logger.info({ nodeId: node.nodeId, command: step.command }, 'command run leased');
      return { nodeId: node.nodeId, startedAtMs: Date.now() };
    }),
    tellStarted: emit(({ context }) => ({
      type: 'step.message' as const,
      level: 'info' as const,
      text: `running on node ${context.nodeId ?? '?'}`,
      atMs: Date.now(),
    })),
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
          : failedOutcome(
              ended.timedOut ? FailureKind.FAILURE_KIND_TIMEOUT : FailureKind.FAILURE_KIND_INTERNAL,
              reason,
              `${USER_LOGS_DIR}/std_log.txt`,
              now,
            ),
      };
    }),
    failNodeLost: assign(({ context, event }) => {
      assertEvent(event, 'node.lost');
      const now = Date.now();
      const reason = `node ${event.nodeId} was lost while running the command (${event.reason})`;
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
    nodeAvailable: ({ context }) => chosenNode(context.input) !== undefined,
    fromItsNode: ({ context, event }) =>
      (event.type === 'command.ended' || event.type === 'node.lost' || event.type === 'command.log') &&
      event.nodeId === context.nodeId,
    succeeded: ({ context }) => context.outcome?.state === 'succeeded',
  },
  delays: {
    cancelGrace: ({ context }) => context.input.cancelGraceMs,
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
  }),
  initial: 'waitingForNode',
  states: {
    waitingForNode: {
      always: { guard: 'nodeAvailable', target: 'running', actions: ['lease', 'tellStarted'] },
      on: {
        'node.offered': { guard: 'nodeAvailable', target: 'running', actions: ['lease', 'tellStarted'] },
        'job.cancel': { target: 'cancelled', actions: ['noteCancel', 'decideCancelled'] },
      },
    },
    running: {
      on: {
        'command.ended': { guard: 'fromItsNode', target: 'ended', actions: 'decideEnded' },
        'command.log': { guard: 'fromItsNode', actions: 'forwardLog' },
        'node.lost': { guard: 'fromItsNode', target: 'failed', actions: 'failNodeLost' },
        'job.cancel': { target: 'cancelling', actions: ['noteCancel', 'sendCancel'] },
      },
    },
    ended: {
      always: [{ guard: 'succeeded', target: 'succeeded' }, { target: 'failed' }],
    },
    cancelling: {
      after: { cancelGrace: { target: 'cancelled', actions: 'decideCancelled' } },
      on: {
        'command.ended': { guard: 'fromItsNode', target: 'cancelled', actions: 'decideCancelled' },
        'command.log': { guard: 'fromItsNode', actions: 'forwardLog' },
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
