/** Where each parallel setting came from: the step's YAML, a program argument, the pipeline, a component, the default. */
import { describe, expect, it } from 'vitest';

import type { CompiledParallelStep } from '../../../src/jobspec/model.js';
import { parallelSettings } from '../../../src/web/step-settings.js';

const step = {
  name: 'score',
  compute: 'gpu',
  miniBatchSize: { value: 5, unit: 'plain', text: '5' },
  partitionKeys: undefined,
  instanceCount: 2,
  maxConcurrencyPerInstance: undefined,
  maxRetries: 3,
  runTimeoutMs: 60_000,
  miniBatchErrorThreshold: -1,
  loggingLevel: 'INFO',
  task: { programArguments: ['--allowed_failed_percent', '10'] },
  predefined: {
    errorThreshold: -1,
    allowedFailedPercent: 10,
    taskOverheadTimeoutMs: 30_000,
    progressUpdateTimeoutMs: 270_000,
    firstTaskCreationTimeoutMs: 600_000,
    resourceMonitorIntervalMs: 600_000,
  },
} as unknown as CompiledParallelStep;

const sources = (spec: unknown) =>
  Object.fromEntries(parallelSettings(step, spec).map((setting) => [setting.name, setting.source]));

describe('parallelSettings', () => {
  it('tells YAML keys, program arguments, the pipeline default compute and defaults apart in a pipeline step', () => {
    const spec = {
      settings: { default_compute: 'azureml:gpu' },
      jobs: { score: { mini_batch_size: '5', retry_settings: { max_retries: 3 }, resources: { instance_count: 2 } } },
    };
    expect(sources(spec)).toMatchObject({
      mini_batch_size: 'YAML',
      'retry_settings.max_retries': 'YAML',
      'retry_settings.timeout': 'default',
      'resources.instance_count': 'YAML',
      allowed_failed_percent: 'program argument',
      error_threshold: 'default',
      compute: 'pipeline settings',
    });
  });

  it('reads a standalone job from the top of the file, and says "component" for a step that uses a component file', () => {
    expect(sources({ type: 'parallel', mini_batch_size: '5', compute: 'gpu' })).toMatchObject({
      mini_batch_size: 'YAML',
      compute: 'YAML',
      'retry_settings.max_retries': 'default',
    });
    expect(sources({ jobs: { score: { component: './score.yml' } } })).toMatchObject({
      mini_batch_size: 'component',
      allowed_failed_percent: 'program argument',
    });
  });
});
