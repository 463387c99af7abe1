import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';

import { CoordinatorJournal, type StepJournal } from '../../../../src/coordinator/journal/coordinator-journal.js';
import { createRandomTokens, grantLeases } from '../../../../src/coordinator/ledger/decisions.js';
import { applyLedgerEvent, type Ledger, MiniBatchState } from '../../../../src/coordinator/ledger/ledger.js';

const logger = pino({ level: 'silent' });
const itemCount = () => 2;
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'parajob-coordinator-journal-'));
  dirs.push(dir);
  return dir;
}

const accepted = (jobId: string) => ({
  jobId,
  specPath: '/specs/job.yml',
  specYaml: 'name: x\n',
  runDir: `/runs/${jobId}`,
  chaos: '',
  codeHashes: [['/code', 'abc']] as const,
  warnings: [],
  acceptedAtMs: 1,
});

/** Lease tokens as the core draws them (random: the journal does not hand them out). */
const tokens = createRandomTokens();

/** Grants `count` leases on the live ledger and journals them. */
function grant(journal: CoordinatorJournal, step: StepJournal, ledger: Ledger, count: number) {
  const events = grantLeases(ledger, 'node-a', count, tokens, 5);
  for (const event of events) {
    applyLedgerEvent(ledger, event);
    step.record(event);
  }
  return events;
}

describe('CoordinatorJournal', () => {
  it('resumes a step with the journaled ledger, its live leases kept, and the output end of its last committed completion', async () => {
    const dir = await dataDir();
    const journal = await CoordinatorJournal.open(dir, { logger });
    await journal.jobAccepted(accepted('job-1'));
    const { step, ledger } = journal.startStep('job-1', 'job-1', { miniBatchCount: 6, maxRetries: 1 }, itemCount);
    let releaseSync: () => void = () => undefined;
    let syncs = 0;
    step.attachOutput(() => {
      syncs += 1;
      return new Promise<void>((resolve) => (releaseSync = resolve));
    });
    const grants = grant(journal, step, ledger, 4);
    // Mini-batch 0 completes; its rows end at byte 10 of the output.
    const [g0, g1] = grants;
    if (g0?.type !== 'lease.granted' || g1?.type !== 'lease.granted') throw new Error('test bug');
    const done0 = { type: 'batch.completed', miniBatchId: 0, token: g0.token, total: 2, succeeded: 2 } as const;
    applyLedgerEvent(ledger, done0);
    step.record(done0, 10);
    await expect.poll(() => syncs).toBe(1);
    // Still waiting for the output sync: not journaled.
    await journal.durable();
    expect(journal.state.steps.get(step.stepKey)?.outputEnd).toBe(0);
    releaseSync();
    await step.durable();
    expect(journal.state.steps.get(step.stepKey)?.outputEnd).toBe(10);
    // Mini-batch 1 completes but the coordinator dies before its output is synced.
    const done1 = { type: 'batch.completed', miniBatchId: 1, token: g1.token, total: 2, succeeded: 2 } as const;
    applyLedgerEvent(ledger, done1);
    step.record(done1, 25);
    await expect.poll(() => syncs).toBe(2);

    const restarted = await CoordinatorJournal.open(dir, { logger });
    expect(restarted.jobs().map((job) => job.accepted.jobId)).toEqual(['job-1']);
    const resumed = restarted.startStep('job-1', 'job-1', { miniBatchCount: 6, maxRetries: 1 }, itemCount);
    expect(resumed.resumed).toEqual({ outputEnd: 10, liveLeases: 3 });
    expect(resumed.ledger.states[0]).toBe(MiniBatchState.succeeded);
    // Mini-batch 1's completion never became durable: its lease is still live (the step run keeps it
    // for its node to report, or re-queues it), like those of 2 and 3.
    expect(resumed.ledger.states[1]).toBe(MiniBatchState.leased);
    expect([...resumed.ledger.leases.values()].map((lease) => [lease.miniBatchId, lease.token])).toEqual([
      [1, g1.token],
      [2, grants[2]?.type === 'lease.granted' ? grants[2].token : -1],
      [3, grants[3]?.type === 'lease.granted' ? grants[3].token : -1],
    ]);
    expect(resumed.ledger.pending.toArray()).toEqual([4, 5]);
    expect(resumed.ledger.counts.succeeded).toBe(1);
    releaseSync();
    await journal.close();
    await restarted.close();
  });

  it('durable() waits for the completions handed in before it (their output synced, journaled), not for later ones', async () => {
    const dir = await dataDir();
    const journal = await CoordinatorJournal.open(dir, { logger });
    await journal.jobAccepted(accepted('job-1'));
    const { step, ledger } = journal.startStep('job-1', 'job-1', { miniBatchCount: 4, maxRetries: 0 }, itemCount);
    const releases: (() => void)[] = [];
    step.attachOutput(() => new Promise<void>((resolve) => releases.push(resolve)));
    const grants = grant(journal, step, ledger, 3);
    const complete = (index: number, outputEnd: number) => {
      const granted = grants[index];
      if (granted?.type !== 'lease.granted') throw new Error('test bug');
      const event = {
        type: 'batch.completed',
        miniBatchId: granted.miniBatchId,
        token: granted.token,
        total: 2,
        succeeded: 2,
      } as const;
      applyLedgerEvent(ledger, event);
      step.record(event, outputEnd);
    };
    complete(0, 10);
    let firstDurable = false;
    const first = step.durable().then(() => (firstDurable = true));
    await expect.poll(() => releases.length).toBe(1);
    // Its output is not synced yet: not durable, so not acknowledged.
    await journal.durable();
    expect(firstDurable).toBe(false);
    // A later completion arrives while the first sync runs; it needs a second sync.
    complete(1, 20);
    let secondDurable = false;
    const second = step.durable().then(() => (secondDurable = true));
    releases[0]?.();
    await first;
    expect(journal.state.steps.get(step.stepKey)?.outputEnd).toBe(10);
    expect(secondDurable).toBe(false);
    // The first waiter did not wait for the second completion's sync.
    await expect.poll(() => releases.length).toBe(2);
    releases[1]?.();
    await second;
    expect(journal.state.steps.get(step.stepKey)?.outputEnd).toBe(20);
    await journal.close();
  });

  it('durable() rejects when the output sync fails: those completions are never journaled', async () => {
    const dir = await dataDir();
    const journal = await CoordinatorJournal.open(dir, { logger });
    await journal.jobAccepted(accepted('job-1'));
    const { step, ledger } = journal.startStep('job-1', 'job-1', { miniBatchCount: 2, maxRetries: 0 }, itemCount);
    step.attachOutput(() => Promise.reject(new Error('disk full')));
    const [granted] = grant(journal, step, ledger, 1);
    if (granted?.type !== 'lease.granted') throw new Error('test bug');
    const event = { type: 'batch.completed', miniBatchId: 0, token: granted.token, total: 2, succeeded: 2 } as const;
    applyLedgerEvent(ledger, event);
    step.record(event, 10);
    await expect(step.durable()).rejects.toThrow('disk full');
    expect(journal.state.steps.get(step.stepKey)?.outputEnd).toBe(0);
    await journal.close();
  });

  it('a job that ended is known after a restart with its status, and its step is not resumed', async () => {
    const dir = await dataDir();
    const journal = await CoordinatorJournal.open(dir, { logger, snapshotEveryRecords: 3 });
    await journal.jobAccepted(accepted('job-1'));
    await journal.jobAccepted(accepted('job-2'));
    const { step, ledger } = journal.startStep('job-1', 'job-1', { miniBatchCount: 3, maxRetries: 0 }, itemCount);
    grant(journal, step, ledger, 3);
    await step.ended('cancelled');
    await journal.jobEnded('job-1', { jobId: 'job-1', state: 'JOB_STATE_CANCELLED' });
    const other = journal.startStep('job-2', 'job-2', { miniBatchCount: 2, maxRetries: 0 }, itemCount);
    grant(journal, other.step, other.ledger, 1);
    await journal.durable();
    await journal.close();

    const restarted = await CoordinatorJournal.open(dir, { logger, snapshotEveryRecords: 3 });
    const jobs = restarted.jobs();
    expect(jobs.map((job) => [job.accepted.jobId, job.endedStatus])).toEqual([
      ['job-1', { jobId: 'job-1', state: 'JOB_STATE_CANCELLED' }],
      ['job-2', undefined],
    ]);
    const resumed = restarted.startStep('job-2', 'job-2', { miniBatchCount: 2, maxRetries: 0 }, itemCount);
    expect(resumed.resumed?.liveLeases).toBe(1);
    expect(resumed.ledger.pending.toArray()).toEqual([1]);
    expect(resumed.ledger.attempts[0]).toBe(1);
    await restarted.close();
  });

  it('refuses to resume a step whose input now cuts into a different number of mini-batches', async () => {
    const dir = await dataDir();
    const journal = await CoordinatorJournal.open(dir, { logger });
    await journal.jobAccepted(accepted('job-1'));
    journal.startStep('job-1', 'job-1', { miniBatchCount: 3, maxRetries: 0 }, itemCount);
    await journal.close();
    const restarted = await CoordinatorJournal.open(dir, { logger });
    expect(() => restarted.startStep('job-1', 'job-1', { miniBatchCount: 4, maxRetries: 0 }, itemCount)).toThrow(
      /now cuts into 4 mini-batches, but the journal holds 3/,
    );
    await restarted.close();
  });
});
