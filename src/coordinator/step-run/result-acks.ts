/**
 * Acknowledging a node's results (parajob.proto `ResultsAck`). The node keeps every result it wrote
 * until it is acknowledged and writes it again on its next stream, so an ack is a promise that the
 * result is done with for good: every result of a BatchResults message is acknowledged once all that
 * the step run journaled up to and including it is durable (a counted completion: its rows synced,
 * then its commit record synced; a counted failure: its ledger record synced; a fenced result, such as
 * one sent again for an attempt that already counted: the earlier result it duplicates). A node whose
 * ack is lost re-sends the results: they are fenced then, and acknowledged, never written twice.
 */
import type { BatchResult } from '../../gen/parajob/v1/parajob.js';
import type { StepRunContext } from './context.js';

/** Sends `nodeId` the ack of `results` once the journal holds everything handed to it so far. */
export function acknowledgeResults(context: StepRunContext, nodeId: string, results: readonly BatchResult[]): void {
  if (results.length === 0) return;
  const { deps, jobId } = context;
  const tokens = results.map((result) => result.token);
  const send = () => {
    deps.nodes.send(nodeId, { kind: { $case: 'resultsAck', value: { jobId, tokens } } });
  };
  // Without a journal nothing outlives the coordinator: there is nothing to wait for.
  if (deps.journal === undefined) {
    send();
    return;
  }
  deps.journal.durable().then(send, (error: unknown) => {
    // The output (or the journal) failed: the step run fails; the node re-sends these results to the
    // next coordinator, which will have cut the output back and count them (or run them) afresh.
    deps.logger.warn({ nodeId, results: tokens.length, err: error }, 'results not acknowledged: not durable');
  });
}
