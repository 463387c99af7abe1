// Workload: coordinator recovery. A journal holding one step run of N mini-batches, half of them
// done (leased, then committed; snapshots taken as the coordinator takes them), is reopened as a
// restarted coordinator does: the journal replayed (snapshot + records after it) and the step's
// ledger rebuilt, ready to serve. Issue 13 asks ≤ 1 s for 1,000,000 mini-batches half done. The
// no-op scheduling rate with and without the journal (≥ 90%) is the scheduling workload's pair of rows.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { median } from '../lib/measure.mjs';

const dist = (path) => new URL(`../../dist/src/${path}`, import.meta.url).href;
const { CoordinatorJournal } = await import(dist('coordinator/journal/coordinator-journal.js'));
const { applyLedgerEvent, createLedger } = await import(dist('coordinator/ledger/ledger.js'));
const { createRandomTokens, grantLeases, acceptResult } = await import(dist('coordinator/ledger/decisions.js'));
const { pino } = await import('pino');

const logger = pino({ level: 'silent' });
const itemCount = () => 1;

/** Writes a journal of one step run of `count` mini-batches, half of them completed. */
async function writeJournal(dir, count) {
  const journal = await CoordinatorJournal.open(dir, { logger });
  await journal.jobAccepted({
    jobId: 'bench',
    specPath: '/bench/job.yml',
    specYaml: 'name: bench\n',
    runDir: '/bench/run',
    chaos: '',
    codeHashes: [],
    warnings: [],
    acceptedAtMs: Date.now(),
  });
  const { step, ledger } = journal.startStep('bench', 'bench', { miniBatchCount: count, maxRetries: 2 }, itemCount);
  const tokens = createRandomTokens();
  const half = count / 2;
  for (let done = 0; done < half;) {
    const grants = grantLeases(ledger, 'node-1', Math.min(1000, half - done), tokens, Date.now());
    for (const event of grants) {
      applyLedgerEvent(ledger, event);
      step.record(event);
    }
    for (const granted of grants) {
      const decision = acceptResult(ledger, {
        miniBatchId: granted.miniBatchId,
        attempt: granted.attempt,
        token: granted.token,
        outcome: 1,
        total: 1,
        succeeded: 1,
        errorKind: '',
        errorMessage: '',
      });
      if (!decision.accepted) throw new Error(`bench: result refused: ${decision.reason}`);
      applyLedgerEvent(ledger, decision.event);
      step.record(decision.event, done + 1);
      done += 1;
    }
    await step.durable();
  }
  await journal.close();
}

/** Reopens the journal and rebuilds the step's ledger; returns the wall time in ms. */
async function recover(dir, count) {
  const started = performance.now();
  const journal = await CoordinatorJournal.open(dir, { logger });
  const { ledger } = journal.startStep('bench', 'bench', { miniBatchCount: count, maxRetries: 2 }, itemCount);
  const ms = performance.now() - started;
  if (ledger.counts.succeeded !== count / 2) throw new Error(`bench: recovered ${ledger.counts.succeeded} done`);
  await journal.close();
  return ms;
}

export async function recovery({ quick, runs }) {
  const count = quick ? 100_000 : 1_000_000;
  const dir = mkdtempSync(join(tmpdir(), 'parajob-bench-recovery-'));
  try {
    const writeStarted = performance.now();
    await writeJournal(dir, count);
    const writeMs = performance.now() - writeStarted;
    // Each recovery reads the journal as the previous one left it (a reopen adds a segment, no records).
    const times = [];
    for (let i = 0; i < runs; i++) times.push(await recover(dir, count));
    const ms = median(times);
    // Without a journal a coordinator starts empty: the nearest figure is creating the same ledger fresh.
    const fresh = [];
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      createLedger({ miniBatchCount: count, maxRetries: 2, itemCount });
      fresh.push(performance.now() - started);
    }
    const freshMs = median(fresh);
    return {
      title: `recovery: a journal of ${count.toLocaleString('en-US')} mini-batches, half done, reopened and its ledger rebuilt (median of ${runs})`,
      columns: [
        'mini-batches',
        'done',
        'recovery ms',
        'target',
        'journal written in s',
        'without a journal: a fresh ledger, ms',
      ],
      rows: [
        [
          count.toLocaleString('en-US'),
          (count / 2).toLocaleString('en-US'),
          ms.toFixed(0),
          quick ? '(quick: 1/10 of the size)' : ms <= 1000 ? '≤ 1000 ms: met' : '≤ 1000 ms: NOT met',
          (writeMs / 1000).toFixed(1),
          freshMs.toFixed(0),
        ],
      ],
      headline: { 'recovery ms': ms },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
