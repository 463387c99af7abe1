/**
 * One submitted job: a pipeline of steps run as a DAG. Each step starts once every step it consumes
 * from has succeeded (or was reused); independent steps run at the same time. A parallel step runs as a
 * step-run actor, a command step as a command-step actor; the scheduling decisions are pure
 * (pipeline/step-graph.ts), this class applies them:
 *   - a step that is about to start is bound to what its producers actually wrote (bindStepInputs), and
 *     when its reuse key (src/jobspec/reuse-key.ts) matches an earlier succeeded run in the reuse index
 *     it is marked reused with that run's outputs instead of running (pipeline/step-reuse.ts);
 *   - a failure skips the steps downstream of it (continue_on_step_failure, default true) or cancels
 *     every running step and skips the rest (false); the job fails when any step failed.
 * The job's status aggregates its steps (pipeline/pipeline-status.ts); listeners (Watch streams) hear
 * of every change, every message and every chunk of command output.
 */
import type { Logger } from 'pino';

import { FailureKind, type JobMessage, JobState, type JobStatus } from '../../gen/parajob/v1/parajob.js';
import { bindStepInputs, type ProducedOutputs } from '../../jobspec/bind-inputs.js';
import type { CompiledCommandStep, CompiledJob, CompiledParallelStep, CompiledStep } from '../../jobspec/model.js';
import { stepCodeFolder } from '../../jobspec/steps.js';
import type { StepLive } from '../../web/source.js';
import type { NodeDirectory, NodeInfo } from '../cluster/node-directory.js';
import type { CoordinatorJournal } from '../journal/coordinator-journal.js';
import type { CarriedMiniBatches } from '../journal/step-run-journal.js';
import type { TokenSource } from '../ledger/decisions.js';
import { jobStatusOf, writePipelineResult } from '../pipeline/pipeline-status.js';
import type { ReuseIndex } from '../pipeline/reuse-index.js';
import { isEndPhase, nextMoves } from '../pipeline/step-graph.js';
import { stepEndedLine, stepStartedLine } from '../pipeline/step-lines.js';
import { findReusable, recordReusable } from '../pipeline/step-reuse.js';
import { stepLogger, type StepSlot } from '../pipeline/step-slot.js';
import type { StepOutcome } from '../step-run/outcome.js';
import type { StepRunSettings } from '../step-run/settings.js';
import { carriedText, takeOverCarried } from './carry-over.js';
import { JobJournaling } from './job-journaling.js';
import { createSlots, type JobStart } from './job-slots.js';
import { MESSAGE_HISTORY_LIMIT } from './job-view.js';
import {
  crashOutcome,
  startCommandStep,
  startParallelStep,
  type StepActorHooks,
  type StepMessage,
  type StepRunRegistry,
} from './step-actors.js';
import { stepLiveOf } from './step-live.js';
import type { Submission } from './submission.js';

export type { StepRunRegistry } from './step-actors.js';

/** What a JobRun needs from the coordinator: the cluster, lease tokens, logging, settings, routing. */
export interface JobRunDeps {
  readonly nodes: NodeDirectory;
  readonly tokens: TokenSource;
  /** The coordinator's root logger (job start and end are logged there too). */
  readonly rootLogger: Logger;
  readonly settings: StepRunSettings;
  readonly registry: StepRunRegistry;
  readonly reuse: ReuseIndex;
  /** Where the job's progress is journaled; undefined: not journaled (tests, `parajob run`). */
  readonly journal?: CoordinatorJournal;
  /** Picks the node for a command run among live candidates (the least loaded). */
  readonly pickCommandNode: (candidates: readonly NodeInfo[]) => NodeInfo | undefined;
  /** How long a command step waits before running again after losing its node (CommandStepInput.fenceMs). */
  readonly commandFenceMs: number;
  /** Hears each accepted mini-batch attempt's timing (see StepRunDeps.onAttempt). */
  readonly onAttempt?: (roundTripMs: number, runMs: number) => void;
}

/** What a JobRun tells its listeners. */
export interface JobRunListener {
  /** The status may have changed (call `status()`; calls are cheap but not free: throttle). */
  changed(): void;
  message(message: JobMessage): void;
  /** A chunk of a command step's output. */
  log?(stepName: string, text: string): void;
}

/** Runs of a command step at most: each node lost while running it costs one (then it runs elsewhere). */
const COMMAND_MAX_ATTEMPTS = 3;

/** How long a cancelled command may take to report its end before its step counts as cancelled. */
const COMMAND_CANCEL_GRACE_MS = 10_000;

/** One submitted job and its step runs (see the module comment). Create, then start(). */
export class JobRun {
  readonly jobId: string;
  readonly createdAtMs: number;
  private endedAtMs = 0;
  /** The journal holds the job's end (or there is no journal): status() may show it. */
  private endDurable = false;
  private readonly slots: StepSlot[];
  private readonly byName = new Map<string, StepSlot>();
  private cancelReason: string | undefined;
  private readonly listeners = new Set<JobRunListener>();
  private readonly journaling: JobJournaling;
  /** The job's messages so far, for Watch streams that attach late (bounded). */
  private readonly history: JobMessage[] = [];

  /** `origin`: what a restart or a rerun says is done already (job-slots.ts). */
  constructor(
    private readonly submission: Submission,
    private readonly deps: JobRunDeps,
    private readonly origin: JobStart = {},
  ) {
    this.jobId = submission.jobId;
    this.createdAtMs = origin.acceptedAtMs ?? Date.now();
    this.journaling = new JobJournaling(deps.journal, this.jobId, deps.rootLogger);
    this.slots = createSlots(this.jobId, submission.job.steps, origin, Date.now());
    for (const slot of this.slots) this.byName.set(slot.step.name, slot);
  }

  /** The job's name (its spec's `name`, else its id). */
  get name(): string {
    return this.submission.job.name ?? this.jobId;
  }

  /** Starts every step that consumes from no other. */
  start(): void {
    this.deps.rootLogger.info(
      { jobId: this.jobId, steps: this.slots.length, runDir: this.submission.runDir },
      'job started',
    );
    this.advance();
  }

  /** Cancels every running step; steps not started yet end cancelled at once. */
  cancel(reason: string): void {
    if (this.ended || this.cancelReason !== undefined) return;
    this.cancelReason = reason || 'cancelled by the user';
    for (const slot of this.slots) {
      if (slot.phase === 'waiting') this.endSlot(slot, 'cancelled', this.cancelReason);
      else if (slot.phase === 'running') this.cancelSlot(slot, this.cancelReason);
    }
    this.finishIfDone();
  }

  /** Adds a listener; returns its removal. */
  listen(listener: JobRunListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  compiled(): CompiledJob {
    return this.submission.job;
  }

  stepLive(stepName: string): StepLive | undefined {
    const actor = this.byName.get(stepName)?.parallel;
    return actor === undefined ? undefined : stepLiveOf(actor);
  }

  /** The job's messages so far (see JobView.messages). */
  messages(): readonly JobMessage[] {
    return this.history;
  }

  /** Resolves once the job's journal writes so far are done. */
  settled(): Promise<void> {
    return this.journaling.settled();
  }

  /** The job ended and the journal holds its end: what clients, watchers and retention go by. */
  get isTerminal(): boolean {
    return this.endDurable;
  }

  /** Every step ended and the job's end is decided (maybe not yet journaled): nothing more runs. */
  private get ended(): boolean {
    return this.endedAtMs !== 0;
  }

  /**
   * The job's status now. Its end shows only once the journal holds it (`endDurable`): a client told
   * that the job ended may act on it (rerun it, stop the coordinator), and a restarted coordinator must
   * agree. Until then the job is FINISHING.
   */
  status(): JobStatus {
    return this.statusEndedAt(this.endDurable ? this.endedAtMs : 0);
  }

  private statusEndedAt(endedAtMs: number): JobStatus {
    return jobStatusOf({
      jobId: this.jobId,
      name: this.name,
      runDir: this.submission.runDir,
      job: this.submission.job,
      slots: this.slots,
      createdAtMs: this.createdAtMs,
      endedAtMs,
      cancelReason: this.cancelReason,
      nowMs: Date.now(),
      ...(this.origin.rerun === undefined ? {} : { rerunOf: this.origin.rerun.rerunOf }),
    });
  }

  /** Applies the graph's next moves; ends the job when every step has ended. */
  private advance(): void {
    if (this.ended) return;
    if (this.cancelReason === undefined) {
      const phases = new Map(this.slots.map((slot) => [slot.step.name, slot.phase]));
      const { continueOnStepFailure } = this.submission.job.settings;
      const moves = nextMoves(this.submission.job.steps, phases, continueOnStepFailure);
      for (const { name, reason } of moves.skip) this.endSlot(this.byName.get(name) as StepSlot, 'skipped', reason);
      const failed = this.slots.find((slot) => slot.phase === 'failed');
      if (!continueOnStepFailure && failed !== undefined) {
        const reason = `cancelled: step ${failed.step.name} failed and continue_on_step_failure is false`;
        for (const slot of this.slots) if (slot.phase === 'running') this.cancelSlot(slot, reason);
      }
      for (const name of moves.start) this.launch(this.byName.get(name) as StepSlot);
    }
    this.finishIfDone();
    this.notifyChanged();
  }

  /** Binds the step to its producers' outputs, then reuses an earlier run or starts its actor. */
  private launch(slot: StepSlot): void {
    slot.phase = 'running';
    slot.startedAtMs = Date.now();
    slot.reason = 'starting';
    try {
      const produced: ProducedOutputs = Object.fromEntries(
        slot.step.dependsOn.map((name) => [name, this.byName.get(name)?.produced ?? {}]),
      );
      slot.bound = bindStepInputs(slot.step, produced);
    } catch (error) {
      this.endSlot(slot, 'failed', `internal error: ${error instanceof Error ? error.message : String(error)}`);
      this.advance();
      return;
    }
    void this.reuseOrRun(slot, slot.bound);
  }

  private async reuseOrRun(slot: StepSlot, bound: CompiledStep): Promise<void> {
    const codeHash = this.codeHashOf(bound);
    const settings = this.submission.noReuse
      ? { ...this.submission.job.settings, forceRerun: true }
      : this.submission.job.settings;
    const found = await findReusable(bound, codeHash, settings, this.deps.reuse).catch((error: unknown) => {
      this.deps.rootLogger.warn({ jobId: this.jobId, step: bound.name, err: error }, 'reuse check failed; running');
      return undefined;
    });
    if (this.cancelReason !== undefined && bound.kind === 'command') {
      this.endSlot(slot, 'cancelled', this.cancelReason);
      this.advance();
      return;
    }
    slot.reuseKey = found?.key;
    if (found?.entry !== undefined) {
      slot.produced = { ...found.entry.outputs };
      slot.reusedFrom = found.entry.stepRun;
      this.endSlot(slot, 'reused', `reused the outputs of step run ${found.entry.stepRun}`);
      this.advance();
      return;
    }
    const carried = bound.kind === 'parallel' ? await this.carryOver(slot, bound) : undefined;
    if (carried === 'failed') return;
    if (this.slots.length > 1) this.notifyMessage(stepStartedLine(bound.name, bound.kind, Date.now()));
    if (bound.kind === 'parallel') this.startParallel(slot, bound, codeHash, carried);
    else this.startCommand(slot, bound, codeHash);
    // Cancelled while checking for reuse: a parallel step run still ends through its machine, which
    // writes its result files (job_result.txt says it was cancelled).
    if (this.cancelReason !== undefined) this.cancelSlot(slot, this.cancelReason);
    this.notifyChanged();
  }

  /**
   * A rerun's parallel step takes over the mini-batches that succeeded in the job it reruns, unless it
   * resumes after a restart (its journal holds them then). 'failed': the earlier output changed.
   */
  private async carryOver(
    slot: StepSlot,
    step: CompiledParallelStep,
  ): Promise<CarriedMiniBatches | 'failed' | undefined> {
    const earlier = this.origin.rerun?.carried.get(step.name);
    // Without a journal no ledger could carry them: a rerun needs one (jobs/rerun.ts).
    if (earlier === undefined || this.deps.journal === undefined || this.journaling.resumes(slot.wireJobId))
      return undefined;
    try {
      const carried = await takeOverCarried(earlier, step);
      this.stepMessage(slot, { level: 'info', text: carriedText(earlier), atMs: Date.now() });
      return carried;
    } catch (error) {
      const reason = `could not reuse the output of ${earlier.from}: ${error instanceof Error ? error.message : String(error)} (rerun with --from-scratch to run every mini-batch)`;
      this.endSlot(slot, 'failed', reason);
      this.advance();
      return 'failed';
    }
  }

  private codeHashOf(step: CompiledStep): string {
    const folder = stepCodeFolder(step);
    return folder === undefined ? '' : (this.submission.codeHashes.get(folder) ?? '');
  }

  private startParallel(
    slot: StepSlot,
    step: CompiledParallelStep,
    codeHash: string,
    carried: CarriedMiniBatches | undefined,
  ): void {
    const logger = stepLogger(slot, step.loggingLevel);
    if (this.submission.chaos) logger.warn({ chaos: this.submission.chaos }, 'fault injection is on for this job');
    const { nodes, tokens, settings, registry } = this.deps;
    slot.parallel = startParallelStep(
      {
        wireJobId: slot.wireJobId,
        jobName: this.name,
        step,
        codeHash,
        chaos: this.submission.chaos,
        logger,
        journal: this.journaling.forStep(slot.wireJobId, carried),
        nodes,
        tokens,
        settings,
        onAttempt: this.deps.onAttempt,
      },
      registry,
      this.hooksFor(slot),
    );
  }

  private startCommand(slot: StepSlot, step: CompiledCommandStep, codeHash: string): void {
    slot.command = startCommandStep(
      {
        wireJobId: slot.wireJobId,
        step,
        codeHash,
        logger: stepLogger(slot, 'INFO'),
        nodes: this.deps.nodes,
        pickNode: this.deps.pickCommandNode,
        cancelGraceMs: COMMAND_CANCEL_GRACE_MS,
        maxAttempts: COMMAND_MAX_ATTEMPTS,
        fenceMs: this.deps.commandFenceMs,
      },
      this.deps.registry,
      this.hooksFor(slot),
    );
  }

  /** What the job does with what the step actor of `slot` tells it. */
  private hooksFor(slot: StepSlot): StepActorHooks {
    return {
      message: (message) => this.stepMessage(slot, message),
      log: (text) => {
        for (const listener of this.listeners) listener.log?.(slot.step.name, text);
      },
      changed: () => this.notifyChanged(),
      done: (outcome) => this.stepDone(slot, outcome),
      crashed: (error) => this.stepCrashed(slot, error),
    };
  }

  private cancelSlot(slot: StepSlot, reason: string): void {
    const actor = slot.parallel ?? slot.command;
    if (actor !== undefined && actor.getSnapshot().status === 'active') actor.send({ type: 'job.cancel', reason });
  }

  private stepMessage(slot: StepSlot, message: StepMessage): void {
    const prefix = this.slots.length > 1 ? `step '${slot.step.name}': ` : '';
    this.notifyMessage({ level: message.level, text: prefix + message.text, atMs: message.atMs });
  }

  private stepDone(slot: StepSlot, outcome: StepOutcome | undefined): void {
    if (isEndPhase(slot.phase)) return;
    if (slot.parallel !== undefined) this.deps.registry.unregister(slot.wireJobId);
    if (slot.command !== undefined) this.deps.registry.unregisterCommand(slot.wireJobId);
    const state = outcome?.state ?? 'failed';
    if (outcome !== undefined) this.journaling.stepEnded(slot.wireJobId, slot.step.name, outcome.state);
    slot.outcome = outcome;
    if (state === 'succeeded') {
      slot.produced = Object.fromEntries((slot.bound ?? slot.step).outputs.map((output) => [output.name, output.path]));
      recordReusable(this.deps.reuse, slot.reuseKey, slot.wireJobId, slot.produced);
    }
    this.endSlot(slot, state, outcome?.reason ?? 'ended');
    this.advance();
  }

  /** A step actor threw (a bug): fail the step, release its nodes, keep the error. */
  private stepCrashed(slot: StepSlot, error: unknown): void {
    slot.outcome = crashOutcome(error, Date.now());
    this.deps.rootLogger.error({ jobId: this.jobId, step: slot.step.name, err: error }, 'step run crashed');
    this.deps.registry.unregister(slot.wireJobId);
    this.deps.registry.unregisterCommand(slot.wireJobId);
    for (const nodeId of slot.parallel?.getSnapshot().context.run.nodes.keys() ?? []) {
      this.deps.nodes.send(nodeId, { kind: { $case: 'release', value: { jobId: slot.wireJobId, reason: 'failed' } } });
    }
    this.notifyMessage({ level: 'error', text: slot.outcome.reason, atMs: Date.now() });
    this.endSlot(slot, 'failed', slot.outcome.reason);
    this.advance();
  }

  private endSlot(slot: StepSlot, phase: 'succeeded' | 'failed' | 'cancelled' | 'skipped' | 'reused', reason: string) {
    slot.phase = phase;
    slot.reason = reason;
    slot.endedAtMs = Date.now();
    if (slot.startedAtMs === 0 && phase !== 'skipped' && phase !== 'cancelled') slot.startedAtMs = slot.endedAtMs;
    if (this.slots.length > 1) this.notifyMessage(stepEndedLine(slot.step.name, phase, reason, slot));
  }

  private finishIfDone(): void {
    if (this.ended || !this.slots.every((slot) => isEndPhase(slot.phase))) return;
    this.endedAtMs = Date.now();
    const status = this.statusEndedAt(this.endedAtMs);
    this.deps.rootLogger.info(
      {
        jobId: this.jobId,
        state: JobState[status.state],
        failureKind: FailureKind[status.failureKind],
        reason: status.stateReason,
      },
      'job ended',
    );
    writePipelineResult(this.submission.runDir, this.submission.job, status, this.deps.rootLogger);
    for (const slot of this.slots) for (const destination of slot.logDestinations) destination.end();
    this.journaling.jobEnded(status);
    void this.journaling.settled().then(() => {
      this.endDurable = true;
      this.notifyChanged();
    });
  }

  private notifyChanged(): void {
    for (const listener of this.listeners) listener.changed();
  }

  private notifyMessage(message: JobMessage): void {
    this.history.push(message);
    if (this.history.length > MESSAGE_HISTORY_LIMIT) this.history.shift();
    for (const listener of this.listeners) listener.message(message);
  }
}
