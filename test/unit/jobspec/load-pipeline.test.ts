import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { compileJobSpec, stepRunDir } from '../../../src/jobspec/load.js';
import { YamlSource } from '../../../src/jobspec/yaml-source.js';
import { createSpecFixture, lineOf, parallelStep, type SpecFixture } from './spec-fixture.js';

/** Modelled on Azure's iris batch-prediction pipeline (cli/jobs/pipelines/iris-batch-prediction-using-parallel). */
const PIPELINE = `$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
name: iris-pipeline
display_name: iris-batch-prediction-using-parallel
experiment_name: iris
description: The hello world pipeline job with inline parallel job
tags:
  tag: tagvalue
settings:
  default_compute: azureml:cpu-cluster
  default_datastore: azureml:workspaceblobstore
inputs:
  iris_data:
    type: uri_folder
    path: ./data
    mode: download
  threshold: 0.5
  extra_dir:
    type: uri_folder
    optional: true
outputs:
  scores:
    type: uri_file
    path: ./out/aggregated_returns.csv
jobs:
  batch_prediction:
    type: parallel
    display_name: predict
    inputs:
      input_data: \${{parent.inputs.iris_data}}
      score_threshold: \${{ parent.inputs.threshold }}
      label_column: species
      maybe: \${{parent.inputs.extra_dir}}
    outputs:
      job_output_file: \${{parent.outputs.scores}}
      debug:
        type: uri_folder
    input_data: \${{inputs.input_data}}
    mini_batch_size: "10kb"
    partition_keys: '["species", "region"]'
    resources:
      instance_count: 2
      instance_type: Standard_D2
    max_concurrency_per_instance: 3
    mini_batch_error_threshold: 5
    logging_level: debug
    retry_settings:
      max_retries: 4
      timeout: 30
    environment_variables:
      AZUREML_PARALLEL_EXAMPLE: 1a
      FLAG: true
      COUNT: 3
    identity:
      type: user_identity
    task:
      type: run_function
      code: ./script
      entry_script: score.py
      environment:
        image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04
      program_arguments: >-
        --label \${{inputs.label_column}}
        --threshold \${{inputs.score_threshold}}
        --data "\${{inputs.input_data}}"
        --debug_dir=\${{outputs.debug}}
        $[[--extra \${{inputs.maybe}}]]
        --allowed_failed_percent 30
        --task_overhead_timeout=120
        --first_task_creation_timeout 900
        --copy_logs_to_parent True
        --resource_monitor_interval 20
        --metrics_name_prefix iris
        --error_threshold 5.5
      append_row_to: \${{outputs.job_output_file}}
`;

describe('compileJobSpec: a pipeline like Azure examples', () => {
  let fixture: SpecFixture;
  beforeAll(() => {
    fixture = createSpecFixture();
  });
  afterAll(() => fixture.remove());

  it('compiles every key into the model', () => {
    const job = fixture.compile(PIPELINE);
    const dir = fixture.dir;
    const aggregated = join(dir, 'out', 'aggregated_returns.csv');
    expect(job).toMatchObject({
      sourcePath: fixture.file,
      name: 'iris-pipeline',
      displayName: 'iris-batch-prediction-using-parallel',
      experimentName: 'iris',
      pipelineOutputs: [{ name: 'scores', step: 'batch_prediction', output: 'job_output_file' }],
    });
    expect(job.steps).toHaveLength(1);
    const [step] = job.steps;
    const userWords = [
      '--label',
      'species',
      '--threshold',
      '0.5',
      '--data',
      join(dir, 'data'),
      `--debug_dir=${join(fixture.runDir, 'outputs', 'debug')}`,
      '--allowed_failed_percent',
      '30',
      '--task_overhead_timeout=120',
      '--first_task_creation_timeout',
      '900',
      '--copy_logs_to_parent',
      'True',
      '--resource_monitor_interval',
      '20',
      '--metrics_name_prefix',
      'iris',
      '--error_threshold',
      '5.5',
    ];
    expect(step).toEqual({
      kind: 'parallel',
      name: 'batch_prediction',
      dependsOn: [],
      isDeterministic: true,
      displayName: 'predict',
      runDir: fixture.runDir,
      compute: 'cpu-cluster',
      inputs: [
        { kind: 'data', name: 'input_data', type: 'uri_folder', path: join(dir, 'data'), mode: 'download' },
        { kind: 'literal', name: 'score_threshold', value: '0.5' },
        { kind: 'literal', name: 'label_column', value: 'species' },
      ],
      outputs: [
        { name: 'job_output_file', type: 'uri_file', path: aggregated, explicitPath: true },
        { name: 'debug', type: 'uri_folder', path: join(fixture.runDir, 'outputs', 'debug'), explicitPath: false },
      ],
      inputData: 'input_data',
      miniBatchSize: { value: 10 * 1024, unit: 'bytes', text: '10kb' },
      partitionKeys: ['species', 'region'],
      instanceCount: 2,
      maxConcurrencyPerInstance: 3,
      maxRetries: 4,
      runTimeoutMs: 30_000,
      miniBatchErrorThreshold: 5,
      loggingLevel: 'DEBUG',
      environmentVariables: { AZUREML_PARALLEL_EXAMPLE: '1a', FLAG: 'true', COUNT: '3' },
      task: {
        type: 'run_function',
        code: join(dir, 'script'),
        entryScript: 'score.py',
        programArgumentsTemplate: expect.stringContaining('$[[--extra ${{inputs.maybe}}]]'),
        programArguments: userWords,
        appendRowTo: 'job_output_file',
        appendRowFile: aggregated,
      },
      argv: [
        '--output_action',
        'append_row',
        '--logging_level',
        'DEBUG',
        '--mini_batch_size',
        '10kb',
        '--error_threshold',
        '6',
        '--run_invocation_timeout',
        '30',
        '--run_max_try',
        '4',
        '--output',
        join(dir, 'out'),
        '--append_row_file_name',
        'aggregated_returns.csv',
        ...userWords,
      ],
      predefined: {
        errorThreshold: 6,
        allowedFailedPercent: 30,
        taskOverheadTimeoutMs: 120_000,
        progressUpdateTimeoutMs: 3 * (30 + 120) * 1000,
        firstTaskCreationTimeoutMs: 900_000,
        resourceMonitorIntervalMs: 20_000,
        copyLogsToParent: true,
        pushMetricsToParent: false,
        metricsNamePrefix: 'iris',
      },
    });
  });

  it('warns once per Azure-only key, located at the key', () => {
    const job = fixture.compile(PIPELINE);
    const expected = [
      ['tags', 'tags:'],
      ['jobs.batch_prediction.identity', 'identity:'],
      ['jobs.batch_prediction.resources.instance_type', 'instance_type:'],
      ['jobs.batch_prediction.task.environment', '      environment:'],
    ] as const;
    for (const [keyPath, marker] of expected) {
      const line = lineOf(PIPELINE, marker);
      expect(job.warnings).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^${escape(fixture.file)}:${line}:\\d+: ${escape(keyPath)} is ignored by parajob \\(Azure-only\\)$`,
          ),
        ),
      );
    }
    expect(job.warnings.filter((warning) => warning.includes('Azure-only'))).toHaveLength(expected.length);
  });

  it('gives each step its own run folder and falls back to the defaults when keys are left out', () => {
    const yaml = `type: pipeline
jobs:
  first:
    type: parallel
    inputs:
      files: {path: ./data}
    outputs:
      rows: {type: uri_file}
    input_data: \${{inputs.files}}
    task:
      code: ./script
      entry_script: score.py
      append_row_to: \${{outputs.rows}}
  second:
    type: parallel
    compute: gpu
    inputs:
      files: {path: ./data}
    input_data: \${{inputs.files}}
    task: {code: ./script, entry_script: score.py}
`;
    const job = fixture.compile(yaml);
    expect(job.steps.map((s) => s.name)).toEqual(['first', 'second']);
    const [first, second] = [parallelStep(job, 0), parallelStep(job, 1)];
    const firstDir = join(fixture.runDir, 'steps', 'first');
    expect(first).toMatchObject({
      runDir: firstDir,
      compute: 'local',
      miniBatchSize: undefined,
      partitionKeys: undefined,
      instanceCount: 1,
      maxConcurrencyPerInstance: undefined,
      maxRetries: 2,
      runTimeoutMs: 60_000,
      miniBatchErrorThreshold: -1,
      loggingLevel: 'INFO',
      environmentVariables: {},
      outputs: [
        {
          name: 'rows',
          type: 'uri_file',
          path: join(firstDir, 'outputs', 'rows', 'parallel_run_step.txt'),
          explicitPath: false,
        },
      ],
      task: {
        appendRowTo: 'rows',
        appendRowFile: join(firstDir, 'outputs', 'rows', 'parallel_run_step.txt'),
        programArguments: [],
      },
      predefined: {
        errorThreshold: -1,
        allowedFailedPercent: 100,
        taskOverheadTimeoutMs: 30_000,
        progressUpdateTimeoutMs: 3 * (60 + 30) * 1000,
        firstTaskCreationTimeoutMs: 600_000,
        resourceMonitorIntervalMs: 600_000,
        copyLogsToParent: false,
        pushMetricsToParent: false,
        metricsNamePrefix: '',
      },
    });
    expect(first?.inputs).toEqual([
      { kind: 'data', name: 'files', type: 'uri_folder', path: join(fixture.dir, 'data'), mode: 'ro_mount' },
    ]);
    expect(second?.compute).toBe('gpu');
    expect(second?.argv).toEqual([
      '--output_action',
      'summary_only',
      '--logging_level',
      'INFO',
      '--error_threshold',
      '-1',
      '--run_invocation_timeout',
      '60',
      '--run_max_try',
      '2',
      '--output',
      join(fixture.runDir, 'steps', 'second', 'outputs'),
    ]);
  });

  it('appends rows to parallel_run_step.txt inside a folder output, and takes a folder for mltable with a warning', () => {
    const yaml = `type: parallel
inputs:
  files: {path: ./data}
outputs:
  rows: {type: mltable, path: ./results}
input_data: \${{inputs.files}}
task:
  code: ./script
  entry_script: score.py
  append_row_to: \${{outputs.rows}}
`;
    const job = fixture.compile(yaml);
    expect(job.steps[0]?.outputs).toEqual([
      { name: 'rows', type: 'uri_folder', path: join(fixture.dir, 'results'), explicitPath: true },
    ]);
    expect(parallelStep(job, 0).task.appendRowFile).toBe(join(fixture.dir, 'results', 'parallel_run_step.txt'));
    expect(job.warnings).toEqual([expect.stringContaining(`:${lineOf(yaml, 'mltable')}:`)]);
    expect(job.warnings[0]).toContain('outputs.rows.type mltable is written as a uri_folder');
  });

  it('lets the error_threshold key win over --error_threshold and says so', () => {
    const yaml = `type: parallel
inputs: {files: {path: ./data}}
input_data: \${{inputs.files}}
error_threshold: 10
task: {code: ./script, entry_script: score.py, program_arguments: --error_threshold 3}
`;
    const job = fixture.compile(yaml);
    expect(parallelStep(job, 0).predefined.errorThreshold).toBe(10);
    expect(parallelStep(job, 0).argv.slice(0, 8)).toContain('10');
    expect(parallelStep(job, 0).task.programArguments).toEqual(['--error_threshold', '3']);
    expect(job.warnings).toEqual([expect.stringContaining('error_threshold (10) overrides --error_threshold 3')]);
  });
});

describe('compileJobSpec: a standalone parallel file', () => {
  let fixture: SpecFixture;
  beforeAll(() => {
    fixture = createSpecFixture();
  });
  afterAll(() => fixture.remove());

  it('is a pipeline of one step named after name (or main), run in the job folder', () => {
    const yaml = `$schema: https://azuremlschemas.azureedge.net/latest/parallelComponent.schema.json
type: parallel
name: file_hash
display_name: Hash files
experiment_name: hashing
compute: azureml:cpu
is_deterministic: true
inputs:
  files:
    type: uri_folder
    path: ./data
outputs:
  hashes:
    type: uri_file
    path: ./hashes.txt
input_data: \${{inputs.files}}
mini_batch_size: 3
task:
  code: script
  entry_script: score.py
  program_arguments: --out \${{outputs.hashes}} --push_metrics_to_parent
  append_row_to: \${{outputs.hashes}}
`;
    const job = fixture.compile(yaml);
    expect(job).toMatchObject({
      name: 'file_hash',
      displayName: 'Hash files',
      experimentName: 'hashing',
      pipelineOutputs: [],
    });
    expect(job.steps).toHaveLength(1);
    expect(job.steps[0]).toMatchObject({
      name: 'file_hash',
      runDir: fixture.runDir,
      compute: 'cpu',
      miniBatchSize: { value: 3, unit: 'plain', text: '3' },
      task: {
        programArguments: ['--out', join(fixture.dir, 'hashes.txt'), '--push_metrics_to_parent'],
        appendRowFile: join(fixture.dir, 'hashes.txt'),
      },
      predefined: { pushMetricsToParent: true },
    });
    // is_deterministic means something now (reuse); nothing here is ignored.
    expect(job.steps[0]?.isDeterministic).toBe(true);
    expect(job.warnings).toEqual([]);

    const unnamed = fixture.compile(yaml.replace('name: file_hash\n', ''));
    expect(unnamed.steps[0]?.name).toBe('main');
    expect(unnamed.name).toBeUndefined();
  });
});

describe('stepRunDir', () => {
  it.each([
    [1, '/runs/j1'],
    [2, '/runs/j1/steps/score'],
  ])('with %i step(s) is %s', (count, expected) => {
    expect(stepRunDir('/runs/j1', 'score', count)).toBe(expected);
  });
});

describe('compileJobSpec on a source that was parsed elsewhere', () => {
  it('resolves paths against the folder of the source file', () => {
    const fixture = createSpecFixture();
    try {
      const yaml = `type: parallel\ninputs: {files: {path: data}}\ninput_data: \${{inputs.files}}\ntask: {code: script, entry_script: score.py}\n`;
      const job = compileJobSpec(YamlSource.parse(join(fixture.dir, 'elsewhere.yml'), yaml), {
        runDir: fixture.runDir,
      });
      expect(job.steps[0]?.inputs[0]).toMatchObject({ path: join(fixture.dir, 'data') });
      expect(job.sourcePath).toBe(join(fixture.dir, 'elsewhere.yml'));
    } finally {
      fixture.remove();
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
