/**
 * The command step machine with a fake node directory and fake timers: a bounded wait for a node
 * (limits.queue_timeout), a run again on another node when its node is lost (only after the fence
 * delay, by which the lost node has killed its run), a lost node fenced when it comes back, ends of
 * other runs ignored, a failure naming the node once the attempts are spent, and a non-zero exit
 * reported as the user's failure with the last lines of the output.
 */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor } from 'xstate';

import type { NodeDirectory, NodeInfo } from '../../../src/coordinator/cluster/node-directory.js';
import { commandStepMachine } from '../../../src/coordinator/command-step/command-step.machine.js';
import { type CommandEnded, type CoordinatorMessage, FailureKind } from '../../../src/gen/parajob/v1/parajob.js';
import type { CompiledCommandStep } from '../../../src/jobspec/model.js';

const STEP: CompiledCommandStep = {
  kind: 'command',
  name: 'prep',
  displayName: undefined,
  runDir: '/runs/j/steps/prep',
  compute: 'cpu',
  dependsOn: [],
  inputs: [],
  outputs: [{ name: 'out', type: 'uri_folder', path: '/runs/j/steps/prep/outputs/out', explicitPath: false }],
  environmentVariables: {},
  isDeterministic: true,
  code: undefined,
  commandTemplate: 'echo hi',
  command: 'echo hi',
  timeoutMs: undefined,
  queueTimeoutMs: 30_000,
  instanceCount: 1,
};

function node(nodeId: string, compute = 'cpu'): NodeInfo {
  return { nodeId, compute, cores: 1, gpus: 0, host: 'h', pid: 1, jobIds: [], attachedAtMs: 0 };
}

class FakeNodes implements NodeDirectory {
  readonly live: NodeInfo[] = [];
  readonly sent: { nodeId: string; message: CoordinatorMessage }[] = [];
  liveNodes(): readonly NodeInfo[] {
    return this.live;
  }
  send(nodeId: string, message: CoordinatorMessage): boolean {
    this.sent.push({ nodeId, message });
    return true;
  }
  runs(): { nodeId: string; attempt: number }[] {
    return this.sent.flatMap(({ nodeId, message }) =>
      message.kind?.$case === 'commandRun' ? [{ nodeId, attempt: message.kind.value.attempt }] : [],
    );
  }
  cancels(): string[] {
    return this.sent.flatMap(({ nodeId, message }) => (message.kind?.$case === 'commandCancel' ? [nodeId] : []));
  }
}

const EXIT_0: CommandEnded = {
  jobId: 'j:prep',
  exitCode: 0,
  signal: '',
  timedOut: false,
  cancelled: false,
  errorMessage: '',
  startedAtMs: 0,
  endedAtMs: 0,
  outputTail: '',
  attempt: 0,
};

const FENCE_MS = 5_000;

function start(nodes: FakeNodes, maxAttempts = 3) {
  const messages: string[] = [];
  const actor = createActor(commandStepMachine, {
    input: {
      wireJobId: 'j:prep',
      step: STEP,
      codeHash: '',
      nodes,
      pickNode: (candidates) => candidates[0],
      streamLogs: false,
      logger: pino({ level: 'silent' }),
      cancelGraceMs: 1_000,
      maxAttempts,
      fenceMs: FENCE_MS,
    },
  });
  actor.on('step.message', (message) => messages.push(message.text));
  actor.start();
  return { actor, messages };
}

describe('command step machine', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('waits for a node of its compute at most limits.queue_timeout, then fails naming the compute and the key', async () => {
    const nodes = new FakeNodes();
    nodes.live.push(node('gpu-1', 'gpu'));
    const { actor, messages } = start(nodes);
    expect(actor.getSnapshot().value).toBe('waitingForNode');
    expect(messages).toEqual(["waiting for a node of compute 'cpu' (limits.queue_timeout 30 s)"]);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(actor.getSnapshot().status).toBe('active');
    await vi.advanceTimersByTimeAsync(1);
    expect(actor.getSnapshot().status).toBe('done');
    const outcome = actor.getSnapshot().output;
    expect(outcome?.state).toBe('failed');
    expect(outcome?.failureKind).toBe(FailureKind.FAILURE_KIND_NO_NODES);
    expect(outcome?.reason).toContain(
      "no node of compute 'cpu' came to run the command within limits.queue_timeout (30 s)",
    );
    expect(nodes.runs()).toEqual([]);
  });

  it('starts as soon as a node of its compute is offered, within the wait', async () => {
    const nodes = new FakeNodes();
    const { actor } = start(nodes);
    await vi.advanceTimersByTimeAsync(10_000);
    nodes.live.push(node('n1'));
    actor.send({ type: 'node.offered', node: node('n1') });
    expect(nodes.runs()).toEqual([{ nodeId: 'n1', attempt: 1 }]);
    // The wait ended: its timeout no longer counts.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(actor.getSnapshot().value).toBe('running');
  });

  it('runs the command again on another node when its node is lost, after the fence delay, and fences the lost node when it comes back', async () => {
    const nodes = new FakeNodes();
    nodes.live.push(node('n1'), node('n2'));
    const { actor, messages } = start(nodes);
    expect(nodes.runs()).toEqual([{ nodeId: 'n1', attempt: 1 }]);
    nodes.live.shift();
    actor.send({ type: 'node.lost', nodeId: 'n1', reason: 'silent for 5 s' });
    // n1 may still run its command until its session timeout: nothing starts before the fence delay.
    expect(actor.getSnapshot().value).toBe('fencing');
    await vi.advanceTimersByTimeAsync(FENCE_MS - 1);
    expect(nodes.runs()).toEqual([{ nodeId: 'n1', attempt: 1 }]);
    await vi.advanceTimersByTimeAsync(1);
    expect(nodes.runs()).toEqual([
      { nodeId: 'n1', attempt: 1 },
      { nodeId: 'n2', attempt: 2 },
    ]);
    expect(messages.some((text) => text.includes('node n1 was lost') && text.includes('attempt 2 of 3'))).toBe(true);
    // n1 comes back while n2 runs the command: n1 is told to cancel it, and its end counts for nothing.
    nodes.live.push(node('n1'));
    actor.send({ type: 'node.offered', node: node('n1') });
    expect(nodes.cancels()).toEqual(['n1']);
    actor.send({
      type: 'command.ended',
      nodeId: 'n1',
      ended: { ...EXIT_0, exitCode: 137, cancelled: true, attempt: 1 },
    });
    expect(actor.getSnapshot().value).toBe('running');
    actor.send({ type: 'command.ended', nodeId: 'n2', ended: { ...EXIT_0, attempt: 2 } });
    expect(actor.getSnapshot().output?.state).toBe('succeeded');
  });

  it('does not run again on the node that was lost, and fails naming the node once the attempts are spent', async () => {
    const nodes = new FakeNodes();
    nodes.live.push(node('n1'));
    const { actor } = start(nodes, 2);
    actor.send({ type: 'node.lost', nodeId: 'n1', reason: 'gone' });
    await vi.advanceTimersByTimeAsync(FENCE_MS);
    // Only the lost node is live again: it is fenced, not picked.
    actor.send({ type: 'node.offered', node: node('n1') });
    expect(nodes.runs()).toEqual([{ nodeId: 'n1', attempt: 1 }]);
    expect(nodes.cancels()).toEqual(['n1']);
    nodes.live.push(node('n2'));
    actor.send({ type: 'node.offered', node: node('n2') });
    expect(nodes.runs()).toEqual([
      { nodeId: 'n1', attempt: 1 },
      { nodeId: 'n2', attempt: 2 },
    ]);
    actor.send({ type: 'node.lost', nodeId: 'n2', reason: 'gone too' });
    const outcome = actor.getSnapshot().output;
    expect(outcome?.state).toBe('failed');
    expect(outcome?.reason).toBe('node n2 was lost while running the command (attempt 2 of 2) (gone too)');
    await vi.advanceTimersByTimeAsync(60_000);
  });

  it('ignores the end of a run other than its current one, on the same node', () => {
    const nodes = new FakeNodes();
    nodes.live.push(node('n1'));
    const { actor } = start(nodes);
    actor.send({ type: 'command.ended', nodeId: 'n1', ended: { ...EXIT_0, attempt: 7 } });
    expect(actor.getSnapshot().value).toBe('running');
    actor.send({ type: 'command.ended', nodeId: 'n1', ended: { ...EXIT_0, attempt: 1 } });
    expect(actor.getSnapshot().output?.state).toBe('succeeded');
  });

  it("fails a command that exits non-zero as the user's failure, with the code and the last lines of its output", () => {
    const nodes = new FakeNodes();
    nodes.live.push(node('n1'));
    const { actor } = start(nodes);
    actor.send({
      type: 'command.ended',
      nodeId: 'n1',
      ended: {
        ...EXIT_0,
        exitCode: 3,
        attempt: 1,
        outputTail: 'Traceback (most recent call last):\nValueError: bad row',
      },
    });
    const outcome = actor.getSnapshot().output;
    expect(outcome?.state).toBe('failed');
    expect(outcome?.failureKind).toBe(FailureKind.FAILURE_KIND_USER);
    expect(outcome?.reason).toBe(
      [
        'the command exited with code 3; the last lines of its output (user_logs/std_log.txt):',
        '  | Traceback (most recent call last):',
        '  | ValueError: bad row',
      ].join('\n'),
    );
  });
});
