/**
 * The step-run machine over a tabular MLTable input (the real partitionInput actor on temp files):
 * the assignment says 'tabular' with the reader JSON, leases carry byte ranges, items are rows (counted
 * as read for a size cut: unknown total until every mini-batch is read), rows of a failed mini-batch
 * count as failed items, and an invalid MLTable fails the job as INVALID_INPUT naming the file.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Actor, fromPromise, waitFor } from 'xstate';

import type { NodeInfo } from '../../../src/coordinator/cluster/node-directory.js';
import type { StepReport } from '../../../src/coordinator/step-run/report.js';
import { NO_STAGING, type StepSinks } from '../../../src/coordinator/step-run/sinks.js';
import {
  type FinishStepInput,
  type StepRunMachine,
  stepRunMachine,
} from '../../../src/coordinator/step-run/step-run.machine.js';
import { progressOf } from '../../../src/coordinator/step-run/step-status.js';
import {
  BatchOutcome,
  type BatchResult,
  type CoordinatorMessage,
  FailureKind,
  type Lease,
} from '../../../src/gen/parajob/v1/parajob.js';
import type { MiniBatchSize } from '../../../src/jobspec/model.js';
import { resultFor } from './support/batch-result.js';
import { makeStep } from './support/step-fixture.js';
import { createStepRunActor } from './support/step-run-actor.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parajob-step-tabular-'));
  await mkdir(join(dir, 'table'));
  await writeFile(
    join(dir, 'table', 'MLTable'),
    'paths:\n  - file: ./a.csv\ntransformations:\n  - read_delimited: {}\n',
  );
  await writeFile(
    join(dir, 'table', 'a.csv'),
    `id\n${Array.from({ length: 60 }, (_, i) => `${1000 + i}`).join('\n')}\n`,
  );
  await mkdir(join(dir, 'bad'));
  await writeFile(join(dir, 'bad', 'MLTable'), 'paths:\n  - file: ./a.csv\ntransformations:\n  - filter: "id > 3"\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Harness {
  readonly actor: Actor<StepRunMachine>;
  readonly sent: CoordinatorMessage[];
  readonly reports: StepReport[];
}

const NODE: NodeInfo = {
  nodeId: 'n1',
  compute: 'local',
  cores: 1,
  gpus: 0,
  host: 'h',
  pid: 1,
  jobIds: [],
  attachedAtMs: 0,
};

function start(tablePath: string, miniBatchSize: MiniBatchSize, maxRetries = 0): Harness {
  const sent: CoordinatorMessage[] = [];
  const reports: StepReport[] = [];
  const sinks: StepSinks = {
    appendRows: () => undefined,
    recordAttempt: () => undefined,
    overview: () => undefined,
    flushReports: () => undefined,
    staged: NO_STAGING,
    outputEnd: 0,
    syncOutput: async () => undefined,
    outputError: undefined,
    backlogged: false,
    onDrained: () => () => undefined,
    finish: async (report) => {
      reports.push(report);
    },
  };
  const step = {
    ...makeStep({ runDir: join(dir, 'run'), inputPath: tablePath, inputType: 'mltable', maxRetries }),
    miniBatchSize,
  };
  const machine = stepRunMachine.provide({
    actors: {
      prepareStep: fromPromise(async () => sinks),
      finishStep: fromPromise(async ({ input }: { input: FinishStepInput }) => {
        reports.push(input.report);
      }),
    },
  });
  const actor = createStepRunActor(machine, {
    step,
    nodes: { liveNodes: () => [NODE], send: (_nodeId, message) => (sent.push(message), true) },
    chaos: '',
    settings: { releaseWaitMs: 200, overviewIntervalMs: 60_000 },
  });
  actor.start();
  return { actor, sent, reports };
}

function leases(harness: Harness): Lease[] {
  return harness.sent.flatMap((message) => (message.kind?.$case === 'leases' ? message.kind.value.leases : []));
}

function result(lease: Lease, rows: number, outcome = BatchOutcome.BATCH_OUTCOME_COMPLETED): BatchResult {
  return resultFor(lease, { total: rows, outcome, errorMessage: 'bad row' });
}

describe('step run over a tabular MLTable', () => {
  it('a size cut: tabular assignment, byte-range leases, rows counted as read, failed rows counted', async () => {
    const harness = start(join(dir, 'table'), { value: 100, unit: 'bytes', text: '100b' });
    await waitFor(harness.actor, (snapshot) => snapshot.matches('waitingForFirstTask'), { timeout: 5_000 });
    harness.actor.send({ type: 'node.offered', node: NODE });
    const assign = harness.sent.find((message) => message.kind?.$case === 'assign');
    expect(assign?.kind?.$case === 'assign' && assign.kind.value).toMatchObject({ inputKind: 'tabular' });
    const assignment = assign?.kind?.$case === 'assign' ? assign.kind.value : undefined;
    expect(JSON.parse(assignment?.tabularReaderJson ?? '{}')).toMatchObject({
      reader: { format: 'delimited', header: 'all_files_same_headers' },
      transforms: [],
    });

    harness.actor.send({ type: 'lease.requested', nodeId: 'n1', count: 100 });
    const granted = leases(harness);
    expect(granted.length).toBeGreaterThan(2);
    for (const lease of granted) {
      expect(lease).toMatchObject({ files: [], itemCount: 0, partitionKeyJson: '' });
      expect(lease.ranges).toHaveLength(1);
      expect(lease.ranges[0]?.path).toBe(join(dir, 'table', 'a.csv'));
    }
    expect(granted[0]?.ranges[0]?.start).toBe(3);
    // The items total is unknown (0) while rows are still being counted.
    const [first, ...rest] = granted;
    harness.actor.send({ type: 'results.received', nodeId: 'n1', results: [result(first!, 20)] });
    expect(progressOf(harness.actor.getSnapshot().context, Date.now())).toMatchObject({
      itemsTotal: 0,
      itemsSucceeded: 20,
    });
    // The last mini-batch fails for good (no retries): its reported rows count as failed items.
    const last = rest.pop()!;
    harness.actor.send({ type: 'results.received', nodeId: 'n1', results: rest.map((lease) => result(lease, 10)) });
    harness.actor.send({
      type: 'results.received',
      nodeId: 'n1',
      results: [result(last, 7, BatchOutcome.BATCH_OUTCOME_EXCEPTION)],
    });
    const rowsTotal = 20 + rest.length * 10 + 7;
    expect(progressOf(harness.actor.getSnapshot().context, Date.now())).toMatchObject({
      itemsTotal: rowsTotal,
      itemsSucceeded: rowsTotal - 7,
      itemsFailed: 7,
    });
    harness.actor.send({ type: 'node.left', nodeId: 'n1', reason: 'released' });
    await waitFor(harness.actor, (snapshot) => snapshot.status === 'done', { timeout: 5_000 });
    expect(harness.reports.at(-1)).toMatchObject({ itemsTotal: rowsTotal, counts: { itemsFailed: 7 } });
  });

  it('a rows cut: leases carry their row counts and the total is known up front', async () => {
    const harness = start(join(dir, 'table'), { value: 25, unit: 'rows', text: '25 rows' });
    await waitFor(harness.actor, (snapshot) => snapshot.matches('waitingForFirstTask'), { timeout: 5_000 });
    harness.actor.send({ type: 'node.offered', node: NODE });
    harness.actor.send({ type: 'lease.requested', nodeId: 'n1', count: 10 });
    expect(leases(harness).map((lease) => lease.itemCount)).toEqual([25, 25, 10]);
    expect(progressOf(harness.actor.getSnapshot().context, Date.now()).itemsTotal).toBe(60);
    harness.actor.send({ type: 'job.cancel', reason: 'test over' });
    harness.actor.send({ type: 'node.left', nodeId: 'n1', reason: 'released' });
    await waitFor(harness.actor, (snapshot) => snapshot.status === 'done', { timeout: 5_000 });
  });

  it('an invalid MLTable fails the step as INVALID_INPUT naming the MLTable file and line', async () => {
    const harness = start(join(dir, 'bad'), { value: 1, unit: 'plain', text: '1' });
    const snapshot = await waitFor(harness.actor, (s) => s.status === 'done', { timeout: 5_000 });
    expect(snapshot.output?.failureKind).toBe(FailureKind.FAILURE_KIND_INVALID_INPUT);
    expect(snapshot.output?.reason).toContain(`${join(dir, 'bad', 'MLTable')}:4:`);
    expect(snapshot.output?.reason).toMatch(/transformation `filter` is not supported by parajob/);
  });
});
