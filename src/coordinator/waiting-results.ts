/**
 * Results that reach the coordinator for a step run that is not registered yet (a restarted
 * coordinator resuming a job: nodes re-send the results it never acknowledged as soon as they are
 * welcomed, and a resumed step run registers only once its job has checked for reuse). Dropping them
 * would lose them: the node stops re-sending a result once it is acknowledged, and keeps its lease
 * claimed. So they wait here, per wire job id, and are handed to the step run when it registers; the
 * results of a job that is over or unknown are acknowledged at once instead (nothing will count them).
 */
import type { BatchResult } from '../gen/parajob/v1/parajob.js';

/** One node's results waiting for their step run. */
export interface WaitingBatch {
  readonly nodeId: string;
  readonly results: readonly BatchResult[];
}

/** Results waiting for their step run to register, by wire job id (see the module comment). */
export class WaitingResults {
  private readonly byWireJobId = new Map<string, WaitingBatch[]>();

  /** Keeps `results` of `nodeId` until the step run of `wireJobId` registers. */
  keep(wireJobId: string, batch: WaitingBatch): void {
    const waiting = this.byWireJobId.get(wireJobId);
    if (waiting === undefined) this.byWireJobId.set(wireJobId, [batch]);
    else waiting.push(batch);
  }

  /** The results waiting for `wireJobId`, now taken. */
  take(wireJobId: string): WaitingBatch[] {
    const waiting = this.byWireJobId.get(wireJobId) ?? [];
    this.byWireJobId.delete(wireJobId);
    return waiting;
  }
}

/** The job id of a wire job id (`<jobId>` or `<jobId>:<step>`: job ids hold no `:`, job-id.ts). */
export function jobIdOfWire(wireJobId: string): string {
  const colon = wireJobId.indexOf(':');
  return colon < 0 ? wireJobId : wireJobId.slice(0, colon);
}
