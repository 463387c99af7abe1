/**
 * The leases a node answers for, per job: granted to it and not yet done with (no acknowledged result,
 * not revoked, the job not left). A node that reconnects says them in its hello (parajob.proto
 * `NodeHello.held_leases`), so a coordinator that restarted keeps exactly these leases live instead of
 * running their mini-batches again, and re-queues the rest of what its journal gave this node.
 */
import type { HeldLeases } from '../gen/parajob/v1/parajob.js';

export class HeldLeaseBook {
  private readonly byJob = new Map<string, Set<number>>();

  /** Leases granted for `jobId`. */
  granted(jobId: string, tokens: readonly number[]): void {
    let held = this.byJob.get(jobId);
    if (held === undefined) this.byJob.set(jobId, (held = new Set()));
    for (const token of tokens) held.add(token);
  }

  /** Leases of `jobId` done with: their result acknowledged, or revoked. */
  settled(jobId: string, tokens: readonly number[]): void {
    const held = this.byJob.get(jobId);
    if (held === undefined) return;
    for (const token of tokens) held.delete(token);
    if (held.size === 0) this.byJob.delete(jobId);
  }

  /** The node left `jobId`: it answers for none of its leases any more. */
  forgetJob(jobId: string): void {
    this.byJob.delete(jobId);
  }

  /** What the hello says. */
  list(): HeldLeases[] {
    return [...this.byJob].map(([jobId, tokens]) => ({ jobId, tokens: [...tokens] }));
  }

  /** Leases held over all jobs (tests and diagnostics). */
  get size(): number {
    let count = 0;
    for (const held of this.byJob.values()) count += held.size;
    return count;
  }
}
