/**
 * What a processor and its job say to each other: commands from the job, typed notices back (results
 * do not travel here: they go to the processor's sink, settle-feed.ts). The job tells the kinds apart
 * by event type, and converts a lifecycle event to the wire's ProcessorEvent once, when it forwards it
 * to the coordinator (`wireProcessorEvent`).
 */
import { type ProcessorEvent as WireProcessorEvent, ProcessorEventKind } from '../../gen/parajob/v1/parajob.js';
import type { HeldLease } from './batch-results.js';

/** What a job tells a processor. */
export type ProcessorCommand =
  /** Leases to run, in order, after those already queued. */
  | { readonly type: 'processor.run'; readonly leases: readonly HeldLease[] }
  /** Drop lease `token` if queued, or kill the worker running it (no result either way). */
  | { readonly type: 'processor.revoke'; readonly token: number }
  /** The node's stream broke: hand queued (not running) leases back as RETURNED results. */
  | { readonly type: 'processor.returnQueued' }
  /** Stop after the current run (killRunning false) or kill it (true); then shutdown() and STOPPED. */
  | { readonly type: 'processor.stop'; readonly killRunning: boolean };

/** How a worker process ended: exit code or signal (null when the other one applies). */
export interface ProcessorExit {
  readonly code: number | null;
  readonly signal: string | null;
}

/** Who a lifecycle event is about: the processor (`index`, its process name) and its worker's pid (0: none yet). */
interface About {
  readonly index: number;
  readonly processName: string;
  readonly pid: number;
}

/**
 * A processor's lifecycle, as its job hears it (and forwards it to the coordinator). `message` is for
 * the user (job_result.txt quotes init failures).
 */
export type ProcessorLifecycleEvent =
  /** The worker's init() returned: the processor takes leases. */
  | (About & { readonly type: 'processor.ready' })
  /** init() threw, or the worker died before it returned; the processor restarts it with backoff. */
  | (About & { readonly type: 'processor.initFailed'; readonly message: string; readonly exit?: ProcessorExit })
  /** The entry script cannot be used at all (no run(), syntax error): the processor takes no work. */
  | (About & { readonly type: 'processor.invalid'; readonly message: string })
  /** An idle worker exited; the processor restarts it. */
  | (About & { readonly type: 'processor.exited'; readonly message: string; readonly exit: ProcessorExit })
  /** Restarted too often within restart_period: the processor gave up. */
  | (About & { readonly type: 'processor.escalated'; readonly message: string })
  /** The processor stopped (its worker shut down or was killed). */
  | (About & { readonly type: 'processor.stopped' });

/**
 * What a processor tells its job. `processor.idle`: ready for leases (its run queue is empty).
 * `processor.bounced`: leases it cannot run (never started), for the job to queue again.
 */
export type ProcessorNotice =
  | { readonly type: 'processor.idle'; readonly index: number }
  | { readonly type: 'processor.bounced'; readonly index: number; readonly leases: readonly HeldLease[] }
  | ProcessorLifecycleEvent;

const WIRE_KIND: Readonly<Record<ProcessorLifecycleEvent['type'], ProcessorEventKind>> = {
  'processor.ready': ProcessorEventKind.PROCESSOR_EVENT_KIND_READY,
  'processor.initFailed': ProcessorEventKind.PROCESSOR_EVENT_KIND_INIT_FAILED,
  'processor.invalid': ProcessorEventKind.PROCESSOR_EVENT_KIND_INVALID_ENTRY_SCRIPT,
  'processor.exited': ProcessorEventKind.PROCESSOR_EVENT_KIND_WORKER_EXITED,
  'processor.escalated': ProcessorEventKind.PROCESSOR_EVENT_KIND_ESCALATED,
  'processor.stopped': ProcessorEventKind.PROCESSOR_EVENT_KIND_STOPPED,
};

/** The wire form of a lifecycle event of job `jobId` (parajob.proto `ProcessorEvent`). */
export function wireProcessorEvent(jobId: string, event: ProcessorLifecycleEvent): WireProcessorEvent {
  const exit = 'exit' in event ? event.exit : undefined;
  return {
    jobId,
    processName: event.processName,
    kind: WIRE_KIND[event.type],
    message: 'message' in event ? event.message : '',
    pid: event.pid,
    exitCode: exit?.code ?? 0,
    signal: exit?.signal ?? '',
  };
}
