/**
 * A parallel step run's ledger as the web UI shows it (src/web/source.ts StepLive): counts by state,
 * the live leases and the serving nodes with their processors. Read from the actor's snapshot; the
 * ledger is not copied, only its live leases (bounded by the nodes' credit).
 */
import type { Actor } from 'xstate';

import type { StepLive } from '../../web/source.js';
import type { StepRunMachine } from '../step-run/step-run.machine.js';

export function stepLiveOf(actor: Actor<StepRunMachine>): StepLive | undefined {
  const { run, step } = actor.getSnapshot().context;
  const ledger = run.ledger;
  if (ledger === undefined) return undefined;
  const leases = [...ledger.leases.values()]
    .map(({ miniBatchId, attempt, nodeId, grantedAtMs }) => ({ miniBatchId, attempt, nodeId, grantedAtMs }))
    .sort((a, b) => a.grantedAtMs - b.grantedAtMs);
  return {
    total: ledger.miniBatchCount,
    pending: ledger.pending.length,
    leased: ledger.leases.size,
    succeeded: ledger.counts.succeeded,
    failed: ledger.counts.failed,
    retries: ledger.counts.retries,
    itemsSucceeded: ledger.counts.itemsSucceeded,
    itemsFailed: ledger.counts.itemsFailed,
    leases,
    nodes: [...run.nodes.values()].map(({ info }) => ({
      nodeId: info.nodeId,
      processors: step.maxConcurrencyPerInstance ?? Math.max(1, info.cores),
    })),
  };
}
