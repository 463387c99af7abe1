/**
 * What the web UI reads from the coordinator: the jobs (their status, compiled spec and live ledger
 * view) and the live nodes. The coordinator implements it over its own state (src/coordinator/
 * web-source.ts), so src/web never reaches into the coordinator's machines and tests can feed it
 * fakes. Everything here is a read, except `cancel` and `rerun` (which need the same authorization as
 * the CLI).
 */
import type { JobMessage, JobStatus } from '../gen/parajob/v1/parajob.js';
import type { CompiledJob } from '../jobspec/model.js';
import type { ResourceSample, StepLive, WebNode } from './api-types.js';

export type { LiveLease, ResourceSample, StepLive, WebNode } from './api-types.js';

/** What hears a job's changes (the push channel throttles them). */
export interface WebJobListener {
  changed(): void;
  message(message: JobMessage): void;
}

/** A job as the web UI sees it. */
export interface WebJob {
  readonly jobId: string;
  status(): JobStatus;
  listen(listener: WebJobListener): () => void;
  cancel(reason: string): void;
  /** The compiled spec; undefined for a job that ended before the coordinator restarted. */
  compiled(): CompiledJob | undefined;
  /** The live ledger view of a parallel step that is running (or ran) in this coordinator. */
  stepLive(stepName: string): StepLive | undefined;
}

/** The coordinator as the web UI reads it. */
export interface WebSource {
  /** Every job, oldest first. */
  jobs(): readonly WebJob[];
  job(jobId: string): WebJob | undefined;
  nodes(): readonly WebNode[];
  /** The coordinator host's own sample (the node samples come with their heartbeats). */
  coordinatorResources(): ResourceSample | undefined;
  /**
   * Reruns an ended job as a new one (Jobs.Rerun: what succeeded is reused unless `fromScratch`);
   * rejects with the refusal when it cannot. Absent while the coordinator has no rerun: the API then
   * answers 501 and the page says so.
   */
  rerun?(jobId: string, fromScratch: boolean): Promise<{ readonly jobId: string }>;
  /** Adds a listener of accepted mini-batch attempts' timings, in ms; returns its removal. */
  onAttempt(listener: (roundTripMs: number, runMs: number) => void): () => void;
  /**
   * Adds a listener of processor restarts (a worker replaced, or a failed init tried again), with the
   * node; returns its removal.
   */
  onProcessorRestart(listener: (cause: 'worker_replaced' | 'init_failed', nodeId: string) => void): () => void;
  /**
   * Adds a listener of the journal's group commits: how long each one's fdatasync (file journal) or
   * transaction (PostgreSQL) took, in seconds; returns its removal. Absent without a journal.
   */
  onJournalSync?(listener: (seconds: number) => void): () => void;
}
