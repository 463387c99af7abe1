import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Actor, fromPromise } from 'xstate';

import type { NodeInfo } from '../../../src/coordinator/cluster/node-directory.js';
import type { StepRunJournal } from '../../../src/coordinator/journal/step-run-journal.js';
import { applyLedgerEvent, createLedger, type Ledger } from '../../../src/coordinator/ledger/ledger.js';
import { FILES_INPUT } from '../../../src/coordinator/partition/assignment-input.js';
import { cutFileMiniBatches } from '../../../src/coordinator/partition/file-mini-batches.js';
import type { Partition } from '../../../src/coordinator/partition/partition-input.js';
import type { AttemptRow } from '../../../src/coordinator/reports/processed-mini-batches-csv.js';
import type { StepRunMessage } from '../../../src/coordinator/step-run/context.js';
import type { StepReport } from '../../../src/coordinator/step-run/report.js';
import { NO_STAGING, type StepSinks } from '../../../src/coordinator/step-run/sinks.js';
import {
  type FinishStepInput,
  type PartitionInputInput,
  type StepRunMachine,
  stepRunMachine,
} from '../../../src/coordinator/step-run/step-run.machine.js';
import {
  BatchOutcome,
  type BatchResult,
  type CoordinatorMessage,
  FailureKind,
  type Lease,
} from '../../../src/gen/parajob/v1/parajob.js';
import { resultFor } from './support/batch-result.js';
import { makeStep, type StepFixtureOptions } from './support/step-fixture.js';
import { createStepRunActor } from './support/step-run-actor.js';

const FILES = ['a.txt', 'b.txt', 'c.txt', 'd.txt'];

interface Harness {
  readonly actor: Actor<StepRunMachine>;
  readonly sent: Map<string, CoordinatorMessage[]>;
  readonly liveNodes: NodeInfo[];
  readonly messages: StepRunMessage[];
  readonly rows: string[];
  readonly attempts: AttemptRow[];
  readonly reports: StepReport[];
  /** Makes the sinks report a write backlog, or ends it (calling the drain listeners). */
  setBacklogged(on: boolean): void;
}

function node(nodeId: string, compute = 'local'): NodeInfo {
  return { nodeId, compute, cores: 1, gpus: 0, host: 'h', pid: 1, jobIds: [], attachedAtMs: 0 };
}

function startHarness(
  options: Partial<StepFixtureOptions> = {},
  journal?: StepRunJournal,
  partition: (input: PartitionInputInput) => Promise<Partition> = async () =>
    cutFileMiniBatches({ root: '/data', relativePaths: FILES }, 2),
): Harness {
  const sent = new Map<string, CoordinatorMessage[]>();
  const liveNodes: NodeInfo[] = [];
  const messages: StepRunMessage[] = [];
  const rows: string[] = [];
  const attempts: AttemptRow[] = [];
  const reports: StepReport[] = [];
  let backlogged = false;
  const drainListeners = new Set<() => void>();
  const sinks: StepSinks = {
    appendRows: (chunk) => rows.push(Buffer.from(chunk).toString()),
    recordAttempt: (row) => attempts.push(row),
    overview: () => undefined,
    flushReports: () => undefined,
    staged: NO_STAGING,
    outputEnd: 0,
    syncOutput: async () => undefined,
    outputError: undefined,
    get backlogged() {
      return backlogged;
    },
    onDrained: (listener) => {
      drainListeners.add(listener);
      return () => drainListeners.delete(listener);
    },
    finish: async (report) => {
      reports.push(report);
    },
  };
  const step = makeStep({ runDir: '/tmp/never-written', ...options });
  const machine = stepRunMachine.provide({
    actors: {
      prepareStep: fromPromise(async () => sinks),
      partitionInput: fromPromise(async ({ input }: { input: PartitionInputInput }) => partition(input)),
      finishStep: fromPromise(async ({ input }: { input: FinishStepInput }) => {
        reports.push(input.report);
      }),
    },
  });
  const actor = createStepRunActor(machine, {
    step,
    nodes: {
      liveNodes: () => liveNodes,
      send: (nodeId, message) => {
        if (!liveNodes.some((candidate) => candidate.nodeId === nodeId)) return false;
        sent.set(nodeId, [...(sent.get(nodeId) ?? []), message]);
        return true;
      },
    },
    settings: { releaseWaitMs: 1_000, overviewIntervalMs: 1_000, leaseReclaimMs: 1_000 },
    ...(journal === undefined ? {} : { journal }),
  });
  actor.on('step.message', (message) => messages.push(message));
  actor.start();
  const setBacklogged = (on: boolean) => {
    backlogged = on;
    if (!on) for (const listener of drainListeners) listener();
  };
  return { actor, sent, liveNodes, messages, rows, attempts, reports, setBacklogged };
}

function sentOfKind<K extends NonNullable<CoordinatorMessage['kind']>['$case']>(
  harness: Harness,
  nodeId: string,
  kind: K,
) {
  return (harness.sent.get(nodeId) ?? []).flatMap((message) =>
    message.kind?.$case === kind
      ? [message.kind.value as Extract<NonNullable<CoordinatorMessage['kind']>, { $case: K }>['value']]
      : [],
  );
}

function leasesSent(harness: Harness, nodeId: string): Lease[] {
  return sentOfKind(harness, nodeId, 'leases').flatMap((message) => message.leases);
}

function completed(lease: Lease, outcome = BatchOutcome.BATCH_OUTCOME_COMPLETED): BatchResult {
  return resultFor(lease, { total: lease.files.length, outcome, lines: lease.files });
}

/** A journal whose durable() waits until the test says the records so far are durable. */
function gatedJournal(resume?: (ledger: Ledger) => void): { readonly journal: StepRunJournal; makeDurable(): void } {
  const waiting: (() => void)[] = [];
  const journal: StepRunJournal = {
    resuming: resume !== undefined,
    resumeOutputAt: resume === undefined ? undefined : 0,
    resumeMiniBatchCount: undefined,
    journaledLedger: () => undefined,
    openLedger: (shape, itemCount) => {
      const ledger = createLedger({ ...shape, itemCount });
      resume?.(ledger);
      return { ledger, resumed: resume !== undefined };
    },
    record: () => undefined,
    attachOutput: () => undefined,
    durable: () => new Promise<void>((resolve) => waiting.push(resolve)),
    ended: async () => undefined,
  };
  return { journal, makeDurable: () => waiting.splice(0).forEach((resolve) => resolve()) };
}

/** Lets promise actors settle (fake timers do not run them). */
async function settle(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
}

describe('step-run machine', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fails with a TIMEOUT when no task is handed out within first_task_creation_timeout, saying it waits for nodes', async () => {
    const harness = startHarness({ predefined: { firstTaskCreationTimeoutMs: 5_000 } });
    await settle();
    expect(harness.actor.getSnapshot().value).toBe('waitingForFirstTask');
    expect(harness.messages.map((message) => message.text)).toContain(
      "waiting for 1 more node of compute 'local' (0 of 1 attached)",
    );

    await vi.advanceTimersByTimeAsync(4_999);
    expect(harness.actor.getSnapshot().value).toBe('waitingForFirstTask');
    await vi.advanceTimersByTimeAsync(1);
    await settle();

    const snapshot = harness.actor.getSnapshot();
    expect(snapshot.value).toBe('failed');
    expect(snapshot.output?.failureKind).toBe(FailureKind.FAILURE_KIND_TIMEOUT);
    expect(snapshot.output?.reason).toMatch(
      /^First task creation is taking longer than 5 seconds: .*waiting for 1 more node of compute 'local'/,
    );
    expect(harness.reports).toHaveLength(1);
  });

  it('assigns nodes once the input is probed, while it is still cut, and grants their kept credit once the ledger exists', async () => {
    let cutDone: (partition: Partition) => void = () => undefined;
    const harness = startHarness({}, undefined, ({ parent }) => {
      parent?.send({ type: 'partition.probed', input: FILES_INPUT });
      return new Promise<Partition>((resolve) => (cutDone = resolve));
    });
    harness.liveNodes.push(node('n1'));
    await settle();
    expect(harness.actor.getSnapshot().value).toBe('partitioning');
    expect(sentOfKind(harness, 'n1', 'assign').map((assignment) => assignment.inputKind)).toEqual(['files']);

    // Its workers ask for work before the ledger exists: the credit is kept, nothing is leased yet.
    harness.actor.send({ type: 'lease.requested', nodeId: 'n1', count: 2 });
    expect(leasesSent(harness, 'n1')).toEqual([]);

    cutDone(cutFileMiniBatches({ root: '/data', relativePaths: FILES }, 2));
    await settle();
    expect(harness.actor.getSnapshot().matches('running')).toBe(true);
    expect(leasesSent(harness, 'n1').map((lease) => lease.files)).toEqual([
      ['/data/a.txt', '/data/b.txt'],
      ['/data/c.txt', '/data/d.txt'],
    ]);
    expect(sentOfKind(harness, 'n1', 'assign')).toHaveLength(1);
  });

  it('fails with "No progress update in N seconds" only after a whole progress_update_timeout without an accepted result', async () => {
    const harness = startHarness({ predefined: { progressUpdateTimeoutMs: 10_000 } });
    await settle();
    harness.liveNodes.push(node('n1'));
    harness.actor.send({ type: 'node.offered', node: node('n1') });
    harness.actor.send({ type: 'lease.requested', nodeId: 'n1', count: 1 });
    expect(harness.actor.getSnapshot().matches('running')).toBe(true);

    await vi.advanceTimersByTimeAsync(9_000);
    const [first] = leasesSent(harness, 'n1');
    harness.actor.send({ type: 'results.received', nodeId: 'n1', results: [completed(first!)] });
    // 9 s after that result, the original timer fires but sees recent progress and re-arms.
    await vi.advanceTimersByTimeAsync(9_000);
    expect(harness.actor.getSnapshot().matches('running')).toBe(true);
    await vi.advanceTimersByTimeAsync(1_000);
    await settle();
    await vi.advanceTimersByTimeAsync(1_000); // release wait: n1 never confirms
    await settle();

    const snapshot = harness.actor.getSnapshot();
    expect(snapshot.value).toBe('failed');
    expect(snapshot.output?.failureKind).toBe(FailureKind.FAILURE_KIND_TIMEOUT);
    expect(snapshot.output?.reason).toMatch(/^No progress update in 10 seconds\./);
    expect(sentOfKind(harness, 'n1', 'release')).toEqual([{ jobId: 'job-1', reason: 'failed' }]);
  });

  it('grants no lease while the output is backlogged, does not time out meanwhile, and grants the kept credit when it drains', async () => {
    const harness = startHarness({ predefined: { progressUpdateTimeoutMs: 10_000 } });
    await settle();
    harness.liveNodes.push(node('n1'));
    harness.actor.send({ type: 'node.offered', node: node('n1') });
    harness.actor.send({ type: 'lease.requested', nodeId: 'n1', count: 1 });
    const [first] = leasesSent(harness, 'n1');
    harness.setBacklogged(true);
    harness.actor.send({ type: 'results.received', nodeId: 'n1', results: [completed(first!)] });
    harness.actor.send({ type: 'lease.requested', nodeId: 'n1', count: 1 });
    expect(leasesSent(harness, 'n1')).toHaveLength(1);

    // Longer than progress_update_timeout: the wait is the coordinator's disk, not the node.
    await vi.advanceTimersByTimeAsync(25_000);
    expect(harness.actor.getSnapshot().matches('running')).toBe(true);
    expect(leasesSent(harness, 'n1')).toHaveLength(1);

    harness.setBacklogged(false);
    const second = leasesSent(harness, 'n1')[1];
    expect(second).toMatchObject({ miniBatchId: 1, attempt: 1 });
    harness.actor.send({ type: 'results.received', nodeId: 'n1', results: [completed(second!)] });
    expect(harness.actor.getSnapshot().matches({ finishing: 'releasing' })).toBe(true);
    expect(sentOfKind(harness, 'n1', 'release')).toEqual([{ jobId: 'job-1', reason: 'succeeded' }]);
  });

  it('runs to success: grants against credit, writes each result once, releases nodes and waits for job_left', async () => {
    const harness = startHarness();
    await settle();
    harness.liveNodes.push(node('n1'));
    harness.actor.send({ type: 'node.offered', node: node('n1') });
    expect(sentOfKind(harness, 'n1', 'assign')).toHaveLength(1);
    harness.actor.send({ type: 'lease.requested', nodeId: 'n1', count: 1 });
    const [first] = leasesSent(harness, 'n1');
    expect(first).toMatchObject({ miniBatchId: 0, attempt: 1, files: ['/data/a.txt', '/data/b.txt'], itemCount: 2 });
    harness.actor.send({ type: 'results.received', nodeId: 'n1', results: [completed(first!)] });
    harness.actor.send({ type: 'results.received', nodeId: 'n1', results: [completed(first!)] }); // duplicate: dropped
    harness.actor.send({ type: 'lease.requested', nodeId: 'n1', count: 1 });
    const second = leasesSent(harness, 'n1')[1]!;
    harness.actor.send({ type: 'results.received', nodeId: 'n1', results: [completed(second)] });

    expect(harness.actor.getSnapshot().matches({ finishing: 'releasing' })).toBe(true);
    expect(sentOfKind(harness, 'n1', 'release')).toEqual([{ jobId: 'job-1', reason: 'succeeded' }]);
    harness.actor.send({ type: 'node.left', nodeId: 'n1', reason: 'released' });
    await settle();

    expect(harness.actor.getSnapshot().value).toBe('succeeded');
    expect(harness.rows).toEqual(['/data/a.txt\n/data/b.txt\n', '/data/c.txt\n/data/d.txt\n']);
    expect(harness.attempts.map((row) => [row.miniBatchId, row.status])).toEqual([
      [0, 'RUN_DONE'],
      [1, 'RUN_DONE'],
    ]);
    expect(harness.reports[0]?.counts).toMatchObject({ succeeded: 2, itemsSucceeded: 4 });
  });

  it('acknowledges results only once the journal holds them durably; a result sent again is acknowledged, not written again', async () => {
    const { journal, makeDurable } = gatedJournal();
    const harness = startHarness({}, journal);
    // A result re-sent by a node before the ledger exists (a coordinator restarted) waits for it.
    harness.actor.send({
      type: 'results.received',
      nodeId: 'n1',
      results: [
        completed({
          miniBatchId: 1,
          attempt: 1,
          token: 777,
          files: ['/data/x'],
          fileUrls: [],
          ranges: [],
          partitionKeyJson: '',
          itemCount: 1,
        }),
      ],
    });
    await settle();
    harness.liveNodes.push(node('n1'));
    harness.actor.send({ type: 'node.offered', node: node('n1') });
    harness.actor.send({ type: 'lease.requested', nodeId: 'n1', count: 2 });
    const [first, second] = leasesSent(harness, 'n1');
    harness.actor.send({ type: 'results.received', nodeId: 'n1', results: [completed(first!)] });
    expect(harness.rows).toEqual(['/data/a.txt\n/data/b.txt\n']);
    // Not durable yet: no ack, so the node keeps the result.
    expect(sentOfKind(harness, 'n1', 'resultsAck')).toEqual([]);
    makeDurable();
    await settle();
    // The held stale result (its token was never leased here) is fenced and acknowledged; then the real one.
    expect(sentOfKind(harness, 'n1', 'resultsAck')).toEqual([
      { jobId: 'job-1', tokens: [777] },
      { jobId: 'job-1', tokens: [first!.token] },
    ]);
    // The node never got the ack (say its stream broke) and sends the result again: counted once, acknowledged.
    harness.actor.send({ type: 'results.received', nodeId: 'n1', results: [completed(first!)] });
    makeDurable();
    await settle();
    expect(harness.rows).toEqual(['/data/a.txt\n/data/b.txt\n']);
    expect(sentOfKind(harness, 'n1', 'resultsAck').at(-1)).toEqual({ jobId: 'job-1', tokens: [first!.token] });
    expect(harness.actor.getSnapshot().context.run.ledger?.counts.succeeded).toBe(1);
    harness.actor.send({ type: 'results.received', nodeId: 'n1', results: [completed(second!)] });
    makeDurable();
    await settle();
    expect(sentOfKind(harness, 'n1', 'resultsAck').at(-1)).toEqual({ jobId: 'job-1', tokens: [second!.token] });
  });

  it('resumed after a restart: keeps the journaled leases their node reports, re-queues the ones it does not, and the unclaimed ones after the window', async () => {
    // The journal held mini-batch 0 leased to n1 (token 11) and mini-batch 1 to n2 (token 12).
    const { journal, makeDurable } = gatedJournal((ledger) => {
      applyLedgerEvent(ledger, { type: 'lease.granted', miniBatchId: 0, attempt: 1, token: 11, nodeId: 'n1', atMs: 0 });
      applyLedgerEvent(ledger, { type: 'lease.granted', miniBatchId: 1, attempt: 1, token: 12, nodeId: 'n2', atMs: 0 });
    });
    const harness = startHarness({}, journal);
    await settle();
    expect(harness.messages.map((message) => message.text)).toContain(
      'resumed after a coordinator restart: 0 of 2 mini-batches were already done; 2 that were running are kept for their nodes to report (those not reported within 1 s run again)',
    );
    // n1 comes back still running mini-batch 0: kept, nothing to grant yet.
    const n1: NodeInfo = { ...node('n1'), jobIds: ['job-1'], heldLeases: new Map([['job-1', [11]]]) };
    harness.liveNodes.push(n1);
    harness.actor.send({ type: 'node.offered', node: n1 });
    harness.actor.send({ type: 'lease.requested', nodeId: 'n1', count: 2 });
    expect(harness.actor.getSnapshot().matches('running')).toBe(true);
    expect(leasesSent(harness, 'n1')).toEqual([]);
    // Its result for the kept lease counts (written once, acknowledged).
    const kept = {
      miniBatchId: 0,
      attempt: 1,
      token: 11,
      files: ['/data/a.txt'],
      fileUrls: [],
      ranges: [],
      partitionKeyJson: '',
      itemCount: 2,
    };
    harness.actor.send({ type: 'results.received', nodeId: 'n1', results: [completed(kept)] });
    makeDurable();
    await settle();
    expect(harness.rows).toEqual(['/data/a.txt\n']);
    expect(sentOfKind(harness, 'n1', 'resultsAck')).toEqual([{ jobId: 'job-1', tokens: [11] }]);
    // n2 never comes back: after the reclaim window mini-batch 1 runs again, on n1.
    expect(leasesSent(harness, 'n1')).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(leasesSent(harness, 'n1').map((lease) => [lease.miniBatchId, lease.attempt])).toEqual([[1, 2]]);
    expect(harness.attempts.filter((row) => row.status === 'REVOKED').map((row) => row.miniBatchId)).toEqual([1]);
  });

  it('resumed after a restart: a node that comes back without a journaled lease gets it re-queued at once', async () => {
    const { journal } = gatedJournal((ledger) => {
      applyLedgerEvent(ledger, { type: 'lease.granted', miniBatchId: 0, attempt: 1, token: 11, nodeId: 'n1', atMs: 0 });
    });
    const harness = startHarness({}, journal);
    await settle();
    const n1: NodeInfo = { ...node('n1'), jobIds: ['job-1'] };
    harness.liveNodes.push(n1);
    harness.actor.send({ type: 'node.offered', node: n1 });
    harness.actor.send({ type: 'lease.requested', nodeId: 'n1', count: 2 });
    expect(leasesSent(harness, 'n1').map((lease) => [lease.miniBatchId, lease.attempt])).toEqual([
      [0, 2],
      [1, 1],
    ]);
  });

  it('re-queues a lost node’s leases at once and grants them to a node with credit', async () => {
    const harness = startHarness({ instanceCount: 2 });
    await settle();
    harness.liveNodes.push(node('n1'), node('n2'));
    harness.actor.send({ type: 'node.offered', node: node('n1') });
    harness.actor.send({ type: 'node.offered', node: node('n2') });
    harness.actor.send({ type: 'lease.requested', nodeId: 'n1', count: 2 });
    harness.actor.send({ type: 'lease.requested', nodeId: 'n2', count: 2 });
    expect(leasesSent(harness, 'n1').map((lease) => lease.miniBatchId)).toEqual([0, 1]);
    expect(leasesSent(harness, 'n2')).toEqual([]);

    harness.liveNodes.splice(0, 1);
    harness.actor.send({ type: 'node.lost', nodeId: 'n1', reason: 'stream ended' });
    expect(leasesSent(harness, 'n2').map((lease) => [lease.miniBatchId, lease.attempt])).toEqual([
      [0, 2],
      [1, 2],
    ]);
    expect(
      harness.attempts
        .filter((row) => row.status === 'REVOKED')
        .map((row) => row.miniBatchId)
        .sort(),
    ).toEqual([0, 1]);
    expect(harness.messages.map((message) => message.text)).toContain(
      'node n1 lost (stream ended); 2 mini-batch(es) re-queued',
    );
    expect(harness.messages.map((message) => message.text)).toContain(
      "waiting for 1 more node of compute 'local' (1 of 2 attached)",
    );
  });

  it('fails with THRESHOLD once mini_batch_error_threshold is exceeded, revoking what is still leased', async () => {
    const harness = startHarness({ maxRetries: 0, miniBatchErrorThreshold: 0 });
    await settle();
    harness.liveNodes.push(node('n1'));
    harness.actor.send({ type: 'node.offered', node: node('n1') });
    harness.actor.send({ type: 'lease.requested', nodeId: 'n1', count: 2 });
    const [first, second] = leasesSent(harness, 'n1');
    harness.actor.send({
      type: 'results.received',
      nodeId: 'n1',
      results: [completed(first!, BatchOutcome.BATCH_OUTCOME_EXCEPTION)],
    });

    expect(harness.actor.getSnapshot().matches('finishing')).toBe(true);
    expect(sentOfKind(harness, 'n1', 'revoke')).toEqual([
      { jobId: 'job-1', miniBatchId: second!.miniBatchId, token: second!.token },
    ]);
    harness.actor.send({ type: 'node.left', nodeId: 'n1', reason: 'released' });
    await settle();
    const snapshot = harness.actor.getSnapshot();
    expect(snapshot.value).toBe('failed');
    expect(snapshot.output?.failureKind).toBe(FailureKind.FAILURE_KIND_THRESHOLD);
    expect(snapshot.output?.reason).toContain('mini_batch_error_threshold of 0 was exceeded: 1 failed mini-batches');
    expect(snapshot.output?.reason).toContain('mini-batch 0 (attempt 1): ValueError: bad 0');
  });

  it('fails the attempt of a result whose rows are malformed, writes none of them, and retries it', async () => {
    const harness = startHarness();
    await settle();
    harness.liveNodes.push(node('n1'));
    harness.actor.send({ type: 'node.offered', node: node('n1') });
    harness.actor.send({ type: 'lease.requested', nodeId: 'n1', count: 1 });
    const [first] = leasesSent(harness, 'n1');
    const unterminated = { ...completed(first!), rows: Buffer.from('/data/a.txt\n/data/b.txt') };
    harness.actor.send({ type: 'results.received', nodeId: 'n1', results: [unterminated] });

    expect(harness.rows).toEqual([]);
    expect(harness.attempts[0]).toMatchObject({ miniBatchId: 0, errorCategory: 'InvalidRows' });
    expect(harness.attempts[0]?.errorMessage).toContain('do not end in a newline');
    harness.actor.send({ type: 'lease.requested', nodeId: 'n1', count: 2 });
    const retry = leasesSent(harness, 'n1').find((lease) => lease.miniBatchId === 0 && lease.attempt === 2);
    expect(retry).toBeDefined();
    harness.actor.send({ type: 'results.received', nodeId: 'n1', results: [completed(retry!)] });
    expect(harness.rows).toEqual(['/data/a.txt\n/data/b.txt\n']);
  });

  it('fails with INIT quoting the first init() error when the last node leaves after init failures', async () => {
    const harness = startHarness();
    await settle();
    harness.liveNodes.push(node('n1'));
    harness.actor.send({ type: 'node.offered', node: node('n1') });
    harness.actor.send({
      type: 'processor.initFailed',
      nodeId: 'n1',
      processName: 'process000',
      message: 'ImportError: no module named foo',
      pid: 7,
      exitCode: 0,
      signal: '',
    });
    harness.actor.send({ type: 'node.left', nodeId: 'n1', reason: 'too many init failures' });
    await settle();
    const snapshot = harness.actor.getSnapshot();
    expect(snapshot.value).toBe('failed');
    expect(snapshot.output?.failureKind).toBe(FailureKind.FAILURE_KIND_INIT);
    expect(snapshot.output?.reason).toContain('ImportError: no module named foo');
  });

  it('ends CANCELLED on job.cancel and releases its nodes', async () => {
    const harness = startHarness();
    await settle();
    harness.liveNodes.push(node('n1'));
    harness.actor.send({ type: 'node.offered', node: node('n1') });
    harness.actor.send({ type: 'job.cancel', reason: 'user asked' });
    expect(sentOfKind(harness, 'n1', 'release')).toEqual([{ jobId: 'job-1', reason: 'cancelled' }]);
    harness.actor.send({ type: 'node.left', nodeId: 'n1', reason: 'released' });
    await settle();
    expect(harness.actor.getSnapshot().value).toBe('cancelled');
    expect(harness.actor.getSnapshot().output?.reason).toBe('user asked');
  });

  it('ignores nodes of another compute', async () => {
    const harness = startHarness();
    await settle();
    harness.liveNodes.push(node('gpu1', 'gpu'));
    harness.actor.send({ type: 'node.offered', node: node('gpu1', 'gpu') });
    expect(harness.sent.get('gpu1')).toBeUndefined();
    expect(harness.actor.getSnapshot().context.run.nodes.size).toBe(0);
  });
});
