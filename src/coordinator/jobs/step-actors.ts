/**
 * A job's step actors: a parallel step runs as a step-run machine, a command step as a command-step
 * machine. This module creates one, wires what it says to the job (messages, command output, changes,
 * its end or its crash), registers it for node messages and starts it; the job decides what to do with
 * what it hears (job-run.ts).
 */
import type { Logger } from 'pino';
import { type Actor, createActor } from 'xstate';

import { FailureKind } from '../../gen/parajob/v1/parajob.js';
import type { CompiledCommandStep, CompiledParallelStep } from '../../jobspec/model.js';
import type { NodeDirectory, NodeInfo } from '../cluster/node-directory.js';
import { type CommandStepMachine, commandStepMachine } from '../command-step/command-step.machine.js';
import type { StepRunJournal } from '../journal/step-run-journal.js';
import type { TokenSource } from '../ledger/decisions.js';
import type { StepOutcome } from '../step-run/outcome.js';
import type { StepRunSettings } from '../step-run/settings.js';
import { type StepRunMachine, stepRunMachine } from '../step-run/step-run.machine.js';

/** Where live step runs are registered, so node messages can be routed to them by wire job id. */
export interface StepRunRegistry {
  register(wireJobId: string, actor: Actor<StepRunMachine>): void;
  unregister(wireJobId: string): void;
  registerCommand(wireJobId: string, actor: Actor<CommandStepMachine>): void;
  unregisterCommand(wireJobId: string): void;
}

/** A message a step actor emits for the job's listeners. */
export interface StepMessage {
  readonly level: 'info' | 'warn' | 'error';
  readonly text: string;
  readonly atMs: number;
}

/** What a step actor tells the job that started it. */
export interface StepActorHooks {
  message(message: StepMessage): void;
  /** A chunk of a command step's output. */
  log(text: string): void;
  /** Its snapshot changed (it is still running). */
  changed(): void;
  /** It reached its final state with `outcome`. */
  done(outcome: StepOutcome | undefined): void;
  /** It threw (a bug). */
  crashed(error: unknown): void;
}

/** What a parallel step run needs besides its step. */
export interface ParallelStepStart {
  readonly wireJobId: string;
  readonly jobName: string;
  readonly step: CompiledParallelStep;
  readonly codeHash: string;
  readonly chaos: string;
  readonly logger: Logger;
  readonly journal: StepRunJournal | undefined;
  readonly nodes: NodeDirectory;
  readonly tokens: TokenSource;
  readonly settings: StepRunSettings;
  /** Hears each accepted attempt's timing (StepRunDeps.onAttempt). */
  readonly onAttempt?: (roundTripMs: number, runMs: number) => void;
}

/** What a command step run needs besides its step. */
export interface CommandStepStart {
  readonly wireJobId: string;
  readonly step: CompiledCommandStep;
  readonly codeHash: string;
  readonly logger: Logger;
  readonly nodes: NodeDirectory;
  readonly pickNode: (candidates: readonly NodeInfo[]) => NodeInfo | undefined;
  /** How long a cancelled command may take to report its end before its step counts as cancelled. */
  readonly cancelGraceMs: number;
  /** Runs of the command at most (a node lost while running it costs one). */
  readonly maxAttempts: number;
  /** See CommandStepInput.fenceMs. */
  readonly fenceMs: number;
}

/** Creates, registers and starts the step-run actor of a parallel step. */
export function startParallelStep(
  start: ParallelStepStart,
  registry: StepRunRegistry,
  hooks: StepActorHooks,
): Actor<StepRunMachine> {
  const { wireJobId, jobName, step, codeHash, chaos, logger, journal, nodes, tokens, settings, onAttempt } = start;
  const actor = createActor(stepRunMachine, {
    input: {
      jobId: wireJobId,
      jobName,
      step,
      deps: { nodes, tokens, logger, codeHash, chaos, settings, journal, onAttempt },
    },
  });
  actor.on('step.message', (message) => hooks.message(message));
  watch(actor, hooks);
  registry.register(wireJobId, actor);
  actor.start();
  return actor;
}

/** Creates, registers and starts the command-step actor of a command step. */
export function startCommandStep(
  start: CommandStepStart,
  registry: StepRunRegistry,
  hooks: StepActorHooks,
): Actor<CommandStepMachine> {
  const actor = createActor(commandStepMachine, {
    input: {
      wireJobId: start.wireJobId,
      step: start.step,
      codeHash: start.codeHash,
      nodes: start.nodes,
      pickNode: start.pickNode,
      // The output always travels: a `job stream --logs` may attach at any time.
      streamLogs: true,
      logger: start.logger,
      cancelGraceMs: start.cancelGraceMs,
      maxAttempts: start.maxAttempts,
      fenceMs: start.fenceMs,
    },
  });
  actor.on('step.message', (message) => hooks.message(message));
  actor.on('command.log', ({ text }) => hooks.log(text));
  watch(actor, hooks);
  // Registered before start: the machine may lease at once, and the node may answer quickly.
  registry.registerCommand(start.wireJobId, actor);
  actor.start();
  return actor;
}

/** What `watch` needs of a step actor: both machines end with a StepOutcome. */
interface StepActor {
  subscribe(observer: {
    next: (snapshot: { readonly status: string; readonly output?: StepOutcome | undefined }) => void;
    error: (error: unknown) => void;
  }): unknown;
}

function watch(actor: StepActor, hooks: StepActorHooks): void {
  actor.subscribe({
    next: (snapshot) => {
      if (snapshot.status === 'done') hooks.done(snapshot.output);
      else hooks.changed();
    },
    error: (error) => hooks.crashed(error),
  });
}

/** How a step whose actor threw ends: failed, an internal error, the coordinator's log to read first. */
export function crashOutcome(error: unknown, nowMs: number): StepOutcome {
  const message = error instanceof Error ? error.message : String(error);
  return {
    state: 'failed',
    failureKind: FailureKind.FAILURE_KIND_INTERNAL,
    reason: `internal error in the coordinator: ${message}`,
    lookFirstAt: 'sys/master_role.txt',
    decidedAtMs: nowMs,
  };
}
