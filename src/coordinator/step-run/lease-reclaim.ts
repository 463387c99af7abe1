/**
 * Leases kept across a coordinator restart. A resumed step run starts with the leases its journal
 * held live: the mini-batches may still be running on their nodes, which dial the restarted
 * coordinator again and say in their hello which leases they still answer for (parajob.proto
 * `NodeHello.held_leases`). Each journaled lease is claimed (kept: its result will come) when its node
 * reports it and serves the run, and re-queued when its node comes back without it, or when no node
 * claimed it within the reclaim window (settings.leaseReclaimMs): work in flight is not run again when
 * the coordinator comes back quickly, and nothing waits forever on a node that is gone.
 */
import type { NodeInfo } from '../cluster/node-directory.js';
import { finishedCount, type MiniBatchEvent } from '../ledger/ledger.js';
import type { StepRunContext } from './context.js';
import { requeueLeases } from './leasing.js';

/** The line that says a run resumed, and what became of the leases it held. */
export function resumedText(context: StepRunContext): string | undefined {
  const ledger = context.run.ledger;
  if (ledger === undefined || !context.run.resumedOnRestart) return undefined;
  const kept = context.run.unclaimedLeases.size;
  const seconds = Math.round(context.deps.settings.leaseReclaimMs / 1000);
  return (
    `resumed after a coordinator restart: ${finishedCount(ledger)} of ${ledger.miniBatchCount} mini-batches were already done; ` +
    `${kept} that were running are kept for their nodes to report (those not reported within ${seconds} s run again)`
  );
}

/** Marks every live lease of the freshly resumed ledger as waiting for its node. Returns how many. */
export function awaitJournaledLeases(context: StepRunContext): number {
  const { ledger, unclaimedLeases } = context.run;
  if (ledger === undefined) return 0;
  for (const lease of ledger.leases.values()) unclaimedLeases.set(lease.miniBatchId, lease.token);
  return unclaimedLeases.size;
}

/**
 * `node` (re)attached: the journaled leases of it that it reports are kept if it serves the run (its
 * results count only then), the others re-queued. Returns the leases re-queued.
 */
export function claimHeldLeases(context: StepRunContext, node: NodeInfo): number {
  const { ledger, unclaimedLeases } = context.run;
  if (ledger === undefined || unclaimedLeases.size === 0) return 0;
  const serving = context.run.nodes.has(node.nodeId);
  const held = new Set(serving ? (node.heldLeases?.get(context.jobId) ?? []) : []);
  const revoked: MiniBatchEvent[] = [];
  let kept = 0;
  for (const [miniBatchId, token] of unclaimedLeases) {
    const lease = ledger.leases.get(miniBatchId);
    if (lease?.token !== token) {
      unclaimedLeases.delete(miniBatchId); // settled meanwhile
      continue;
    }
    if (lease.nodeId !== node.nodeId) continue;
    unclaimedLeases.delete(miniBatchId);
    if (held.has(token)) kept += 1;
    else revoked.push({ type: 'lease.revoked', miniBatchId, token, cause: 'node-lost' });
  }
  if (kept > 0 || revoked.length > 0)
    context.deps.logger.info(
      { nodeId: node.nodeId, kept, requeued: revoked.length },
      'leases of a coordinator restart reclaimed',
    );
  const reason = 'its node came back after the coordinator restart without it';
  return requeueLeases(context, revoked.reverse(), 'NodeLost', reason);
}

/** The reclaim window is over: every lease no node claimed is re-queued. Returns how many. */
export function requeueUnclaimedLeases(context: StepRunContext): number {
  const { ledger, unclaimedLeases } = context.run;
  if (ledger === undefined || unclaimedLeases.size === 0) return 0;
  const revoked: MiniBatchEvent[] = [];
  for (const [miniBatchId, token] of unclaimedLeases) {
    if (ledger.leases.get(miniBatchId)?.token === token)
      revoked.push({ type: 'lease.revoked', miniBatchId, token, cause: 'node-lost' });
  }
  unclaimedLeases.clear();
  if (revoked.length > 0)
    context.deps.logger.warn({ requeued: revoked.length }, 'leases of a coordinator restart not reclaimed in time');
  const reason = 'its node did not come back after the coordinator restart';
  return requeueLeases(context, revoked.reverse(), 'NodeLost', reason);
}
