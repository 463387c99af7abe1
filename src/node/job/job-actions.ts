/**
 * The job machine's types, context and steps (job.machine.ts is the diagram): what the node and the
 * processors tell a job, the job's context, and the steps that compute with the lease book
 * (lease-book.ts) and then enqueue their assign and effects (enqueue-step.ts).
 */
import { join } from 'node:path';

import type { Logger } from 'pino';
import { type ActorRefFrom, fromPromise } from 'xstate';

import type { JobAssignment, Lease } from '../../gen/parajob/v1/parajob.js';
import { stepsFor } from '../enqueue-step.js';
import type { NodeInputs } from '../inputs/remote-inputs.js';
import type { JobOutbox } from '../outbox.js';
import { type HeldLease, NOT_RUN, returnedResult } from '../processor/batch-results.js';
import { noteAsked, prefetchFor, type PrefetchTuner, processorQueueFor } from '../processor/prefetch-tuner.js';
import type { processorMachine } from '../processor/processor.machine.js';
import type { ProcessorNotice } from '../processor/processor-events.js';
import type { SettledEvent, SettleFeed } from '../processor/settle-feed.js';
import type { ReadTableBatch } from '../tabular/table-batches.js';
import { checkJobPython } from './job-python.js';
import { compileJobSettings, type JobSettings } from './job-settings.js';
import { clearQueue, creditToRequest, dispatch, type LeaseBook, requested, revokeQueued } from './lease-book.js';
import { localStaging } from './staged-outputs.js';
/** Node facts a job needs. */
export interface JobNodeFacts {
  readonly nodeId: string;
  readonly cores: number;
  readonly gpus: number;
  readonly cacheDir: string;
  readonly python?: string;
}

export interface JobInput {
  readonly assignment: JobAssignment;
  readonly node: JobNodeFacts;
  readonly outbox: JobOutbox;
  /** Bound {nodeId, jobId}, writing to the job's node log. */
  readonly logger: Logger;
  /** Makes the code snapshot `hash` available locally; resolves with its folder. */
  readonly ensureCode: (hash: string) => Promise<string>;
  readonly readTableBatch: ReadTableBatch;
  /** Input files the node does not see, fetched from the coordinator; undefined: the node reads every path itself. */
  readonly inputs?: NodeInputs;
}

/** What a job tells its parent (the node machine) once it has left: job_left is sent. */
export interface JobLeftNotice {
  readonly type: 'job.left';
  readonly jobId: string;
  readonly reason: string;
}

/** What the node tells a job (coordinator messages and connection changes). */
export type JobCommand =
  | { readonly type: 'lease.granted'; readonly leases: readonly Lease[] }
  | { readonly type: 'lease.revoke'; readonly token: number }
  | { readonly type: 'job.release'; readonly reason: string }
  | { readonly type: 'connection.lost' }
  | { readonly type: 'connection.restored' };

export type JobEvent = JobCommand | ProcessorNotice | SettledEvent;
export type ProcessorRef = ActorRefFrom<typeof processorMachine>;

export interface JobContext {
  readonly input: JobInput;
  readonly jobId: string;
  readonly logger: Logger;
  readonly settings: JobSettings | undefined;
  readonly processors: readonly ProcessorRef[];
  /** Where the processors report settled leases. */
  readonly feed: SettleFeed;
  readonly book: LeaseBook;
  /** Processors that escalated or found the entry script invalid: they take no work. */
  readonly unusable: ReadonlySet<number>;
  readonly stopped: ReadonlySet<number>;
  readonly initFailures: number;
  readonly firstInitError: string;
  readonly leaveReason: string;
  readonly killRunning: boolean;
  /** False between a lost stream and the next welcome. */
  readonly connected: boolean;
  /** Measures round trips and run costs to size the prefetch (prefetch-tuner.ts). */
  readonly tuner: PrefetchTuner;
}

/** Extra time, beyond a worker's shutdown grace, that stopping may take before the job leaves anyway. */
export const STOP_SLACK_MS = 5_000;

/** How long a cancelled job's running mini-batches may go on before their workers are killed. */
export const CANCEL_RUN_GRACE_MS = 5_000;

export function liveProcessors(context: JobContext): number {
  return context.processors.length - new Set([...context.unusable, ...context.stopped]).size;
}

/** Processors that have not reported STOPPED yet. */
function unstoppedProcessors(context: JobContext): ProcessorRef[] {
  return context.processors.filter((_, index) => !context.stopped.has(index));
}

const step = stepsFor<JobContext, JobEvent>();

/** Asks for enough leases to keep every live processor fed (lease-book.ts creditToRequest). */
export const topUpCredit = step(({ context, enqueue }) => {
  const settings = context.settings;
  // Credit asked while no stream is attached would be lost: ask once reconnected.
  if (settings === undefined || !context.connected) return;
  const prefetch = prefetchFor(context.tuner, settings.prefetch);
  const want = creditToRequest(context.book, liveProcessors(context) * (1 + prefetch));
  if (want === 0) return;
  enqueue.assign({ book: requested(context.book, want), tuner: noteAsked(context.tuner, Date.now()) });
  enqueue(() => context.input.outbox.requestLeases(context.jobId, want));
});

/**
 * The stream broke: the coordinator re-queues this node's leases (results for them will be fenced), so
 * queued ones are not run late but handed back (kept in the outbox until the next welcome), and the
 * credit asked on the old stream is forgotten. Processors hand back their own run queues (through the
 * feed, counted as settled).
 */
export const returnQueuedLeases = step(({ context, enqueue }) => {
  const { book, dropped } = clearQueue(context.book);
  enqueue.assign({ book });
  enqueue(() => returnLeases(context, dropped));
  for (const processor of context.processors) enqueue.sendTo(processor, { type: 'processor.returnQueued' });
});

export const dispatchLeases = step(({ context, enqueue }) => {
  const { book, dispatches } = dispatch(context.book, processorQueueFor(context.tuner));
  if (dispatches.length === 0) return;
  enqueue.assign({ book });
  for (const { index, leases } of dispatches) {
    enqueue.sendTo(context.processors[index] as ProcessorRef, { type: 'processor.run', leases });
  }
});

export const revokeLease = step<{ readonly token: number }>(({ context, enqueue }, params) => {
  const { book, queued } = revokeQueued(context.book, params.token);
  if (queued) {
    enqueue.assign({ book });
    return;
  }
  // Rare (a cancel): whichever processor holds it drops it or kills its worker; the others ignore it.
  for (const processor of context.processors)
    enqueue.sendTo(processor, { type: 'processor.revoke', token: params.token });
});

export const stopProcessors = step<{ readonly killRunning: boolean }>(({ context, enqueue }, params) => {
  for (const processor of unstoppedProcessors(context))
    enqueue.sendTo(processor, { type: 'processor.stop', killRunning: params.killRunning });
});

function returnLeases(context: JobContext, leases: readonly HeldLease[]): void {
  for (const held of leases) {
    context.input.outbox.sendResult(context.jobId, returnedResult(held, NOT_RUN, 'node reconnected'));
  }
}

/** Code.Fetch into the cache, settings compiled, a .py job's Python checked (the `preparing` state). */
export const prepareJob = fromPromise<JobSettings, JobInput>(async ({ input }) => {
  const codeDir = await input.ensureCode(input.assignment.codeHash);
  const settings = compileJobSettings(input.assignment, {
    cores: input.node.cores,
    codeDir,
    cacheDir: input.node.cacheDir,
  });
  // Staged outputs whose folder this node does not see are staged locally and shipped (staged-outputs.ts).
  const staging = await localStaging(
    settings.stagedOutputs,
    settings.jobId,
    join(settings.workDir, 'staging'),
    input.inputs?.forJob(settings.jobId, input.node.nodeId).sees,
  );
  const staged = { ...settings, stagedOutputs: staging.outputs, shippedOutputs: staging.shipped };
  // A Python job fails here, once, when its interpreter is missing or lacks pandas for tabular input.
  const python = await checkJobPython(staged, input.node.python);
  return python === undefined ? staged : { ...staged, python };
});
