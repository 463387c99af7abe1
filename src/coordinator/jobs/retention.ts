/**
 * How long ended jobs stay. A JobRun that ended leaves memory `retainFinishedMs` after its end: it is
 * swapped for an EndedJob holding its final status and last messages (what list, show and watch need),
 * and its machines, ledgers and compiled spec go; its journal record stays. With `retainDays`, ended
 * jobs older than that are deleted (run directory and journal entries) by a sweep at start and then
 * every `sweepEveryMs`. The timers never keep the process alive.
 */
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';

import type { JobView } from './job-view.js';
import { isWithin } from './path-policy.js';

/** Ended JobRuns leave memory this long after their end unless told otherwise. */
export const DEFAULT_RETAIN_FINISHED_MS = 10 * 60_000;
/** The --retain-days sweep runs this often. */
export const DEFAULT_SWEEP_EVERY_MS = 60 * 60_000;
const DAY_MS = 24 * 60 * 60_000;

export interface RetentionOptions {
  /** @default DEFAULT_RETAIN_FINISHED_MS */
  readonly retainFinishedMs?: number;
  /** Ended jobs older than this many days are deleted; undefined: kept. */
  readonly retainDays?: number;
  /** @default DEFAULT_SWEEP_EVERY_MS */
  readonly sweepEveryMs?: number;
}

/** What retention does to jobs (the coordinator core). */
export interface RetentionHooks {
  /** Swaps the ended JobRun `jobId` for its EndedJob. */
  forget(jobId: string): void;
  /** Deletes the jobs that ended before `endedBeforeMs`. */
  sweep(endedBeforeMs: number): Promise<void>;
}

/** The timers of retention (see the module comment). */
export class JobRetention {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private sweeper: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: RetentionOptions,
    private readonly hooks: RetentionHooks,
  ) {}

  /** The job ended: it leaves memory after retainFinishedMs (called again, nothing changes). */
  ended(jobId: string): void {
    if (this.timers.has(jobId)) return;
    const timer = setTimeout(() => {
      this.timers.delete(jobId);
      this.hooks.forget(jobId);
    }, this.options.retainFinishedMs ?? DEFAULT_RETAIN_FINISHED_MS);
    timer.unref();
    this.timers.set(jobId, timer);
  }

  /** Starts the --retain-days sweep (one now, then periodically); resolves after the first. */
  async start(): Promise<void> {
    const days = this.options.retainDays;
    if (days === undefined) return;
    const sweep = () => {
      // The hook logs its own failures; one failed sweep must not stop the next.
      this.sweeping = this.sweeping.then(() => this.hooks.sweep(Date.now() - days * DAY_MS)).catch(() => undefined);
      return this.sweeping;
    };
    this.sweeper = setInterval(() => void sweep(), this.options.sweepEveryMs ?? DEFAULT_SWEEP_EVERY_MS);
    this.sweeper.unref();
    await sweep();
  }

  /** Stops every timer. */
  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
  }
}

/**
 * Removes a deleted job's run directory when the coordinator chose it (under `<dataDir>/runs`); one a
 * client chose (--run-dir) may hold more than the job wrote and is left in place. Resolves with
 * whether it was removed.
 */
export async function removeRunDir(runDir: string, dataDir: string): Promise<boolean> {
  const runs = resolve(dataDir, 'runs');
  const dir = resolve(runDir);
  if (dir === runs || !isWithin(dir, runs)) return false;
  await rm(dir, { recursive: true, force: true });
  return true;
}

/** Why `job` cannot be deleted now (undefined: it can): it runs, or a running rerun reuses it. */
export function deletionRefusal(job: JobView, jobs: readonly JobView[]): string | undefined {
  if (!job.isTerminal) return 'it is still running (cancel it first)';
  const rerun = jobs.find((other) => !other.isTerminal && other.status().rerunOf === job.jobId);
  return rerun === undefined ? undefined : `job ${rerun.jobId}, a rerun of it, is running and reuses its outputs`;
}
