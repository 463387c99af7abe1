/**
 * The nodes a step run keeps, for the step-run machine's actions: taking offered nodes up to
 * instance_count (each is sent its JobAssignment), saying while nodes are missing, dropping a node that
 * was lost or left (its leases are re-queued, leasing.ts), releasing every node at the end. Each
 * function changes `context.run` in place (see context.ts) and leaves the messages for nodes and the
 * user-facing lines in `effects`, for the machine to send and emit.
 */
import type { NodeInfo } from '../cluster/node-directory.js';
import type { RevokeCause } from '../ledger/ledger.js';
import { assignmentInputOf } from '../partition/partition-input.js';
import { buildAssignment } from './assignment.js';
import { type StepEffects, stepMessage, type StepRunContext } from './context.js';
import { requeueNodeLeases } from './leasing.js';

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

/** True while `nodeId` is attached to the coordinator (its stream is open). */
export function isLive(context: StepRunContext, nodeId: string): boolean {
  return context.deps.nodes.liveNodes().some((node) => node.nodeId === nodeId);
}

/**
 * True when the run wants `node`: live, right compute, not serving or left already, room for one
 * more, and the input probed (the assignment needs its settings; the leases wait for the cut).
 */
export function canUseNode(context: StepRunContext, node: NodeInfo): boolean {
  const { run, step } = context;
  return (
    node.compute === step.compute &&
    run.outcome === undefined &&
    (run.ledger !== undefined || context.assignmentInput !== undefined) &&
    run.nodes.size < step.instanceCount &&
    !run.nodes.has(node.nodeId) &&
    !run.leftNodes.has(node.nodeId) &&
    isLive(context, node.nodeId)
  );
}

/** Takes `node` (a live one: canUseNode): it serves the run from now on and is sent its JobAssignment. */
export function takeNode(context: StepRunContext, node: NodeInfo, effects: StepEffects): void {
  const { run, deps } = context;
  const input =
    context.assignmentInput ?? (context.partition === undefined ? undefined : assignmentInputOf(context.partition));
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
  effects.mail.push({ nodeId: node.nodeId, message: { kind: { $case: 'assign', value: assignment } } });
  run.nodes.set(node.nodeId, { info: node, credit: run.creditBeforeTaken.get(node.nodeId) ?? 0 });
  run.creditBeforeTaken.delete(node.nodeId);
  run.everServed.add(node.nodeId);
  deps.logger.info(
    { nodeId: node.nodeId, compute: node.compute, cores: node.cores, serving: run.nodes.size },
    'node assigned',
  );
  effects.said.push(
    stepMessage('info', `node ${node.nodeId} joined (${run.nodes.size} of ${context.step.instanceCount})`),
  );
}

/** Takes every live node the run can use, up to instance_count, in attach order. */
export function takeAvailableNodes(context: StepRunContext, effects: StepEffects): void {
  for (const node of context.deps.nodes.liveNodes()) {
    if (canUseNode(context, node)) takeNode(context, node, effects);
  }
}

/** A node (other than `exceptNodeId`) the run could take now. */
export function hasReplacementNode(context: StepRunContext, exceptNodeId: string): boolean {
  return context.deps.nodes.liveNodes().some((node) => node.nodeId !== exceptNodeId && canUseNode(context, node));
}

/** Sends a "waiting for nodes" message when the wait text changed (never a silent wait). */
export function announceNodeWait(context: StepRunContext, effects: StepEffects): void {
  const text = nodeWaitText(context);
  if (text === context.run.lastNodeWaitText) return;
  context.run.lastNodeWaitText = text;
  if (text === undefined) return;
  context.deps.logger.info(
    { serving: context.run.nodes.size, wanted: context.step.instanceCount },
    'waiting for nodes',
  );
  effects.said.push(stepMessage('info', text));
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
  effects: StepEffects,
): number {
  const { run, deps } = context;
  if (cause === 'node-left') run.leftNodes.add(nodeId);
  run.releasing.delete(nodeId);
  if (!run.nodes.delete(nodeId)) return 0;
  const requeued = requeueNodeLeases(context, nodeId, cause, reason);
  const verb = cause === 'node-lost' ? 'lost' : 'left the job';
  deps.logger.warn({ nodeId, reason, requeued }, cause === 'node-lost' ? 'node lost' : 'node left the job');
  effects.said.push(stepMessage('warn', `node ${nodeId} ${verb} (${reason}); ${requeued} mini-batch(es) re-queued`));
  return requeued;
}

/** Sends `release` to every serving node that is live; finishing then waits for their job_left. */
export function releaseNodes(context: StepRunContext, reason: string, effects: StepEffects): void {
  const { run, deps } = context;
  for (const serving of run.nodes.values()) {
    serving.credit = 0;
    const nodeId = serving.info.nodeId;
    if (!isLive(context, nodeId)) continue;
    effects.mail.push({ nodeId, message: { kind: { $case: 'release', value: { jobId: context.jobId, reason } } } });
    run.releasing.add(nodeId);
  }
  deps.logger.info({ nodes: [...run.releasing] }, 'nodes released');
}
