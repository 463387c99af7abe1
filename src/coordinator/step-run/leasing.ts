/**
 * Leasing for the step-run machine's actions: granting leases against the nodes' credit, accepting
 * results, re-queueing a dropped node's leases, revoking every lease at the end. Each function changes
 * `context.run` in place (see context.ts) and leaves the wire messages for nodes in `effects`, for the
 * machine's `sendToNodes` action; the rows results leave are built by attempt-row.ts.
 *
 * Everything here is O(1) per mini-batch (O(files of the mini-batch) to build a lease) and works on
 * batches: one Leases message per grant, one pass per BatchResults message.
 */
import type { BatchResult, Lease } from '../../gen/parajob/v1/parajob.js';
import { acceptResult, grantLeases, revokeAllLeases, revokeNodeLeases } from '../ledger/decisions.js';
import {
  applyLedgerEvent,
  FAILED_EXAMPLES_KEPT,
  finishedCount,
  type LeaseRecord,
  type MiniBatchEvent,
  type RevokeCause,
} from '../ledger/ledger.js';
import { leaseContentOf, noteItemsRead } from '../partition/partition-input.js';
import { acceptedAttemptOf, revokedAttemptRow } from './attempt-row.js';
import type { ServingNode, StepEffects, StepRunContext } from './context.js';
import { withCheckedRows } from './row-check.js';

/** Adds `count` to a serving node's credit and grants what the pending queue has. */
export function addCredit(context: StepRunContext, nodeId: string, count: number, effects: StepEffects): void {
  const serving = context.run.nodes.get(nodeId);
  if (serving === undefined) {
    // A node that still held the job when the coordinator restarted asks for work before the resumed
    // run has taken it (it is taken once the input is cut): its credit waits for that (takeNode).
    context.run.creditBeforeTaken.set(nodeId, (context.run.creditBeforeTaken.get(nodeId) ?? 0) + count);
    context.deps.logger.debug({ nodeId, count }, 'lease request from a node not serving the job kept');
    return;
  }
  serving.credit += count;
  grantTo(context, serving, effects);
}

/**
 * Leases `serving` may take now beyond those it holds: its share of the unfinished work
 * (pending + leased, divided by instance_count), and never less than twice its processors. A node
 * that asks for a deep prefetch (tiny mini-batches) cannot take the whole job before the other nodes
 * of the job attach; a job that never gets its other nodes still runs to the end on this one.
 */
function fairShareAllowance(context: StepRunContext, serving: ServingNode): number {
  const ledger = context.run.ledger;
  if (ledger === undefined) return 0;
  const unfinished = ledger.pending.length + ledger.leases.size;
  const processors = context.step.maxConcurrencyPerInstance ?? serving.info.cores;
  const share = Math.max(Math.ceil(unfinished / Math.max(1, context.step.instanceCount)), 2 * Math.max(1, processors));
  return share - (ledger.leasesByNode.get(serving.info.nodeId) ?? 0);
}

/** Grants up to the node's credit from the pending queue, as one Leases message. Returns leases granted. */
export function grantTo(context: StepRunContext, serving: ServingNode, effects: StepEffects): number {
  const { run, deps } = context;
  const ledger = run.ledger;
  const partition = context.partition;
  if (ledger === undefined || partition === undefined || run.outcome !== undefined || serving.credit <= 0) return 0;
  // The disk lags the results: no new work until the write queues drain (the machine then calls
  // grantToWaitingNodes); the credit is kept, so the nodes get their leases then.
  if (context.sinks?.backlogged === true) return 0;
  const count = Math.min(serving.credit, fairShareAllowance(context, serving));
  if (count <= 0) return 0;
  const events = grantLeases(ledger, serving.info.nodeId, count, deps.tokens, Date.now());
  if (events.length === 0) return 0;
  const leases: Lease[] = [];
  for (const event of events) {
    applyLedgerEvent(ledger, event);
    deps.journal?.record(event);
    if (event.type !== 'lease.granted') continue;
    const content = leaseContentOf(partition, event.miniBatchId);
    // Fields spelled out (not spread): one object shape for every Lease, built per lease granted.
    leases.push({
      miniBatchId: event.miniBatchId,
      attempt: event.attempt,
      token: event.token,
      files: content.files,
      fileUrls: content.fileUrls,
      ranges: content.ranges,
      partitionKeyJson: content.partitionKeyJson,
      itemCount: content.itemCount,
    });
  }
  serving.credit -= leases.length;
  run.grantedAny = true;
  effects.mail.push({
    nodeId: serving.info.nodeId,
    message: { kind: { $case: 'leases', value: { jobId: context.jobId, leases } } },
  });
  return leases.length;
}

/** Grants re-queued work to nodes with outstanding credit, starting from a rotating node. */
export function grantToWaitingNodes(context: StepRunContext, effects: StepEffects): void {
  const { run } = context;
  const serving = [...run.nodes.values()];
  if (serving.length === 0) return;
  run.grantCursor = (run.grantCursor + 1) % serving.length;
  for (let i = 0; i < serving.length; i++) {
    if (run.ledger === undefined || run.ledger.pending.length === 0) return;
    const node = serving[(run.grantCursor + i) % serving.length];
    if (node !== undefined && node.credit > 0) grantTo(context, node, effects);
  }
}

/**
 * Accepts a batch of results from `nodeId`: fencing, the ledger, the append_row rows (one write per
 * completed result), the CSV rows, the error digest; then re-queued work goes to nodes with credit.
 */
export function acceptResults(
  context: StepRunContext,
  nodeId: string,
  results: readonly BatchResult[],
  effects: StepEffects,
): void {
  const { run, deps, sinks } = context;
  const ledger = run.ledger;
  if (ledger === undefined || sinks === undefined) return;
  let accepted = 0;
  let requeued = 0;
  const receivedAtMs = Date.now();
  for (const received of results) {
    // Malformed append_row rows fail the attempt here, before a byte of them is written.
    const result = withCheckedRows(received);
    // Only the node holding the lease may report it: a guessed or replayed token from another node is fenced.
    const holder = ledger.leases.get(result.miniBatchId)?.nodeId;
    const decision =
      holder === undefined || holder === nodeId
        ? acceptResult(ledger, result)
        : { accepted: false as const, reason: `the lease is held by node ${holder}` };
    if (!decision.accepted) {
      // A zombie (a worker that finished after its lease was revoked or superseded, a lost node's
      // message arriving after the re-lease) or a forgery: fencing drops it; the log lines are bounded.
      run.droppedResults += 1;
      const { miniBatchId, attempt, token } = result;
      run.fencingLog.dropped(deps.logger, { nodeId, miniBatchId, attempt, token, reason: decision.reason });
      sinks.staged.discard(miniBatchId, token);
      continue;
    }
    const lease = ledger.leases.get(result.miniBatchId) as LeaseRecord;
    const { event } = decision;
    // Rows of a table cut by size are known once a worker read them: before the ledger counts a
    // final failure with itemCount.
    if (context.partition !== undefined && result.total > 0)
      noteItemsRead(context.partition, result.miniBatchId, result.total);
    applyLedgerEvent(ledger, event);
    // A completion is journaled with the end of its rows in the output (below), once they are synced.
    if (event.type !== 'batch.completed') deps.journal?.record(event);
    accepted += 1;
    const total = result.total || ledger.itemCount(result.miniBatchId);
    const { row, itemCountWarning } = acceptedAttemptOf(result, event, { nodeId, attempt: lease.attempt, total });
    const where = { miniBatchId: result.miniBatchId, attempt: lease.attempt, nodeId, processName: result.processName };
    if (event.type === 'batch.completed') {
      if (result.rows.length > 0) sinks.appendRows(result.rows);
      // Its staged files are marked with the rows' sync, before the journal records the completion.
      sinks.staged.accept(result.miniBatchId, result.token);
      deps.journal?.record(event, sinks.outputEnd);
      if (itemCountWarning !== undefined)
        run.errors.recordItemCountWarning(
          itemCountWarning.kind,
          { ...where, message: row.errorMessage },
          itemCountWarning.count,
        );
    } else {
      // The attempt does not count: what it wrote never reaches the output.
      sinks.staged.discard(result.miniBatchId, result.token);
    }
    if (event.type === 'lease.revoked') {
      requeued += 1;
    } else if (event.type === 'attempt.failed' || event.type === 'batch.failed') {
      const final = event.type === 'batch.failed';
      if (!final) requeued += 1;
      run.errors.recordAttemptFailure(event.errorKind, { ...where, message: event.errorMessage }, final);
      const fields = { nodeId, miniBatchId: result.miniBatchId, attempt: lease.attempt, errorKind: event.errorKind };
      // Failed mini-batches are worth a warning, but a job where everything fails must not flood the log.
      if (final && ledger.counts.failed <= FAILED_EXAMPLES_KEPT) deps.logger.warn(fields, 'mini-batch failed');
      else deps.logger.debug(fields, final ? 'mini-batch failed' : 'attempt failed');
    }
    sinks.recordAttempt(row);
    deps.onAttempt?.(receivedAtMs - lease.grantedAtMs, result.runMs);
  }
  // Accepted attempts' staged files go into their outputs once their completions are durable.
  sinks.staged.commitWhen(async () => deps.journal?.durable());
  const nowMs = Date.now();
  if (accepted > 0) {
    run.lastProgressAtMs = nowMs;
    run.rate.sample(nowMs, finishedCount(ledger));
  }
  if (requeued > 0) grantToWaitingNodes(context, effects);
  // The node's finished leases free room in its fair share: credit it asked for earlier may fit now.
  const sender = run.nodes.get(nodeId);
  if (sender !== undefined && sender.credit > 0) grantTo(context, sender, effects);
}

/** Re-queues every lease `nodeId` holds (a CSV row REVOKED each). Returns leases re-queued. */
export function requeueNodeLeases(
  context: StepRunContext,
  nodeId: string,
  cause: Extract<RevokeCause, 'node-lost' | 'node-left'>,
  reason: string,
): number {
  const ledger = context.run.ledger;
  if (ledger === undefined) return 0;
  const events = revokeNodeLeases(ledger, nodeId, cause);
  return requeueLeases(context, events, cause === 'node-lost' ? 'NodeLost' : 'NodeLeft', reason);
}

/**
 * Applies and journals `lease.revoked` events of live leases (a CSV row REVOKED each, `category`).
 * Each goes to the head of the queue, so pass the newest first to keep the original order. Returns
 * how many.
 */
export function requeueLeases(
  context: StepRunContext,
  events: readonly MiniBatchEvent[],
  category: string,
  reason: string,
): number {
  const ledger = context.run.ledger;
  if (ledger === undefined) return 0;
  for (const event of events) {
    const lease = ledger.leases.get(event.miniBatchId);
    if (lease !== undefined) recordRevoked(context, lease, category, reason);
    applyLedgerEvent(ledger, event);
    context.deps.journal?.record(event);
  }
  return events.length;
}

/**
 * Withdraws every live lease (the run is over): a CSV row each and, with `tellNodes`, a Revoke to its
 * node (which kills the worker running it). A cancelled run does not tell: its nodes' `release` lets
 * running mini-batches finish briefly so that shutdown() runs in their workers.
 */
export function revokeOutstandingLeases(
  context: StepRunContext,
  reason: string,
  tellNodes: boolean,
  effects: StepEffects,
): void {
  const { run, deps } = context;
  if (run.ledger === undefined) return;
  for (const event of revokeAllLeases(run.ledger)) {
    const lease = run.ledger.leases.get(event.miniBatchId);
    if (lease !== undefined) {
      if (tellNodes)
        effects.mail.push({
          nodeId: lease.nodeId,
          message: {
            kind: {
              $case: 'revoke',
              value: { jobId: context.jobId, miniBatchId: lease.miniBatchId, token: lease.token },
            },
          },
        });
      recordRevoked(context, lease, 'JobEnded', reason);
    }
    applyLedgerEvent(run.ledger, event);
    deps.journal?.record(event);
  }
}

function recordRevoked(context: StepRunContext, lease: LeaseRecord, category: string, reason: string): void {
  const total = context.run.ledger?.itemCount(lease.miniBatchId) ?? 0;
  context.sinks?.recordAttempt(revokedAttemptRow(lease, total, category, reason, Date.now()));
}
