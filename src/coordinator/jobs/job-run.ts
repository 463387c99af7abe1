/**
 * One submitted job: its steps run one after another, each as a step-run actor. The job's status
 * aggregates its steps (the running step's state and reason; progress summed over the steps), and its
 * listeners (Watch streams) hear of every change and every message.
 *
 * A step that does not succeed ends the job with its outcome; the steps after it never start.
 */
import { type Logger, pino } from 'pino';
import { type Actor, createActor } from 'xstate';

import { FailureKind, type JobMessage, JobState, JobStatus, type Progress } from '../../gen/parajob/v1/parajob.js';
import type { CompiledParallelStep } from '../../jobspec/model.js';
import { isParallelStep } from '../../jobspec/steps.js';
import { runDirLayout } from '../../log/layout.js';
import { openLogFile, pinoLevel } from '../../log/logger.js';
import type { NodeDirectory } from '../cluster/node-directory.js';
import type { CoordinatorJournal } from '../journal/coordinator-journal.js';
import { type StepRunJournal, stepRunJournal } from '../journal/step-run-journal.js';
import type { TokenSource } from '../ledger/decisions.js';
import type { StepOutcome } from '../step-run/outcome.js';
import type { StepRunSettings } from '../step-run/settings.js';
import { type StepRunMachine, stepRunMachine } from '../step-run/step-run.machine.js';
import { failureKindOf, stepStatusOf } from '../step-run/step-status.js';
import { stepRunId } from './job-id.js';
import type { Submission } from './submission.js';

/** Where live step runs are registered, so node messages can be routed to them by wire job id. */
export interface StepRunRegistry {
  register(wireJobId: string, actor: Actor<StepRunMachine>): void;
  unregister(wireJobId: string): void;
}

/** What a JobRun needs from the coordinator: the cluster, lease tokens, logging, settings, routing. */
export interface JobRunDeps {
  readonly nodes: NodeDirectory;
  readonly tokens: TokenSource;
  /** The coordinator's root logger (job start and end are logged there too). */
  readonly rootLogger: Logger;
  readonly settings: StepRunSettings;
  readonly registry: StepRunRegistry;
  /** Where the job's progress is journaled; undefined: not journaled (tests). */
  readonly journal?: CoordinatorJournal;
}

/** What a JobRun tells its listeners. */
export interface JobRunListener {
  /** The status may have changed (call `status()`; calls are cheap but not free: throttle). */
  changed(): void;
  message(message: JobMessage): void;
}

interface StepSlot {
  readonly step: CompiledParallelStep;
  readonly wireJobId: string;
  actor: Actor<StepRunMachine> | undefined;
  /** Set when the actor itself crashed (a bug): the step's outcome then comes from here. */
  crash: StepOutcome | undefined;
  /** The step's journal while it runs. */
  journal: StepRunJournal | undefined;
  /** Set when the step succeeded before a coordinator restart: it is not run again. */
  succeededBeforeRestart: boolean;
}

/** One submitted job and its step runs (see the module comment). Create, then start(). */
export class JobRun {
  readonly jobId: string;
  readonly createdAtMs: number;
  private endedAtMs = 0;
  private readonly slots: StepSlot[];
  private current = 0;
  private cancelReason: string | undefined;
  private readonly listeners = new Set<JobRunListener>();
  private readonly logDestinations: ReturnType<typeof openLogFile>[] = [];
  /** Journal writes of the job's end, in order after its steps' ends. */
  private journaling: Promise<void> = Promise.resolve();

  /**
   * `succeededBeforeRestart`: wire job ids of steps the journal says succeeded before a coordinator
   * restart (a resumed job starts at the first step not among them).
   */
  constructor(
    private readonly submission: Submission,
    private readonly deps: JobRunDeps,
    succeededBeforeRestart: ReadonlySet<string> = new Set(),
    acceptedAtMs = Date.now(),
  ) {
    this.jobId = submission.jobId;
    this.createdAtMs = acceptedAtMs;
    // Command steps need the DAG runner (issue 11); until it lands only parallel steps run here.
    const steps = submission.job.steps.filter(isParallelStep);
    this.slots = steps.map((step) => {
      const wireJobId = stepRunId(this.jobId, step.name, steps.length);
      return {
        step,
        wireJobId,
        actor: undefined,
        crash: undefined,
        journal: undefined,
        succeededBeforeRestart: succeededBeforeRestart.has(wireJobId),
      };
    });
  }

  /** The job's name (its spec's `name`, else its id). */
  get name(): string {
    return this.submission.job.name ?? this.jobId;
  }

  /** Starts the first step. */
  start(): void {
    this.deps.rootLogger.info(
      { jobId: this.jobId, steps: this.slots.length, runDir: this.submission.runDir },
      'job started',
    );
    const first = this.slots.findIndex((slot) => !slot.succeededBeforeRestart);
    if (first === -1) this.finish();
    else this.startStep(first);
  }

  /** Asks the running step to cancel; a job between steps or not started ends cancelled at once. */
  cancel(reason: string): void {
    if (this.isTerminal || this.cancelReason !== undefined) return;
    this.cancelReason = reason || 'cancelled by the user';
    const actor = this.slots[this.current]?.actor;
    if (actor !== undefined && actor.getSnapshot().status === 'active')
      actor.send({ type: 'job.cancel', reason: this.cancelReason });
    else this.finish();
  }

  /** Adds a listener; returns its removal. */
  listen(listener: JobRunListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get isTerminal(): boolean {
    return this.endedAtMs !== 0;
  }

  /** The job's status now. */
  status(): JobStatus {
    const nowMs = Date.now();
    const steps = this.slots.map((slot, index) => {
      if (slot.succeededBeforeRestart) {
        return {
          name: slot.step.name,
          state: JobState.JOB_STATE_SUCCEEDED,
          runDir: slot.step.runDir,
          progress: undefined,
          stateReason: 'succeeded before the coordinator restarted',
        };
      }
      if (slot.actor === undefined) {
        const reason =
          index > this.current || !this.isTerminal
            ? 'waiting for the previous step'
            : 'not run: an earlier step did not succeed';
        return {
          name: slot.step.name,
          state: JobState.JOB_STATE_UNSPECIFIED,
          runDir: slot.step.runDir,
          progress: undefined,
          stateReason: reason,
        };
      }
      const status = stepStatusOf(slot.actor.getSnapshot(), nowMs);
      return slot.crash === undefined
        ? status
        : { ...status, state: JobState.JOB_STATE_FAILED, stateReason: slot.crash.reason };
    });
    const focus = this.slots[this.current] as StepSlot;
    const focusStatus = steps[this.current];
    const { state, failureKind, reason } = this.summary(
      focus,
      focusStatus?.state ?? JobState.JOB_STATE_UNSPECIFIED,
      focusStatus?.stateReason ?? '',
    );
    return {
      jobId: this.jobId,
      name: this.name,
      state,
      stateReason: this.slots.length > 1 && focusStatus !== undefined ? `step '${focus.step.name}': ${reason}` : reason,
      failureKind,
      runDir: this.submission.runDir,
      progress: sumProgress(steps.map((step) => step.progress)),
      steps,
      outputs: this.outputs(),
      createdAtMs: this.createdAtMs,
      endedAtMs: this.endedAtMs,
      resultFile: runDirLayout(focus.step.runDir).jobResult,
    };
  }

  private summary(
    focus: StepSlot,
    stepState: JobState,
    stepReason: string,
  ): { state: JobState; failureKind: FailureKind; reason: string } {
    if (focus.crash !== undefined)
      return { state: JobState.JOB_STATE_FAILED, failureKind: focus.crash.failureKind, reason: focus.crash.reason };
    if (focus.actor === undefined) {
      // Cancelled before the step started.
      if (this.isTerminal)
        return {
          state: JobState.JOB_STATE_CANCELLED,
          failureKind: FailureKind.FAILURE_KIND_UNSPECIFIED,
          reason: this.cancelReason ?? 'cancelled',
        };
      return {
        state: JobState.JOB_STATE_VALIDATING,
        failureKind: FailureKind.FAILURE_KIND_UNSPECIFIED,
        reason: 'starting',
      };
    }
    // A step that succeeded while a later one is about to start: the job is still running.
    const state =
      stepState === JobState.JOB_STATE_SUCCEEDED && !this.isTerminal ? JobState.JOB_STATE_RUNNING : stepState;
    return { state, failureKind: failureKindOf(focus.actor.getSnapshot()), reason: stepReason };
  }

  private outputs(): { name: string; path: string }[] {
    const { job } = this.submission;
    if (job.pipelineOutputs.length > 0) {
      return job.pipelineOutputs.flatMap((binding) => {
        const step = job.steps.find((candidate) => candidate.name === binding.step);
        const output = step?.outputs.find((candidate) => candidate.name === binding.output);
        return output === undefined ? [] : [{ name: binding.name, path: output.path }];
      });
    }
    return job.steps.length === 1
      ? (job.steps[0]?.outputs.map((output) => ({ name: output.name, path: output.path })) ?? [])
      : [];
  }

  private startStep(index: number): void {
    const slot = this.slots[index];
    if (slot === undefined) return;
    this.current = index;
    const logger = this.stepLogger(slot);
    if (this.submission.chaos) logger.warn({ chaos: this.submission.chaos }, 'fault injection is on for this job');
    slot.journal =
      this.deps.journal === undefined ? undefined : stepRunJournal(this.deps.journal, this.jobId, slot.wireJobId);
    const actor = createActor(stepRunMachine, {
      input: {
        jobId: slot.wireJobId,
        jobName: this.name,
        step: slot.step,
        deps: {
          nodes: this.deps.nodes,
          tokens: this.deps.tokens,
          logger,
          codeHash: this.submission.codeHashes.get(slot.step.task.code) ?? '',
          chaos: this.submission.chaos,
          settings: this.deps.settings,
          journal: slot.journal,
        },
      },
    });
    slot.actor = actor;
    actor.on('step.message', (message) => {
      const prefix = this.slots.length > 1 ? `step '${slot.step.name}': ` : '';
      this.notifyMessage({ level: message.level, text: prefix + message.text, atMs: message.atMs });
    });
    actor.subscribe({
      next: (snapshot) => {
        if (snapshot.status === 'done') this.stepDone(index, snapshot.output);
        else this.notifyChanged();
      },
      error: (error) => this.stepCrashed(index, error),
    });
    this.deps.registry.register(slot.wireJobId, actor);
    actor.start();
  }

  private stepDone(index: number, outcome: StepOutcome | undefined): void {
    const slot = this.slots[index] as StepSlot;
    this.deps.registry.unregister(slot.wireJobId);
    if (outcome !== undefined) this.journalStepEnd(slot, outcome.state);
    if (outcome?.state === 'succeeded' && index + 1 < this.slots.length && this.cancelReason === undefined) {
      this.startStep(index + 1);
      this.notifyChanged();
      return;
    }
    this.finish();
  }

  /** The step actor threw (a bug): fail the job, release the step's nodes, keep the error. */
  private stepCrashed(index: number, error: unknown): void {
    const slot = this.slots[index] as StepSlot;
    const message = error instanceof Error ? error.message : String(error);
    slot.crash = {
      state: 'failed',
      failureKind: FailureKind.FAILURE_KIND_INTERNAL,
      reason: `internal error in the coordinator: ${message}`,
      lookFirstAt: 'sys/master_role.txt',
      decidedAtMs: Date.now(),
    };
    this.deps.rootLogger.error({ jobId: this.jobId, err: error }, 'step run crashed');
    this.deps.registry.unregister(slot.wireJobId);
    for (const nodeId of slot.actor?.getSnapshot().context.run.nodes.keys() ?? []) {
      this.deps.nodes.send(nodeId, { kind: { $case: 'release', value: { jobId: slot.wireJobId, reason: 'failed' } } });
    }
    this.notifyMessage({ level: 'error', text: slot.crash.reason, atMs: Date.now() });
    this.finish();
  }

  private finish(): void {
    if (this.isTerminal) return;
    this.endedAtMs = Date.now();
    const status = this.status();
    this.deps.rootLogger.info(
      {
        jobId: this.jobId,
        state: JobState[status.state],
        failureKind: FailureKind[status.failureKind],
        reason: status.stateReason,
      },
      'job ended',
    );
    for (const destination of this.logDestinations) destination.end();
    const journal = this.deps.journal;
    if (journal !== undefined) {
      const ended = JobStatus.toJSON(status);
      this.journaling = this.journaling
        .then(() => journal.jobEnded(this.jobId, ended))
        .catch((error: unknown) =>
          this.deps.rootLogger.error({ jobId: this.jobId, err: error }, 'journaling the job end failed'),
        );
    }
    this.notifyChanged();
  }

  /** Journals a step's end after its last completions (the job's end is journaled after it). */
  private journalStepEnd(slot: StepSlot, state: StepOutcome['state']): void {
    const journal = slot.journal;
    if (journal === undefined) return;
    this.journaling = this.journaling
      .then(() => journal.ended(state))
      .catch((error: unknown) =>
        this.deps.rootLogger.error(
          { jobId: this.jobId, step: slot.step.name, err: error },
          'journaling the step end failed',
        ),
      );
  }

  /** The step's logger: JSON lines in its logs/sys/master_role.txt, at the step's logging_level. */
  private stepLogger(slot: StepSlot): Logger {
    const destination = openLogFile(runDirLayout(slot.step.runDir).masterRole);
    this.logDestinations.push(destination);
    return pino(
      { level: pinoLevel(slot.step.loggingLevel), base: { role: 'coordinator', pid: process.pid } },
      destination,
    ).child({
      jobId: slot.wireJobId,
      step: slot.step.name,
    });
  }

  private notifyChanged(): void {
    for (const listener of this.listeners) listener.changed();
  }

  private notifyMessage(message: JobMessage): void {
    for (const listener of this.listeners) listener.message(message);
  }
}

/** Progress summed over steps (rate, ETA and nodes: those of the last step that has progress). */
function sumProgress(progresses: readonly (Progress | undefined)[]): Progress | undefined {
  const present = progresses.filter((progress): progress is Progress => progress !== undefined);
  const last = present[present.length - 1];
  if (last === undefined) return undefined;
  const sum = (pick: (progress: Progress) => number) => present.reduce((total, progress) => total + pick(progress), 0);
  return {
    miniBatchesTotal: sum((progress) => progress.miniBatchesTotal),
    miniBatchesSucceeded: sum((progress) => progress.miniBatchesSucceeded),
    miniBatchesFailed: sum((progress) => progress.miniBatchesFailed),
    miniBatchesRunning: sum((progress) => progress.miniBatchesRunning),
    // A step whose total is not known yet (0 with mini-batches) makes the job's total unknown (0) too.
    itemsTotal: present.some((progress) => progress.itemsTotal === 0 && progress.miniBatchesTotal > 0)
      ? 0
      : sum((progress) => progress.itemsTotal),
    itemsSucceeded: sum((progress) => progress.itemsSucceeded),
    itemsFailed: sum((progress) => progress.itemsFailed),
    ratePerS: last.ratePerS,
    etaMs: last.etaMs,
    nodesActive: last.nodesActive,
    nodesWanted: last.nodesWanted,
    retries: sum((progress) => progress.retries),
  };
}
