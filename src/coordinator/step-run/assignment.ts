/** The JobAssignment a node gets when a step run takes it (proto `JobAssignment`, sent after `Welcome`). */
import { dirname } from 'node:path';

import type { JobAssignment, StagedOutput } from '../../gen/parajob/v1/parajob.js';
import type { CompiledParallelStep } from '../../jobspec/model.js';
import { runDirLayout } from '../../log/layout.js';
import { stageRootOf } from '../../storage/staging-layout.js';
import type { NodeInfo } from '../cluster/node-directory.js';
import type { StepRunSettings } from './settings.js';

/** What an assignment is built from. */
export interface AssignmentSource {
  /** Wire job id of the step run. */
  readonly jobId: string;
  readonly jobName: string;
  readonly step: CompiledParallelStep;
  /** Hash of the code snapshot of `step.task.code`. */
  readonly codeHash: string;
  readonly settings: StepRunSettings;
  /** The job's chaos plan for run() calls (src/chaos/model.ts text form); '' or undefined for none. */
  readonly chaos?: string;
  /** 'tabular' for a table input (leases carry byte ranges); default 'files'. */
  readonly inputKind?: 'files' | 'tabular';
  /** For tabular input: `{"reader": TabularReader, "transforms": TableTransform[]}` (src/node/tabular/table-batches.ts). */
  readonly tabularReaderJson?: string;
}

/** The folder run()'s outputs go to: the append_row file's folder, else the step's first output folder. */
export function stepOutputDir(step: CompiledParallelStep): string {
  if (step.task.appendRowFile !== undefined) return dirname(step.task.appendRowFile);
  const folder = step.outputs.find((output) => output.type === 'uri_folder');
  return folder?.path ?? runDirLayout(step.runDir).outputs;
}

/**
 * The outputs a step's scripts write themselves, staged per attempt (src/storage/staging-layout.ts):
 * every output but the append_row one, whose rows travel in results.
 */
export function stagedOutputsOf(step: CompiledParallelStep): StagedOutput[] {
  return step.outputs
    .filter((output) => output.name !== step.task.appendRowTo)
    .map((output) => ({
      name: output.name,
      path: output.path,
      isFile: output.type === 'uri_file',
      stageRoot: stageRootOf(output.path),
    }));
}

/** The assignment for `node`: processors = max_concurrency_per_instance, or 0 (= the node's cores). */
export function buildAssignment(source: AssignmentSource, node: NodeInfo): JobAssignment {
  const { step, settings } = source;
  const processors = step.maxConcurrencyPerInstance ?? Math.max(1, node.cores);
  return {
    jobId: source.jobId,
    stepName: step.name,
    codeHash: source.codeHash,
    entryScript: step.task.entryScript,
    argv: [...step.argv],
    environmentVariables: { ...step.environmentVariables },
    maxConcurrency: step.maxConcurrencyPerInstance ?? 0,
    runTimeoutMs: step.runTimeoutMs,
    outputDir: stepOutputDir(step),
    logDir: runDirLayout(step.runDir).logs,
    loggingLevel: step.loggingLevel,
    appendRow: step.task.appendRowFile !== undefined,
    prefetch: settings.prefetch,
    inputKind: source.inputKind ?? 'files',
    tabularReaderJson: source.tabularReaderJson ?? '',
    chaosJson: source.chaos ?? '',
    taskOverheadTimeoutMs: step.predefined.taskOverheadTimeoutMs,
    resourceMonitorIntervalMs: step.predefined.resourceMonitorIntervalMs,
    initBackoffMs: settings.initBackoffMs,
    maxInitFailures: settings.maxInitFailuresPerProcessor * processors,
    restartIntensity: settings.restartIntensity,
    restartPeriodMs: settings.restartPeriodMs,
    jobName: source.jobName,
    stagedOutputs: stagedOutputsOf(step),
  };
}
