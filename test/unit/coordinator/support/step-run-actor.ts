/** The step-run actor as machine tests create it: one place for the deps every such test fills the same way. */
import { pino } from 'pino';
import { type Actor, createActor } from 'xstate';

import type { NodeDirectory } from '../../../../src/coordinator/cluster/node-directory.js';
import type { StepRunJournal } from '../../../../src/coordinator/journal/step-run-journal.js';
import { createTokenCounter } from '../../../../src/coordinator/ledger/decisions.js';
import { DEFAULT_STEP_RUN_SETTINGS, type StepRunSettings } from '../../../../src/coordinator/step-run/settings.js';
import type { StepRunMachine } from '../../../../src/coordinator/step-run/step-run.machine.js';
import type { CompiledParallelStep } from '../../../../src/jobspec/model.js';

export interface StepRunActorOptions {
  readonly step: CompiledParallelStep;
  readonly nodes: NodeDirectory;
  /** Overrides of DEFAULT_STEP_RUN_SETTINGS (times in ms). */
  readonly settings?: Partial<StepRunSettings>;
  /** The chaos plan sent in assignments; omitted: none. */
  readonly chaos?: string;
  /** The step run's journal; omitted: none. */
  readonly journal?: StepRunJournal;
}

/**
 * An actor of `machine` (stepRunMachine with the test's actors provided) for job 'job-1' named 'job',
 * with a fresh token counter, a silent logger and code hash 'hash'. Its error is swallowed (tests read
 * the output or snapshot instead). Not started: the caller attaches listeners, then starts it.
 */
export function createStepRunActor(machine: StepRunMachine, options: StepRunActorOptions): Actor<StepRunMachine> {
  const actor = createActor(machine, {
    input: {
      jobId: 'job-1',
      jobName: 'job',
      step: options.step,
      deps: {
        nodes: options.nodes,
        tokens: createTokenCounter(),
        logger: pino({ level: 'silent' }),
        codeHash: 'hash',
        ...(options.chaos === undefined ? {} : { chaos: options.chaos }),
        ...(options.journal === undefined ? {} : { journal: options.journal }),
        settings: { ...DEFAULT_STEP_RUN_SETTINGS, ...options.settings },
      },
    },
  });
  actor.subscribe({ error: () => undefined });
  return actor;
}
