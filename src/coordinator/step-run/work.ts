/**
 * The work behind the step-run machine's actions: taking nodes, granting leases against credit,
 * accepting results, re-queueing a lost node's leases, revoking and releasing at the end. Each function
 * changes `context.run` in place (see context.ts), sends wire messages through the NodeDirectory and
 * returns the user-facing messages it produced, which the machine emits.
 *
 * Everything here is O(1) per mini-batch (O(files of the mini-batch) to build a lease) and works on
 * batches: one Leases message per grant, one pass per BatchResults message.
 */
import { BatchOutcome, type BatchResult, type Lease } from '../../gen/parajob/v1/parajob.js';
import type { NodeInfo } from '../cluster/node-directory.js';
import { acceptResult, grantLeases, revokeAllLeases, revokeNodeLeases } from '../ledger/decisions.js';
import {
  applyLedgerEvent,
  FAILED_EXAMPLES_KEPT,
  finishedCount,
  isLedgerComplete,
  type LeaseRecord,
  type RevokeCause,
} from '../ledger/ledger.js';
import { assignmentInputOf, knownItemsTotal, leaseContentOf, noteItemsRead } from '../partition/partition-input.js';
import type { AttemptStatus } from '../reports/processed-mini-batches-csv.js';
import { buildAssignment } from './assignment.js';
import type { ServingNode, StepRunContext, StepRunMessage } from './context.js';
import type { StepReport } from './report.js';

/** Collects the messages a piece of work produced, for the machine to emit. */
export type Messages = StepRunMessage[];

function note(messages: Messages, level: StepRunMessage['level'], text: string): void {
  messages.push({ type: 'step.message', level, text, atMs: Date.now() });
}

/**
 * "waiting for 1 more node of compute 'local' (1 of 2 attached)" while the run has fewer nodes than
 * instance_count; undefined when it has them all.
 */
export function nodeWaitText(context: StepRunContext): string | undefined {
  const wanted = context.step.instanceCount;
  const have = context.run.nodes.size;
  if (have >= wanted) return undefined;
  const missing = wanted - have;
  return `waiting for ${missing} more node${missing === 1 ? '' : 's'} of compute '${context.step.compute}' (${have} of ${wanted} attached)`;
}

/** True when the run wants `node`: right compute, not serving or left already, room for one more. */
export function canUseNode(context: StepRunContext, node: NodeInfo): boolean {
  const { run, step } = context;
  return (
    node.compute === step.compute &&
    run.outcome === undefined &&
    run.ledger !== undefined &&
    run.nodes.size < step.instanceCount &&
    !run.nodes.has(node.nodeId) &&
    !run.leftNodes.has(node.nodeId)
  );
}

/** Takes `node`: it serves the run from now on and is sent its JobAssignment. */
export function takeNode(context: StepRunContext, node: NodeInfo, messages: Messages): void {
  const { run, deps } = context;
  const input = context.partition === undefined ? undefined : assignmentInputOf(context.partition);
  const assignment = buildAssignment(
    {
      jobId: context.jobId,
      jobName: context.jobName,
      step: context.step,
      codeHash: deps.codeHash,
      settings: deps.settings,
      chaos: deps.chaos,
      ...input,
    },
    node,
  );
  if (!deps.nodes.send(node.nodeId, { kind: { $case: 'assign', value: assignment } })) return;
  run.nodes.set(node.nodeId, { info: node, credit: 0 });
  run.everServed.add(node.nodeId);
  deps.logger.info(
    { nodeId: node.nodeId, compute: node.compute, cores: node.cores, serving: run.nodes.size },
    'node assigned',
  );
  note(messages, 'info', `node ${node.nodeId} joined (${run.nodes.size} of ${context.step.instanceCount})`);
}

/** Takes every live node the run can use, up to instance_count, in attach order. */
export function takeAvailableNodes(context: StepRunContext, messages: Messages): void {
  for (const node of context.deps.nodes.liveNodes()) {
    if (canUseNode(context, node)) takeNode(context, node, messages);
  }
}

/** A node (other than `exceptNodeId`) the run could take now. */
export function hasReplacementNode(context: StepRunContext, exceptNodeId: string): boolean {
  return context.deps.nodes.liveNodes().some((node) => node.nodeId !== exceptNodeId && canUseNode(context, node));
}

/** Sends a "waiting for nodes" message when the wait text changed (never a silent wait). */
export function announceNodeWait(context: StepRunContext, messages: Messages): void {
  const text = nodeWaitText(context);
  if (text === context.run.lastNodeWaitText) return;
  context.run.lastNodeWaitText = text;
  if (text === undefined) return;
  context.deps.logger.info(
    { serving: context.run.nodes.size, wanted: context.step.instanceCount },
    'waiting for nodes',
  );
  note(messages, 'info', text);
}

/** Adds `count` to a serving node's credit and grants what the pending queue has. */
export function addCredit(context: StepRunContext, nodeId: string, count: number): void {
  const serving = context.run.nodes.get(nodeId);
  if (serving === undefined) {
    context.deps.logger.debug({ nodeId, count }, 'lease request from a node not serving the job ignored');
    return;
  }
  serving.credit += count;
  grantTo(context, serving);
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
export function grantTo(context: StepRunContext, serving: ServingNode): number {
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
    if (event.type !== 'lease.granted') continue;
    const content = leaseContentOf(partition, event.miniBatchId);
    // Fields spelled out (not spread): one object shape for every Lease, built per lease granted.
    leases.push({
      miniBatchId: event.miniBatchId,
      attempt: event.attempt,
      token: event.token,
      files: content.files,
      ranges: content.ranges,
      partitionKeyJson: content.partitionKeyJson,
      itemCount: content.itemCount,
    });
  }
  serving.credit -= leases.length;
  run.grantedAny = true;
  deps.nodes.send(serving.info.nodeId, { kind: { $case: 'leases', value: { jobId: context.jobId, leases } } });
  return leases.length;
}

/** Grants re-queued work to nodes with outstanding credit, starting from a rotating node. */
export function grantToWaitingNodes(context: StepRunContext): void {
  const { run } = context;
  const serving = [...run.nodes.values()];
  if (serving.length === 0) return;
  run.grantCursor = (run.grantCursor + 1) % serving.length;
  for (let i = 0; i < serving.length; i++) {
    if (run.ledger === undefined || run.ledger.pending.length === 0) return;
    const node = serving[(run.grantCursor + i) % serving.length];
    if (node !== undefined && node.credit > 0) grantTo(context, node);
  }
}

const FAILED_STATUS: Readonly<Partial<Record<BatchOutcome, AttemptStatus>>> = {
  [BatchOutcome.BATCH_OUTCOME_TIMEOUT]: 'RUN_TIMEOUT',
  [BatchOutcome.BATCH_OUTCOME_WORKER_CRASHED]: 'WORKER_CRASHED',
};

/** The CSV status of a failed attempt: LOAD_TIMEOUT (task_overhead_timeout) is a TIMEOUT outcome with its own kind. */
function failedStatusOf(result: BatchResult): AttemptStatus {
  if (result.outcome === BatchOutcome.BATCH_OUTCOME_TIMEOUT && result.errorKind === 'LoadTimeout')
    return 'LOAD_TIMEOUT';
  return FAILED_STATUS[result.outcome] ?? 'RUN_EXCEPTION';
}

/**
 * Accepts a batch of results from `nodeId`: fencing, the ledger, the append_row rows (one write per
 * completed result), the CSV rows, the error digest; then re-queued work goes to nodes with credit.
 */
export function acceptResults(context: StepRunContext, nodeId: string, results: readonly BatchResult[]): void {
  const { run, deps, sinks } = context;
  const ledger = run.ledger;
  if (ledger === undefined || sinks === undefined) return;
  let accepted = 0;
  let requeued = 0;
  for (const result of results) {
    const decision = acceptResult(ledger, result);
    if (!decision.accepted) {
      // A zombie (a worker that finished after its lease was revoked or superseded, a lost node's
      // message arriving after the re-lease): fencing drops it, and the log says so.
      run.droppedResults += 1;
      deps.logger.warn(
        {
          nodeId,
          miniBatchId: result.miniBatchId,
          attempt: result.attempt,
          token: result.token,
          reason: decision.reason,
        },
        'late result dropped (fencing)',
      );
      continue;
    }
    const lease = ledger.leases.get(result.miniBatchId) as LeaseRecord;
    const { event } = decision;
    // Rows of a table cut by size are known once a worker read them: before the ledger counts a
    // final failure with itemCount.
    if (context.partition !== undefined && result.total > 0)
      noteItemsRead(context.partition, result.miniBatchId, result.total);
    applyLedgerEvent(ledger, event);
    accepted += 1;
    const total = result.total || ledger.itemCount(result.miniBatchId);
    let status: AttemptStatus = 'RUN_DONE';
    let succeededItems = 0;
    let failedItems = 0;
    let errorCategory = '';
    let errorMessage = '';
    if (event.type === 'batch.completed') {
      if (result.rows.length > 0) sinks.appendRows(result.rows);
      succeededItems = Math.min(event.succeeded, event.total);
      failedItems = event.total - succeededItems;
      const where = {
        miniBatchId: result.miniBatchId,
        attempt: lease.attempt,
        nodeId,
        processName: result.processName,
      };
      if (result.returned > event.total) {
        // Azure counts at most one success per input item; the rows are kept as returned.
        errorCategory = 'TooManyItems';
        errorMessage = `warning: run() returned ${result.returned} items for ${event.total} inputs; counted ${event.total} as succeeded`;
        run.errors.recordItemCountWarning('more', { ...where, message: errorMessage }, result.returned - event.total);
      } else if (failedItems > 0) {
        errorCategory = 'FewerItems';
        errorMessage = `run() returned ${succeededItems} items for ${event.total} inputs: ${failedItems} failed item(s), not retried`;
        run.errors.recordItemCountWarning('fewer', { ...where, message: errorMessage }, failedItems);
      }
    } else if (event.type === 'lease.revoked') {
      status = 'RETURNED';
      requeued += 1;
    } else if (event.type === 'attempt.failed' || event.type === 'batch.failed') {
      status = failedStatusOf(result);
      failedItems = total;
      errorCategory = event.errorKind;
      errorMessage = event.errorMessage;
      const final = event.type === 'batch.failed';
      if (!final) requeued += 1;
      run.errors.recordAttemptFailure(
        event.errorKind,
        {
          miniBatchId: result.miniBatchId,
          attempt: lease.attempt,
          nodeId,
          processName: result.processName,
          message: event.errorMessage,
        },
        final,
      );
      const fields = { nodeId, miniBatchId: result.miniBatchId, attempt: lease.attempt, errorKind: event.errorKind };
      // Failed mini-batches are worth a warning, but a job where everything fails must not flood the log.
      if (final && ledger.counts.failed <= FAILED_EXAMPLES_KEPT) deps.logger.warn(fields, 'mini-batch failed');
      else deps.logger.debug(fields, final ? 'mini-batch failed' : 'attempt failed');
    }
    sinks.recordAttempt({
      miniBatchId: result.miniBatchId,
      attempt: lease.attempt,
      nodeId,
      processName: result.processName,
      startedAtMs: result.startedAtMs,
      total,
      succeeded: succeededItems,
      failed: failedItems,
      elapsedMs: result.elapsedMs,
      runMs: result.runMs,
      status,
      errorCategory,
      errorMessage,
    });
  }
  const nowMs = Date.now();
  if (accepted > 0) {
    run.lastProgressAtMs = nowMs;
    run.rate.sample(nowMs, finishedCount(ledger));
  }
  if (requeued > 0) grantToWaitingNodes(context);
  // The node's finished leases free room in its fair share: credit it asked for earlier may fit now.
  const sender = run.nodes.get(nodeId);
  if (sender !== undefined && sender.credit > 0) grantTo(context, sender);
}

/**
 * The node stopped serving the run (lost, or left): its leases are re-queued at once (a CSV row
 * REVOKED each) and it is dropped; a node that left is not taken again. Returns leases re-queued.
 */
export function dropNode(
  context: StepRunContext,
  nodeId: string,
  cause: Extract<RevokeCause, 'node-lost' | 'node-left'>,
  reason: string,
  messages: Messages,
): number {
  const { run, deps } = context;
  if (cause === 'node-left') run.leftNodes.add(nodeId);
  run.releasing.delete(nodeId);
  if (!run.nodes.delete(nodeId)) return 0;
  let requeued = 0;
  if (run.ledger !== undefined) {
    const events = revokeNodeLeases(run.ledger, nodeId, cause);
    for (const event of events) {
      const lease = run.ledger.leases.get(event.miniBatchId);
      if (lease !== undefined) recordRevoked(context, lease, cause === 'node-lost' ? 'NodeLost' : 'NodeLeft', reason);
      applyLedgerEvent(run.ledger, event);
    }
    requeued = events.length;
  }
  const verb = cause === 'node-lost' ? 'lost' : 'left the job';
  deps.logger.warn({ nodeId, reason, requeued }, cause === 'node-lost' ? 'node lost' : 'node left the job');
  note(messages, 'warn', `node ${nodeId} ${verb} (${reason}); ${requeued} mini-batch(es) re-queued`);
  return requeued;
}

/**
 * Withdraws every live lease (the run is over): a CSV row each and, with `tellNodes`, a Revoke to its
 * node (which kills the worker running it). A cancelled run does not tell: its nodes' `release` lets
 * running mini-batches finish briefly so that shutdown() runs in their workers.
 */
export function revokeOutstandingLeases(context: StepRunContext, reason: string, tellNodes = true): void {
  const { run, deps } = context;
  if (run.ledger === undefined) return;
  for (const event of revokeAllLeases(run.ledger)) {
    const lease = run.ledger.leases.get(event.miniBatchId);
    if (lease !== undefined) {
      if (tellNodes)
        deps.nodes.send(lease.nodeId, {
          kind: {
            $case: 'revoke',
            value: { jobId: context.jobId, miniBatchId: lease.miniBatchId, token: lease.token },
          },
        });
      recordRevoked(context, lease, 'JobEnded', reason);
    }
    applyLedgerEvent(run.ledger, event);
  }
}

/** Sends `release` to every serving node; finishing then waits for their job_left. */
export function releaseNodes(context: StepRunContext, reason: string): void {
  const { run, deps } = context;
  for (const serving of run.nodes.values()) {
    serving.credit = 0;
    const sent = deps.nodes.send(serving.info.nodeId, {
      kind: { $case: 'release', value: { jobId: context.jobId, reason } },
    });
    if (sent) run.releasing.add(serving.info.nodeId);
  }
  deps.logger.info({ nodes: [...run.releasing] }, 'nodes released');
}

/** The end-of-step report from the run's state (the outcome must be decided). */
export function buildReport(context: StepRunContext): StepReport {
  const { run } = context;
  if (run.outcome === undefined) throw new Error('buildReport before the outcome was decided');
  return {
    jobId: context.jobId,
    stepName: context.step.name,
    runDir: context.step.runDir,
    outcome: run.outcome,
    startedAtMs: run.startedAtMs,
    endedAtMs: Date.now(),
    miniBatchCount: run.ledger?.miniBatchCount,
    itemsTotal: itemsTotalOf(context),
    counts: run.ledger === undefined ? undefined : { ...run.ledger.counts },
    nodes: [...run.everServed],
    appendRowFile: context.step.task.appendRowFile,
    errors: run.errors,
    droppedResults: run.droppedResults,
  };
}

/**
 * Items in the step's input as far as honestly known: the partition's total when it was known at cut
 * time (files, rows of a rows/parquet cut); for rows counted as they are read (a table cut by size, or
 * by key), the rows counted once every mini-batch finished; undefined before that.
 */
export function itemsTotalOf(context: StepRunContext): number | undefined {
  const { partition } = context;
  const ledger = context.run.ledger;
  if (partition === undefined || ledger === undefined) return undefined;
  const known = knownItemsTotal(partition);
  if (known !== undefined) return known;
  return isLedgerComplete(ledger) ? ledger.counts.itemsSucceeded + ledger.counts.itemsFailed : undefined;
}

function recordRevoked(context: StepRunContext, lease: LeaseRecord, category: string, reason: string): void {
  const nowMs = Date.now();
  context.sinks?.recordAttempt({
    miniBatchId: lease.miniBatchId,
    attempt: lease.attempt,
    nodeId: lease.nodeId,
    processName: '',
    startedAtMs: lease.grantedAtMs,
    total: context.run.ledger?.itemCount(lease.miniBatchId) ?? 0,
    succeeded: 0,
    failed: 0,
    elapsedMs: nowMs - lease.grantedAtMs,
    runMs: 0,
    status: 'REVOKED',
    errorCategory: category,
    errorMessage: reason,
  });
}
