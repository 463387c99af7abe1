import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { ByteReader, ByteWriter } from '../../../../src/coordinator/journal/byte-codec.js';
import { FileJournal } from '../../../../src/coordinator/journal/file-journal.js';
import {
  readLedgerEvent,
  readLedgerState,
  writeLedgerEvent,
  writeLedgerState,
} from '../../../../src/coordinator/journal/ledger-codec.js';
import {
  acceptResult,
  createTokenCounter,
  grantLeases,
  revokeNodeLeases,
} from '../../../../src/coordinator/ledger/decisions.js';
import {
  applyLedgerEvent,
  createLedger,
  type Ledger,
  type LedgerEvent,
} from '../../../../src/coordinator/ledger/ledger.js';
import { BatchOutcome } from '../../../../src/gen/parajob/v1/parajob.js';

const LEDGER_EVENT = 1;
const itemCount = (miniBatchId: number) => 1 + (miniBatchId % 4);

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Everything a ledger holds, as plain data to compare. */
function plain(ledger: Ledger) {
  return {
    miniBatchCount: ledger.miniBatchCount,
    maxAttempts: ledger.maxAttempts,
    states: [...ledger.states],
    attempts: [...ledger.attempts],
    failedAttempts: [...ledger.failedAttempts],
    pending: ledger.pending.toArray(),
    leases: [...ledger.leases.entries()].sort(([a], [b]) => a - b),
    leasesByNode: [...ledger.leasesByNode.entries()].sort(([a], [b]) => a.localeCompare(b)),
    counts: ledger.counts,
    firstFailures: ledger.firstFailures,
    itemCounts: Array.from({ length: ledger.miniBatchCount }, (_, id) => ledger.itemCount(id)),
  };
}

/** A deterministic pseudo-random sequence (so a failure can be replayed). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Drives a ledger through grants, all kinds of results and lost nodes; each event goes to `emit` after it is applied. */
function simulate(ledger: Ledger, steps: number, seed: number, emit: (event: LedgerEvent, step: number) => void): void {
  const next = random(seed);
  const tokens = createTokenCounter(1);
  const nodes = ['node-a', 'node-b', 'node-c'];
  const outcomes = [
    BatchOutcome.BATCH_OUTCOME_COMPLETED,
    BatchOutcome.BATCH_OUTCOME_COMPLETED,
    BatchOutcome.BATCH_OUTCOME_COMPLETED,
    BatchOutcome.BATCH_OUTCOME_EXCEPTION,
    BatchOutcome.BATCH_OUTCOME_TIMEOUT,
    BatchOutcome.BATCH_OUTCOME_RETURNED,
  ];
  for (let step = 0; step < steps; step++) {
    const roll = next();
    let events: LedgerEvent[] = [];
    if (roll < 0.35) {
      events = grantLeases(
        ledger,
        nodes[Math.floor(next() * 3)] as string,
        1 + Math.floor(next() * 4),
        tokens,
        1_000 + step,
      );
    } else if (roll < 0.95 && ledger.leases.size > 0) {
      const leases = [...ledger.leases.values()];
      const lease = leases[Math.floor(next() * leases.length)];
      if (lease === undefined) continue;
      const outcome = outcomes[Math.floor(next() * outcomes.length)] as BatchOutcome;
      const decision = acceptResult(ledger, {
        miniBatchId: lease.miniBatchId,
        attempt: lease.attempt,
        token: lease.token,
        outcome,
        total: itemCount(lease.miniBatchId),
        succeeded: Math.floor(next() * (itemCount(lease.miniBatchId) + 1)),
        errorKind: 'ValueError',
        errorMessage: `boom ${step} ✗`,
      });
      if (decision.accepted) events = [decision.event];
    } else {
      events = revokeNodeLeases(ledger, nodes[Math.floor(next() * 3)] as string, 'node-lost');
    }
    for (const event of events) {
      applyLedgerEvent(ledger, event);
      emit(event, step);
    }
  }
}

function eventRecord(event: LedgerEvent) {
  return { type: LEDGER_EVENT, payload: writeLedgerEvent(new ByteWriter(), event).finish() };
}

function snapshotPayload(ledger: Ledger): Uint8Array[] {
  return [writeLedgerState(new ByteWriter(1024), ledger).finish()];
}

describe('ledger in the journal', () => {
  it('snapshot + replay of the records after it equals the live ledger, and compaction keeps only what replay needs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parajob-ledger-journal-'));
    dirs.push(dir);
    const live = createLedger({ miniBatchCount: 600, maxRetries: 0, itemCount });
    const { journal } = await FileJournal.open(dir, { segmentBytes: 4_096 });
    const snapshots: Promise<number>[] = [];
    let lastSnapshotStep = -1;
    simulate(live, 900, 7, (event, step) => {
      journal.write(eventRecord(event));
      // Snapshots at two points: the second makes the first and every segment before it redundant.
      if ((step === 300 || step === 600) && lastSnapshotStep !== step) {
        lastSnapshotStep = step;
        snapshots.push(journal.snapshot(snapshotPayload(live)));
      }
    });
    const [, secondLsn] = await Promise.all(snapshots);
    // The run covered every kind of state the snapshot must carry.
    expect(live.counts.succeeded).toBeGreaterThan(0);
    expect(live.counts.failed).toBeGreaterThan(0);
    expect(live.counts.returned + live.counts.retries).toBeGreaterThan(0);
    expect(live.leases.size).toBeGreaterThan(0);
    expect(live.pending.length).toBeGreaterThan(0);
    await journal.close();

    const files = await readdir(dir);
    expect(files.filter((name) => name.endsWith('.snap'))).toEqual([
      `snap-${String(secondLsn).padStart(16, '0')}.snap`,
    ]);
    for (const name of files.filter((name) => name.endsWith('.wal')))
      expect(Number(name.slice(0, 16))).toBeGreaterThanOrEqual(secondLsn as number);

    const { journal: reopened, recovered } = await FileJournal.open(dir, { segmentBytes: 4_096 });
    await reopened.close();
    expect(recovered.snapshot?.lsn).toBe(secondLsn);
    const restored = readLedgerState(new ByteReader(recovered.snapshot?.payload ?? new Uint8Array()), itemCount);
    expect(recovered.entries.length).toBeGreaterThan(0);
    for (const entry of recovered.entries) applyLedgerEvent(restored, readLedgerEvent(new ByteReader(entry.payload)));
    expect(plain(restored)).toEqual(plain(live));
  });

  it('replay of every event from the start equals the live ledger (no snapshot)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parajob-ledger-journal-'));
    dirs.push(dir);
    const live = createLedger({ miniBatchCount: 120, maxRetries: 1, itemCount });
    const { journal } = await FileJournal.open(dir);
    simulate(live, 500, 11, (event) => journal.write(eventRecord(event)));
    await journal.close();
    const { journal: reopened, recovered } = await FileJournal.open(dir);
    await reopened.close();
    const restored = createLedger({ miniBatchCount: 120, maxRetries: 1, itemCount });
    for (const entry of recovered.entries) applyLedgerEvent(restored, readLedgerEvent(new ByteReader(entry.payload)));
    expect(plain(restored)).toEqual(plain(live));
  });

  it('a ledger state round-trips through its bytes at every point of a run', () => {
    const live = createLedger({ miniBatchCount: 64, maxRetries: 3, itemCount });
    simulate(live, 300, 3, () => {
      const copy = readLedgerState(new ByteReader(snapshotPayload(live)[0] as Uint8Array), itemCount);
      expect(plain(copy)).toEqual(plain(live));
    });
  });
});
