/** What a job run keeps per step: its phase, its actor, what it produced, and its timing. */
import { join } from 'node:path';

import { type Logger, pino } from 'pino';
import type { Actor } from 'xstate';

import type { CompiledStep } from '../../jobspec/model.js';
import { runDirLayout } from '../../log/layout.js';
import { openLogFile, pinoLevel } from '../../log/logger.js';
import type { CommandStepMachine } from '../command-step/command-step.machine.js';
import type { StepOutcome } from '../step-run/outcome.js';
import type { StepRunMachine } from '../step-run/step-run.machine.js';
import type { StepPhase } from './step-graph.js';

export interface StepSlot {
  readonly step: CompiledStep;
  readonly wireJobId: string;
  phase: StepPhase;
  /** One sentence: what the step waits for, or why it ended as it did. */
  reason: string;
  /** The step bound to its producers' outputs (set when it starts). */
  bound: CompiledStep | undefined;
  parallel: Actor<StepRunMachine> | undefined;
  command: Actor<CommandStepMachine> | undefined;
  outcome: StepOutcome | undefined;
  /** The step run whose outputs were reused; '' otherwise. */
  reusedFrom: string;
  /** Output paths by name once succeeded or reused. */
  produced: Record<string, string>;
  startedAtMs: number;
  endedAtMs: number;
  /** The reuse key computed when it started (undefined: not reusable). */
  reuseKey: string | undefined;
  readonly logDestinations: ReturnType<typeof openLogFile>[];
}

/**
 * The step's coordinator logger: JSON lines in its logs/sys/master_role.txt (a parallel step, at its
 * logging_level) or its system_logs/coordinator.txt (a command step, whose logs/ holds nothing else).
 */
export function stepLogger(slot: StepSlot, level: 'DEBUG' | 'INFO' | 'WARNING'): Logger {
  const file =
    slot.step.kind === 'parallel'
      ? runDirLayout(slot.step.runDir).masterRole
      : join(slot.step.runDir, 'system_logs', 'coordinator.txt');
  const destination = openLogFile(file);
  slot.logDestinations.push(destination);
  return pino({ level: pinoLevel(level), base: { role: 'coordinator', pid: process.pid } }, destination).child({
    jobId: slot.wireJobId,
    step: slot.step.name,
  });
}
