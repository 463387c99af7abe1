/**
 * The coordinator's jobs: accepting submissions and reruns, resuming the journal's jobs after a
 * restart, answering for them (job, list, cancel), deleting them, and letting ended ones leave memory
 * and disk (retention.ts). The core (coordinator-core.ts) routes node messages to their step runs;
 * this book owns the jobs those step runs belong to.
 */
import { status } from '@grpc/grpc-js';
import type { Logger } from 'pino';

import {
  type DeleteJobResponse,
  JobStatus,
  type SubmitJobRequest,
  type SubmitJobResponse,
} from '../../gen/parajob/v1/parajob.js';
import type { CodeStore } from '../code/code-store.js';
import type { DurableJob } from '../journal/durable-state.js';
import { JobRun, type JobRunDeps } from './job-run.js';
import type { JobStart } from './job-slots.js';
import { EndedJob, type JobView, unresumableStatus } from './job-view.js';
import type { SubmitLimits } from './limits.js';
import { isWithin, outputPathsOf, type PathPolicy } from './path-policy.js';
import { acceptRerun, resumedRerunPlan } from './rerun.js';
import { deletionRefusal, JobRetention, removeRunDir, type RetentionOptions } from './retention.js';
import {
  acceptSubmission,
  type CompileJob,
  resumeSubmission,
  type Submission,
  type SubmissionContext,
  SubmitRejected,
} from './submission.js';

/** What the book needs: where jobs live, how they compile, what their runs need. */
export interface JobBookOptions {
  readonly dataDir: string;
  readonly logger: Logger;
  readonly compile: CompileJob;
  readonly code: CodeStore;
  /** What every JobRun needs; its journal is the coordinator's (undefined: nothing is journaled). */
  readonly runDeps: JobRunDeps;
  readonly pathPolicy?: PathPolicy;
  readonly limits?: SubmitLimits;
  readonly retention?: RetentionOptions;
}

/** The coordinator's jobs (see the module comment). */
export class JobBook {
  private readonly jobs = new Map<string, JobView>();
  /** Output paths of every job (checked against live ones only). */
  private readonly outputsByJob = new Map<string, string[]>();
  private readonly retention: JobRetention;
  private readonly logger: Logger;

  constructor(private readonly options: JobBookOptions) {
    this.logger = options.logger;
    this.retention = new JobRetention(options.retention ?? {}, {
      forget: (jobId) => this.forget(jobId),
      sweep: (endedBeforeMs) => this.sweep(endedBeforeMs),
    });
  }

  /** Accepts a submission and starts the job (see jobs/submission.ts for the refusals). */
  async submit(request: SubmitJobRequest): Promise<SubmitJobResponse> {
    const submission = await acceptSubmission(request, this.submissionContext());
    return this.launch(submission, request, {});
  }

  /** Reruns an ended job as a new one (see jobs/rerun.ts for what it reuses and the refusals). */
  async rerun(jobId: string, fromScratch: boolean): Promise<SubmitJobResponse> {
    const { journal } = this.options.runDeps;
    const accepted = await acceptRerun(jobId, this.jobs.get(jobId), { fromScratch, journal }, this.submissionContext());
    this.logger.info({ jobId: accepted.submission.jobId, rerunOf: jobId, fromScratch }, 'rerun accepted');
    return this.launch(accepted.submission, accepted.earlier, { rerun: accepted.plan }, fromScratch);
  }

  private submissionContext(): SubmissionContext {
    return {
      dataDir: this.options.dataDir,
      compile: this.options.compile,
      code: this.options.code,
      jobExists: (jobId) => this.jobs.has(jobId),
      ...(this.options.pathPolicy === undefined ? {} : { pathPolicy: this.options.pathPolicy }),
      ...(this.options.limits === undefined ? {} : { limits: this.options.limits }),
      outputsInUse: (paths) => this.outputInUse(paths),
    };
  }

  /** Journals an accepted job (durable before the answer) and starts it. */
  private async launch(
    submission: Submission,
    spec: { readonly specPath: string; readonly specYaml: string },
    origin: JobStart,
    fromScratch = false,
  ): Promise<SubmitJobResponse> {
    await this.options.runDeps.journal?.jobAccepted({
      jobId: submission.jobId,
      specPath: spec.specPath,
      specYaml: spec.specYaml,
      runDir: submission.runDir,
      chaos: submission.chaos,
      codeHashes: [...submission.codeHashes],
      warnings: submission.warnings,
      acceptedAtMs: Date.now(),
      ...(origin.rerun === undefined ? {} : { rerunOf: origin.rerun.rerunOf, fromScratch }),
    });
    const job = this.newJobRun(submission, origin);
    this.jobs.set(submission.jobId, job);
    job.start();
    return { jobId: submission.jobId, runDir: submission.runDir, warnings: [...submission.warnings] };
  }

  /**
   * Brings back every job of the journal (a coordinator restarted on its data dir): those that ended
   * answer with their final status; the others go on from their journaled progress.
   */
  async resumeJournaledJobs(): Promise<void> {
    for (const durable of this.options.runDeps.journal?.jobs() ?? []) {
      const jobId = durable.accepted.jobId;
      if (durable.endedStatus !== undefined) {
        this.jobs.set(jobId, new EndedJob(jobId, JobStatus.fromJSON(durable.endedStatus)));
        continue;
      }
      try {
        await this.resumeJob(durable);
      } catch (error) {
        // Its spec no longer compiles (an input vanished while the coordinator was down): the job ends
        // failed, saying why, rather than vanishing from the list.
        this.logger.error({ jobId, err: error }, 'a journaled job could not resume');
        const status = unresumableStatus(durable.accepted, error);
        this.jobs.set(jobId, new EndedJob(jobId, status));
        await this.options.runDeps.journal?.jobEnded(jobId, JobStatus.toJSON(status));
      }
    }
    await this.retention.start();
  }

  private async resumeJob(durable: DurableJob): Promise<void> {
    const { compile } = this.options;
    const { journal } = this.options.runDeps;
    const submission = await resumeSubmission(durable.accepted, compile);
    const succeeded = new Set(
      [...durable.steps].filter(([, step]) => step.ended === 'succeeded').map(([stepRunId]) => stepRunId),
    );
    const rerun = journal === undefined ? undefined : await resumedRerunPlan(durable.accepted, journal, compile);
    const job = this.newJobRun(submission, {
      succeededBeforeRestart: succeeded,
      acceptedAtMs: durable.accepted.acceptedAtMs,
      ...(rerun === undefined ? {} : { rerun }),
    });
    this.jobs.set(submission.jobId, job);
    this.logger.warn({ jobId: submission.jobId }, 'job resumed after a coordinator restart');
    job.start();
  }

  /**
   * Forgets an ended job: journal entries, memory, and its run directory when the coordinator chose
   * it (jobs/retention.ts). Refused for a running job and for one a running rerun reuses.
   */
  async delete(jobId: string): Promise<DeleteJobResponse> {
    const deleted = await this.forgetForGood(jobId);
    // A snapshot now drops the job from the journal files too (segments it covers are removed).
    this.options.runDeps.journal?.compact();
    return deleted;
  }

  private async forgetForGood(jobId: string): Promise<DeleteJobResponse> {
    const job = this.jobs.get(jobId);
    if (job === undefined) throw new SubmitRejected(status.NOT_FOUND, `no job with id ${jobId}`);
    const refusal = deletionRefusal(job, this.allJobs());
    if (refusal !== undefined)
      throw new SubmitRejected(status.FAILED_PRECONDITION, `cannot delete job ${jobId}: ${refusal}`);
    await job.settled();
    await this.options.runDeps.journal?.jobDeleted(jobId);
    this.jobs.delete(jobId);
    this.outputsByJob.delete(jobId);
    const runDir = job.status().runDir;
    const runDirRemoved = await removeRunDir(runDir, this.options.dataDir);
    this.logger.info({ jobId, runDir, runDirRemoved }, 'job deleted');
    return { jobId, runDir, runDirRemoved };
  }

  /** Swaps an ended JobRun for its EndedJob (retention: its machines and spec leave memory). */
  private forget(jobId: string): void {
    const job = this.jobs.get(jobId);
    if (!(job instanceof JobRun) || !job.isTerminal) return;
    this.jobs.set(jobId, new EndedJob(jobId, job.status(), job.messages()));
    this.outputsByJob.delete(jobId);
  }

  /** Deletes the ended jobs that ended before `endedBeforeMs` (--retain-days), then compacts the journal. */
  private async sweep(endedBeforeMs: number): Promise<void> {
    for (const job of this.allJobs()) {
      const endedAtMs = job.isTerminal ? job.status().endedAtMs : 0;
      if (endedAtMs === 0 || endedAtMs >= endedBeforeMs || deletionRefusal(job, this.allJobs()) !== undefined) continue;
      await this.forgetForGood(job.jobId).catch((error: unknown) =>
        this.logger.error({ jobId: job.jobId, err: error }, 'deleting an old job failed'),
      );
    }
    this.options.runDeps.journal?.compact();
  }

  private newJobRun(submission: Submission, origin: JobStart): JobRun {
    // Two live jobs never write the same output (a resumed one included).
    this.outputsByJob.set(submission.jobId, outputPathsOf(submission.job));
    const job = new JobRun(submission, this.options.runDeps, origin);
    // An ended job leaves memory after a while (jobs/retention.ts).
    job.listen({
      changed: () => {
        if (job.isTerminal) this.retention.ended(job.jobId);
      },
      message: () => undefined,
    });
    return job;
  }

  /** The first live job writing one of `paths` (or a folder around or inside one), as `<job id>: <path>`. */
  private outputInUse(paths: readonly string[]): string | undefined {
    for (const [jobId, used] of this.outputsByJob) {
      if (this.jobs.get(jobId)?.isTerminal !== false) continue;
      for (const path of paths) {
        const clash = used.find((other) => isWithin(path, other) || isWithin(other, path));
        if (clash !== undefined) return `${jobId}: ${clash}`;
      }
    }
    return undefined;
  }

  /** A job by id. */
  job(jobId: string): JobView | undefined {
    return this.jobs.get(jobId);
  }

  /** Every job, oldest first. */
  allJobs(): JobView[] {
    return [...this.jobs.values()];
  }

  /** Cancels a job (no-op when it has ended); undefined when there is no such job. */
  cancel(jobId: string, reason: string): JobStatus | undefined {
    const job = this.jobs.get(jobId);
    if (job === undefined) return undefined;
    job.cancel(reason);
    return job.status();
  }

  /** Stops the retention timers. */
  stop(): void {
    this.retention.stop();
  }
}
