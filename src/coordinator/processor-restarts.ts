/**
 * Processor restarts, counted from the processor events nodes send (for /metrics). A worker that
 * becomes ready in a processor (node, process name) of a step run that had a ready worker before
 * replaced one: it crashed, timed out, was revoked or exited, and the node's supervisor started
 * another. A failed init is counted apart: the processor tries again with backoff, and no worker was
 * replaced. Only what the events say is counted; results are not (a node re-sends them after a
 * reconnect, which would count one restart twice).
 */
import type { StepRunProcessorEvent } from './step-run/context.js';

/** Why a processor started another worker. */
export type ProcessorRestartCause = 'worker_replaced' | 'init_failed';

export type ProcessorRestartListener = (cause: ProcessorRestartCause, nodeId: string) => void;

export class ProcessorRestarts {
  /** Per step run (wire job id): the processors that had a ready worker, as `node/process`. */
  private readonly everReady = new Map<string, Set<string>>();
  private readonly listeners = new Set<ProcessorRestartListener>();

  /** Hears a processor event of step run `wireJobId`. */
  heard(wireJobId: string, event: StepRunProcessorEvent): void {
    if (event.type === 'processor.initFailed') {
      this.tell('init_failed', event.nodeId);
      return;
    }
    if (event.type !== 'processor.ready') return;
    let ready = this.everReady.get(wireJobId);
    if (ready === undefined) this.everReady.set(wireJobId, (ready = new Set()));
    const processor = `${event.nodeId}/${event.processName}`;
    if (ready.has(processor)) this.tell('worker_replaced', event.nodeId);
    else ready.add(processor);
  }

  /** The step run ended: its processors are forgotten. */
  forget(wireJobId: string): void {
    this.everReady.delete(wireJobId);
  }

  /** Adds a listener of restarts; returns its removal. */
  on(listener: ProcessorRestartListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private tell(cause: ProcessorRestartCause, nodeId: string): void {
    for (const listener of this.listeners) listener(cause, nodeId);
  }
}
