/**
 * Acts out a node's chaos plan (src/chaos/node-plan.ts) from inside the outbox: it counts the
 * results the node writes to its stream and, on cue, kills the node process (SIGKILL, as a crash or
 * the OOM killer would) or drops its heartbeats for a while. Cues are counts of results written, so a
 * plan does the same thing on every run whatever the timing: the outbox writes no more results than
 * `resultRoom` allows, so exactly `after` results leave a node killed on cue, however they were batched.
 */
import type { Logger } from 'pino';

import type { NodeChaosPlan, NodeFault } from '../chaos/node-plan.js';
import type { NodeMessage } from '../gen/parajob/v1/parajob.js';
import type { OutboxHooks } from './outbox.js';

/** Seams for tests: how to die, and the clock (milliseconds). */
export interface NodeChaosSeams {
  readonly kill?: () => void;
  readonly nowMs?: () => number;
}

/** The outbox hooks that carry out a node chaos plan. */
export class NodeChaosAgent implements OutboxHooks {
  private resultsWritten = 0;
  /** Start (ms since the epoch) of each mute-heartbeats window once its cue has come. */
  private readonly muteStartedAtMs = new Map<NodeFault, number>();
  private killed = false;
  private readonly kill: () => void;
  private readonly nowMs: () => number;

  constructor(
    private readonly plan: NodeChaosPlan,
    private readonly logger: Logger,
    seams: NodeChaosSeams = {},
  ) {
    this.kill = seams.kill ?? (() => process.kill(process.pid, 'SIGKILL'));
    this.nowMs = seams.nowMs ?? Date.now;
  }

  /** Drops heartbeats while a mute-heartbeats window is open; everything else passes. */
  allows(message: NodeMessage): boolean {
    if (message.kind?.$case !== 'heartbeat') return true;
    this.startDueMutes();
    const now = this.nowMs();
    for (const [fault, startedAtMs] of this.muteStartedAtMs) {
      if (fault.action === 'mute-heartbeats' && now < startedAtMs + fault.forMs) return false;
    }
    return true;
  }

  /** Results that may still be written before the first kill-node cue (none once it is reached). */
  resultRoom(): number {
    let room = Number.POSITIVE_INFINITY;
    for (const fault of this.plan.faults)
      if (fault.action === 'kill-node') room = Math.min(room, Math.max(0, fault.afterResults - this.resultsWritten));
    return room;
  }

  /** Counts written results; kills the process once a kill-node cue is reached. */
  written(message: NodeMessage): void {
    if (message.kind?.$case !== 'results') return;
    this.resultsWritten += message.kind.value.results.length;
    this.startDueMutes();
    const kill = this.plan.faults.find(
      (fault) => fault.action === 'kill-node' && this.resultsWritten >= fault.afterResults,
    );
    if (kill !== undefined && !this.killed) {
      this.killed = true;
      this.logger.warn({ fault: kill.text, resultsWritten: this.resultsWritten }, 'chaos: killing this node (SIGKILL)');
      // Once the log line is out, one more event-loop turn lets the written results leave the process,
      // as they would before a real crash.
      this.logger.flush(() => setImmediate(this.kill));
    }
  }

  /**
   * An output upload wrote its first file chunk (Inputs.WriteOutput): kills the process when a
   * kill-mid-upload fault is due, before the upload can end. `finished`: uploads finished before it.
   */
  async uploadChunkWritten(finished: number): Promise<void> {
    const kill = this.plan.faults.find((fault) => fault.action === 'kill-mid-upload' && finished >= fault.afterUploads);
    if (kill === undefined || this.killed) return;
    this.killed = true;
    this.logger.warn({ fault: kill.text, uploadsFinished: finished }, 'chaos: killing this node mid-upload (SIGKILL)');
    this.logger.flush(() => setImmediate(this.kill));
    // The upload never goes on: the process dies with its stream half sent.
    await new Promise<never>(() => undefined);
  }

  private startDueMutes(): void {
    for (const fault of this.plan.faults) {
      if (
        fault.action !== 'mute-heartbeats' ||
        this.muteStartedAtMs.has(fault) ||
        this.resultsWritten < fault.afterResults
      )
        continue;
      this.muteStartedAtMs.set(fault, this.nowMs());
      this.logger.warn(
        { fault: fault.text, resultsWritten: this.resultsWritten, forMs: fault.forMs },
        'chaos: heartbeats muted',
      );
    }
  }
}
