/**
 * The journal's side of reruns and retention: a step that ended without succeeding keeps which of its
 * mini-batches succeeded (live, after a replay of its records, and through a snapshot); a rerun's
 * step journal carries them into its fresh ledger, durably with the output length they end at; a
 * deleted job leaves the journal's state and its next snapshot.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';

import { ByteReader, ByteWriter } from '../../../../src/coordinator/journal/byte-codec.js';
import { CoordinatorJournal, type StepJournal } from '../../../../src/coordinator/journal/coordinator-journal.js';
import { readLedgerEvent, writeLedgerEvent } from '../../../../src/coordinator/journal/ledger-codec.js';
import { stepRunJournal } from '../../../../src/coordinator/journal/step-run-journal.js';
import { acceptResult, createRandomTokens, grantLeases } from '../../../../src/coordinator/ledger/decisions.js';
import {
  applyLedgerEvent,
  createLedger,
  type Ledger,
  LedgerInvariantError,
  MiniBatchState,
} from '../../../../src/coordinator/ledger/ledger.js';
import { hasMiniBatch, miniBatchesIn, miniBatchSetSize } from '../../../../src/coordinator/ledger/mini-batch-set.js';
import { BatchOutcome } from '../../../../src/gen/parajob/v1/parajob.js';

const logger = pino({ level: 'silent' });
const itemCount = () => 2;
const tokens = createRandomTokens();
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'parajob-rerun-journal-'));
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

/** Runs mini-batch `id` once on the live ledger: completed (returning `succeeded` of 2 items) or failed for good. */
function runOnce(step: StepJournal, ledger: Ledger, id: number, result: 'completed' | 'failed', succeeded = 2): void {
  const [grant] = grantLeases(ledger, 'node-a', 1, tokens, 5);
  if (grant?.type !== 'lease.granted' || grant.miniBatchId !== id) throw new Error(`test bug: ${id} is not next`);
  applyLedgerEvent(ledger, grant);
  step.record(grant);
  const decision = acceptResult(ledger, {
    miniBatchId: id,
    attempt: grant.attempt,
    token: grant.token,
    outcome: result === 'completed' ? BatchOutcome.BATCH_OUTCOME_COMPLETED : BatchOutcome.BATCH_OUTCOME_EXCEPTION,
    total: 2,
    succeeded,
    errorKind: 'Error',
    errorMessage: 'boom',
  });
  if (!decision.accepted) throw new Error(decision.reason);
  applyLedgerEvent(ledger, decision.event);
  step.record(decision.event, (id + 1) * 10);
}

/** A journal with job-1: 6 mini-batches, 0, 2 and 3 completed (3 returning 1 of its 2 items), 1 failed, then cancelled. */
async function journalWithFailedStep(dir: string, snapshotEveryRecords?: number): Promise<CoordinatorJournal> {
  const journal = await CoordinatorJournal.open(dir, {
    logger,
    ...(snapshotEveryRecords === undefined ? {} : { snapshotEveryRecords }),
  });
  await journal.jobAccepted(accepted('job-1'));
  const { step, ledger } = journal.startStep('job-1', 'job-1', { miniBatchCount: 6, maxRetries: 0 }, itemCount);
  step.attachOutput(async () => undefined);
  runOnce(step, ledger, 0, 'completed');
  runOnce(step, ledger, 1, 'failed');
  runOnce(step, ledger, 2, 'completed');
  runOnce(step, ledger, 3, 'completed', 1);
  await step.durable();
  await step.ended('cancelled');
  await journal.jobEnded('job-1', { jobId: 'job-1', state: 'JOB_STATE_CANCELLED' });
  return journal;
}

function succeededIds(bitmap: Uint8Array, count: number): number[] {
  return [...Array(count).keys()].filter((id) => hasMiniBatch(bitmap, id));
}

describe('batches.carried', () => {
  it('marks the carried mini-batches succeeded and leaves the rest pending in order', () => {
    const ledger = createLedger({ miniBatchCount: 10, maxRetries: 0, itemCount: () => 3 });
    const states = new Uint8Array(10);
    for (const id of [0, 4, 5, 9]) states[id] = MiniBatchState.succeeded;
    applyLedgerEvent(ledger, { type: 'batches.carried', succeeded: miniBatchesIn(states, 2), itemsSucceeded: 11 });
    expect(ledger.pending.toArray()).toEqual([1, 2, 3, 6, 7, 8]);
    expect(
      [...ledger.states].map((state, id) => (state === MiniBatchState.succeeded ? id : -1)).filter((id) => id >= 0),
    ).toEqual([0, 4, 5, 9]);
    expect(ledger.counts).toMatchObject({ succeeded: 4, itemsSucceeded: 11, itemsFailed: 1, failed: 0 });
  });

  it('is refused by a ledger that leased already, and by a bitmap of another size', () => {
    const ledger = createLedger({ miniBatchCount: 10, maxRetries: 0, itemCount: () => 3 });
    const none = new Uint8Array(2);
    expect(() =>
      applyLedgerEvent(ledger, { type: 'batches.carried', succeeded: new Uint8Array(1), itemsSucceeded: 0 }),
    ).toThrow(LedgerInvariantError);
    for (const event of grantLeases(ledger, 'n', 1, tokens, 0)) applyLedgerEvent(ledger, event);
    expect(() => applyLedgerEvent(ledger, { type: 'batches.carried', succeeded: none, itemsSucceeded: 0 })).toThrow(
      LedgerInvariantError,
    );
  });

  it('round-trips through the journal codec', () => {
    const succeeded = Uint8Array.of(0b1010_0101, 0b1);
    const bytes = writeLedgerEvent(new ByteWriter(), {
      type: 'batches.carried',
      succeeded,
      itemsSucceeded: 7,
    }).finish();
    expect(readLedgerEvent(new ByteReader(bytes))).toEqual({ type: 'batches.carried', succeeded, itemsSucceeded: 7 });
    expect(miniBatchSetSize(succeeded)).toBe(5);
  });
});

describe('the journal of a step that did not succeed', () => {
  it('keeps its succeeded mini-batches and the items they returned: live, replayed, and from a snapshot', async () => {
    for (const snapshotEveryRecords of [undefined, 4]) {
      const dir = await dataDir();
      const live = await journalWithFailedStep(dir, snapshotEveryRecords);
      const expectations = (journal: CoordinatorJournal) => {
        const step = journal.state.jobs.get('job-1')?.steps.get('job-1');
        expect(step?.ended).toBe('cancelled');
        expect(step?.outputEnd).toBe(40);
        expect(succeededIds(step?.reusable?.succeeded ?? new Uint8Array(), 6)).toEqual([0, 2, 3]);
        expect(step?.reusable?.itemsSucceeded).toBe(5);
      };
      expectations(live);
      await live.close();
      const replayed = await CoordinatorJournal.open(dir, { logger });
      expectations(replayed);
      // A snapshot written now holds it too (and the records before it are compacted away).
      replayed.compact();
      await replayed.close();
      const fromSnapshot = await CoordinatorJournal.open(dir, { logger });
      expectations(fromSnapshot);
      await fromSnapshot.close();
    }
  });

  it("carries them into a rerun's fresh ledger, durably with the output length they end at", async () => {
    const dir = await dataDir();
    const journal = await journalWithFailedStep(dir);
    const reusable = journal.state.jobs.get('job-1')?.steps.get('job-1')?.reusable;
    if (reusable === undefined) throw new Error('nothing reusable');
    await journal.jobAccepted({ ...accepted('job-2'), rerunOf: 'job-1' });
    const carried = { ...reusable, miniBatchCount: 6, outputEnd: 40 };
    const rerun = stepRunJournal(journal, 'job-2', 'job-2', carried);
    expect(rerun.resuming).toBe(false);
    expect(rerun.resumeOutputAt).toBe(40);
    const { ledger } = rerun.openLedger({ miniBatchCount: 6, maxRetries: 0 }, itemCount);
    expect(ledger.pending.toArray()).toEqual([1, 4, 5]);
    expect(ledger.counts).toMatchObject({ succeeded: 3, itemsSucceeded: 5, itemsFailed: 1 });
    await journal.durable();
    await journal.close();

    // After a restart the rerun's step resumes from its own journal: the carried ones stay done.
    const restarted = await CoordinatorJournal.open(dir, { logger });
    const resumed = stepRunJournal(restarted, 'job-2', 'job-2', carried);
    expect(resumed.resuming).toBe(true);
    expect(resumed.resumeOutputAt).toBe(40);
    const again = resumed.openLedger({ miniBatchCount: 6, maxRetries: 0 }, itemCount);
    expect(again.ledger.pending.toArray()).toEqual([1, 4, 5]);
    expect(again.ledger.counts.succeeded).toBe(3);
    expect(restarted.jobs().find((job) => job.accepted.jobId === 'job-2')?.accepted.rerunOf).toBe('job-1');
    await restarted.close();
  });

  it('forgets a deleted job, in its state and after a restart', async () => {
    const dir = await dataDir();
    const journal = await journalWithFailedStep(dir);
    const stepKeys = [...journal.state.steps.keys()];
    await journal.jobDeleted('job-1');
    expect(journal.state.jobs.has('job-1')).toBe(false);
    for (const key of stepKeys) expect(journal.state.steps.has(key)).toBe(false);
    journal.compact();
    await journal.close();
    const restarted = await CoordinatorJournal.open(dir, { logger });
    expect(restarted.jobs()).toEqual([]);
    await restarted.close();
  });
});
