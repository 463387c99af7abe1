/** A hand-built CompiledParallelStep for coordinator tests (no YAML, no spec compiler needed). */
import { join } from 'node:path';

import type { CompiledParallelStep, PredefinedArguments } from '../../../../src/jobspec/model.js';

export interface StepFixtureOptions {
  readonly runDir: string;
  readonly inputPath?: string;
  readonly codeDir?: string;
  readonly filesPerMiniBatch?: number;
  readonly instanceCount?: number;
  readonly maxRetries?: number;
  readonly miniBatchErrorThreshold?: number;
  readonly appendRowFile?: string | null;
  readonly predefined?: Partial<PredefinedArguments>;
  readonly inputType?: 'uri_folder' | 'uri_file' | 'mltable';
}

export function makeStep(options: StepFixtureOptions): CompiledParallelStep {
  const appendRowFile =
    options.appendRowFile === null
      ? undefined
      : (options.appendRowFile ?? join(options.runDir, 'outputs', 'out', 'parallel_run_step.txt'));
  return {
    kind: 'parallel',
    name: 'score',
    dependsOn: [],
    isDeterministic: true,
    displayName: undefined,
    runDir: options.runDir,
    compute: 'local',
    inputs: [
      {
        kind: 'data',
        name: 'data',
        type: options.inputType ?? 'uri_folder',
        path: options.inputPath ?? '/nonexistent',
        mode: 'ro_mount',
      },
    ],
    outputs: [{ name: 'out', type: 'uri_folder', path: join(options.runDir, 'outputs', 'out'), explicitPath: false }],
    inputData: 'data',
    miniBatchSize: {
      value: options.filesPerMiniBatch ?? 2,
      unit: 'plain',
      text: String(options.filesPerMiniBatch ?? 2),
    },
    partitionKeys: undefined,
    instanceCount: options.instanceCount ?? 1,
    maxConcurrencyPerInstance: 1,
    maxRetries: options.maxRetries ?? 2,
    runTimeoutMs: 60_000,
    miniBatchErrorThreshold: options.miniBatchErrorThreshold ?? -1,
    loggingLevel: 'INFO',
    environmentVariables: {},
    task: {
      type: 'run_function',
      code: options.codeDir ?? '/code',
      entryScript: 'score.js',
      programArgumentsTemplate: '',
      programArguments: [],
      appendRowTo: appendRowFile === undefined ? undefined : 'out',
      appendRowFile,
    },
    argv: ['--mini_batch_size', '2'],
    predefined: {
      errorThreshold: -1,
      allowedFailedPercent: 100,
      taskOverheadTimeoutMs: 30_000,
      progressUpdateTimeoutMs: 30_000,
      firstTaskCreationTimeoutMs: 60_000,
      resourceMonitorIntervalMs: 0,
      copyLogsToParent: false,
      pushMetricsToParent: false,
      metricsNamePrefix: '',
      ...options.predefined,
    },
  };
}
