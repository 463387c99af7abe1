import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { wordCount } from '../../../examples/sdk/word-count.js';
import type { CompiledJob } from '../../../src/jobspec/model.js';
import {
  command,
  Input,
  loadComponent,
  loadJob,
  Output,
  parallelRunFunction,
  pipeline,
  type PipelineInput,
  ValidationError,
} from '../../../src/sdk/index.js';
import { createTreeFixture, type TreeFixture } from '../jobspec/tree-fixture.js';

const EXAMPLE_DIR = resolve('examples/file-hash');
const RUN_DIR = join(tmpdir(), 'parajob-sdk-test', 'run-1');

/** The model without where its YAML came from (a file, or a name in the base folder) and warnings. */
function comparable(job: CompiledJob): unknown {
  const { sourcePath: _sourcePath, warnings: _warnings, ...rest } = job;
  return rest;
}

const hashFiles = parallelRunFunction({
  name: 'hash_files',
  displayName: 'Hash every file',
  inputs: { documents: Input({ type: 'uri_folder' }), algorithm: Input({ type: 'string' }) },
  outputs: { result: Output({ type: 'uri_file' }) },
  inputData: '${{inputs.documents}}',
  miniBatchSize: 10,
  instanceCount: 2,
  maxConcurrencyPerInstance: 2,
  miniBatchErrorThreshold: 0,
  retrySettings: { maxRetries: 2, timeout: 30 },
  loggingLevel: 'INFO',
  environmentVariables: { HASH_EXAMPLE: 'file-hash' },
  task: {
    code: './src',
    entryScript: 'hash.mjs',
    programArguments: '--algorithm ${{inputs.algorithm}} --error_threshold 0',
    appendRowTo: '${{outputs.result}}',
  },
});

function fileHash(baseDir: string) {
  return pipeline(
    {
      displayName: 'file-hash',
      experimentName: 'parajob-examples',
      defaultCompute: 'azureml:cpu-cluster',
      baseDir,
    },
    ({ documents, algorithm }: { documents: PipelineInput<'uri_folder'>; algorithm: PipelineInput<'string'> }) => {
      hashFiles({ documents, algorithm });
    },
  );
}

describe('SDK builders: one model with the YAML path', () => {
  it('build examples/file-hash to the same model as its job.yml', async () => {
    const job = fileHash(EXAMPLE_DIR)({
      documents: Input({ type: 'uri_folder', path: './data', mode: 'ro_mount' }),
      algorithm: 'sha256',
    });
    const fromYaml = await loadJob(join(EXAMPLE_DIR, 'job.yml'));
    expect(comparable(job.compile({ runDir: RUN_DIR }))).toEqual(comparable(fromYaml.compile({ runDir: RUN_DIR })));
  });

  it('write YAML that loads back to the same model, from code and from a loaded file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parajob-sdk-'));
    cpSync(EXAMPLE_DIR, dir, { recursive: true });
    const built = fileHash(dir)({ documents: Input({ type: 'uri_folder', path: './data' }), algorithm: 'md5' });
    writeFileSync(join(dir, 'built.yml'), built.toYaml());
    const reloaded = await loadJob(join(dir, 'built.yml'));
    expect(comparable(reloaded.compile({ runDir: RUN_DIR }))).toEqual(comparable(built.compile({ runDir: RUN_DIR })));

    const loaded = await loadJob(join(dir, 'job.yml'));
    writeFileSync(join(dir, 'again.yml'), loaded.toYaml());
    const again = await loadJob(join(dir, 'again.yml'));
    expect(comparable(again.compile({ runDir: RUN_DIR }))).toEqual(comparable(loaded.compile({ runDir: RUN_DIR })));
  });
});

/** A prepare component file, a parallel step over its MLTable output (the 1g notebook's shape). */
const PREP_COMPONENT = `name: prepare_file_data
type: command
version: "2"
inputs:
  input_data: {type: uri_folder}
  copies: {type: integer, default: 1, min: 1, max: 5}
outputs:
  file_output_data: {type: mltable}
code: ./prep_src
command: node prep.mjs \${{inputs.input_data}} \${{inputs.copies}} \${{outputs.file_output_data}}
`;

const PIPELINE_YAML = `$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
name: parallel_in_pipeline
settings:
  default_compute: azureml:cpu-cluster
  continue_on_step_failure: false
inputs:
  pipeline_job_data_path: {type: uri_folder, path: ./dataset/, mode: ro_mount}
outputs:
  pipeline_job_out_file: {type: uri_file}
jobs:
  prepare:
    type: command
    component: ./components/prep.yml
    inputs:
      input_data: \${{parent.inputs.pipeline_job_data_path}}
      copies: 2
    outputs:
      file_output_data: {type: mltable}
  file_batch_score:
    type: parallel
    display_name: Score files
    compute: azureml:big
    inputs:
      job_data_path:
        type: mltable
        path: \${{parent.jobs.prepare.outputs.file_output_data}}
        mode: eval_mount
    outputs:
      job_output_path:
        type: uri_file
        path: \${{parent.outputs.pipeline_job_out_file}}
    input_data: \${{inputs.job_data_path}}
    mini_batch_size: "1"
    resources: {instance_count: 2}
    mini_batch_error_threshold: 1
    retry_settings: {max_retries: 2, timeout: 60}
    logging_level: DEBUG
    task:
      type: run_function
      code: ./src
      entry_script: score.mjs
      program_arguments: --job_output_path \${{outputs.job_output_path}}
      append_row_to: \${{outputs.job_output_path}}
  report:
    type: command
    command: cat \${{inputs.scores}}
    inputs:
      scores: \${{parent.jobs.file_batch_score.outputs.job_output_path}}
`;

describe('SDK builders: components, bindings and node-level overrides', () => {
  let fixture: TreeFixture;
  beforeAll(() => {
    fixture = createTreeFixture();
    fixture.write({
      'components/prep.yml': PREP_COMPONENT,
      'components/prep_src/prep.mjs': 'console.log(process.argv)\n',
      'src/score.mjs': 'export const run = (b) => b;\n',
      'dataset/a.txt': 'a\n',
      'pipeline.yml': PIPELINE_YAML,
    });
  });
  afterAll(() => fixture.remove());

  const fileScore = parallelRunFunction({
    name: 'file_batch_score',
    inputs: { job_data_path: Input({ type: 'mltable' }) },
    outputs: { job_output_path: Output({ type: 'uri_file' }) },
    inputData: '${{inputs.job_data_path}}',
    miniBatchSize: '1',
    instanceCount: 2,
    miniBatchErrorThreshold: 1,
    retrySettings: { maxRetries: 2, timeout: 60 },
    loggingLevel: 'DEBUG',
    task: {
      code: './src',
      entryScript: 'score.mjs',
      programArguments: '--job_output_path ${{outputs.job_output_path}}',
      appendRowTo: '${{outputs.job_output_path}}',
    },
  });
  const report = command({
    name: 'report',
    command: 'cat ${{inputs.scores}}',
    inputs: { scores: Input({ type: 'uri_file' }) },
  });

  function build(options: { validate?: boolean } = {}) {
    const prepare = loadComponent(join(fixture.dir, 'components', 'prep.yml'));
    return pipeline(
      {
        name: 'parallel_in_pipeline',
        defaultCompute: 'azureml:cpu-cluster',
        continueOnStepFailure: false,
        baseDir: fixture.dir,
        ...options,
      },
      ({ pipeline_job_data_path }: { pipeline_job_data_path: PipelineInput<'uri_folder'> }) => {
        const prep = prepare({ input_data: pipeline_job_data_path, copies: 2 }, { name: 'prepare' });
        prep.output('file_output_data').type = 'mltable';
        const score = fileScore({ job_data_path: prep.output('file_output_data') });
        score.inputs.job_data_path!.mode = 'eval_mount';
        score.compute = 'azureml:big';
        score.displayName = 'Score files';
        report({ scores: score.outputs.job_output_path });
        return { pipeline_job_out_file: score.outputs.job_output_path };
      },
    )({ pipeline_job_data_path: Input({ type: 'uri_folder', path: './dataset/', mode: 'ro_mount' }) });
  }

  it('compile to the same model as the same pipeline written in YAML', () => {
    const job = build();
    job.outputs.pipeline_job_out_file.type = 'uri_file';
    const fromYaml = fixture.compile('pipeline.yml');
    const built = job.compile({ runDir: fixture.runDir });
    expect(comparable(built)).toEqual(comparable(fromYaml));
    expect(built.steps.map((step) => [step.name, step.dependsOn])).toEqual([
      ['prepare', []],
      ['file_batch_score', ['prepare']],
      ['report', ['file_batch_score']],
    ]);
  });

  it('write the component file relative to the base folder, and step references by the current name', () => {
    const job = build();
    job.jobs.report!.name = 'show_report';
    const document = job.toDocument() as { jobs: Record<string, Record<string, unknown>> };
    expect(document.jobs.prepare?.component).toBe('./components/prep.yml');
    expect(Object.keys(document.jobs)).toEqual(['prepare', 'file_batch_score', 'show_report']);
    expect(job.compile({ runDir: fixture.runDir }).steps.map((step) => step.name)).toContain('show_report');
  });

  it('fail when built with the YAML validator messages, naming the pipeline and key path', () => {
    const tooMany = pipeline(
      { name: 'bad', baseDir: fixture.dir },
      ({ data }: { data: PipelineInput<'uri_folder'> }) => {
        const prepare = loadComponent(join(fixture.dir, 'components', 'prep.yml'));
        prepare({ input_data: data, copies: 9 }, { name: 'prepare' });
        fileScore({ job_data_path: data }, { name: 'score' }).compute = 'azureml:big';
      },
    );
    let error: unknown;
    try {
      tooMany({ data: Input({ type: 'uri_folder', path: './missing' }) });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const lines = (error as ValidationError).diagnostics;
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^pipeline bad \(built in code\): inputs\.data\.path: the input_data path does not exist: .*missing/,
      ),
    );
    expect(lines).toContainEqual(
      'pipeline bad (built in code): jobs.prepare.inputs.copies: input "copies" (integer): 9 is above the maximum 5',
    );
  });

  it('refuse a component called outside a pipeline, and a step name used twice', () => {
    expect(() => report({ scores: Input({ type: 'uri_file', path: './x' }) })).toThrow(
      /component report was called outside a pipeline\(\) function/,
    );
    const twice = pipeline({ baseDir: fixture.dir, validate: false }, () => {
      const scores = Input({ type: 'uri_file', path: './x' });
      report({ scores }, { name: 'r' });
      report({ scores }, { name: 'r' });
    });
    expect(() => twice({})).toThrow(/step name "r" is used twice/);
  });
});

describe('SDK builders: examples/word-count-pipeline', () => {
  const EXAMPLE = resolve('examples/word-count-pipeline');

  it('builds to the same model as its pipeline.yml (component file, command and parallel steps)', async () => {
    const split = loadComponent(join(EXAMPLE, 'components', 'split.yml'));
    const count = parallelRunFunction({
      name: 'count',
      inputs: { lines: Input({ type: 'uri_folder' }) },
      outputs: { counts: Output({ type: 'uri_file' }) },
      inputData: '${{inputs.lines}}',
      miniBatchSize: 2,
      instanceCount: 2,
      task: { code: './count_src', entryScript: 'count.mjs', appendRowTo: '${{outputs.counts}}' },
    });
    const total = command({
      name: 'total',
      command: `cat \${{inputs.counts}} && awk '{ total += $2 } END { print "words:", total }' \${{inputs.counts}}`,
      inputs: { counts: Input({ type: 'uri_file' }) },
    });
    const wordCount = pipeline(
      {
        displayName: 'word-count',
        experimentName: 'parajob-examples',
        defaultCompute: 'azureml:cpu-cluster',
        continueOnStepFailure: false,
        baseDir: EXAMPLE,
      },
      ({ text, min_words }: { text: PipelineInput<'uri_file'>; min_words: PipelineInput<'integer'> }) => {
        const lines = split({ text, min_words }, { name: 'split' }).output('lines');
        const counted = count({ lines });
        total({ counts: counted.outputs.counts });
        return { counts: counted.outputs.counts };
      },
    );
    const job = wordCount({ text: Input({ type: 'uri_file', path: './data/poems.txt' }), min_words: 1 });
    const fromYaml = await loadJob(join(EXAMPLE, 'pipeline.yml'));
    expect(comparable(job.compile({ runDir: RUN_DIR }))).toEqual(comparable(fromYaml.compile({ runDir: RUN_DIR })));
  });
});

describe('SDK builders: examples/pipeline, examples/python-scoring and examples/sdk', () => {
  it('build examples/pipeline to the same model as its pipeline.yml (command, parallel over an MLTable, command)', async () => {
    const EXAMPLE = resolve('examples/pipeline');
    const prepare = command({
      name: 'prepare',
      code: './src',
      command: 'sh prepare.sh ${{inputs.count}} ${{outputs.documents}}',
      inputs: { count: Input({ type: 'integer' }) },
      outputs: { documents: Output({ type: 'mltable' }) },
    });
    const score = parallelRunFunction({
      name: 'score',
      inputs: { documents: Input({ type: 'mltable', mode: 'eval_mount' }) },
      outputs: { scores: Output({ type: 'uri_file' }) },
      inputData: '${{inputs.documents}}',
      miniBatchSize: '4',
      instanceCount: 1,
      maxConcurrencyPerInstance: 2,
      task: { code: './src', entryScript: 'score.mjs', appendRowTo: '${{outputs.scores}}' },
    });
    const report = command({
      name: 'report',
      command: 'echo "scored $(wc -l < ${{inputs.scores}}) documents"; sort ${{inputs.scores}}',
      inputs: { scores: Input({ type: 'uri_file' }) },
    });
    const job = pipeline(
      {
        displayName: 'prepare-score-report',
        experimentName: 'parajob-examples',
        defaultCompute: 'azureml:cpu-cluster',
        continueOnStepFailure: false,
        baseDir: EXAMPLE,
      },
      ({ documents }: { documents: PipelineInput<'integer'> }) => {
        const prepared = prepare({ count: documents });
        report({ scores: score({ documents: prepared.outputs.documents }).outputs.scores });
      },
    )({ documents: 12 });
    const fromYaml = await loadJob(join(EXAMPLE, 'pipeline.yml'));
    expect(comparable(job.compile({ runDir: RUN_DIR }))).toEqual(comparable(fromYaml.compile({ runDir: RUN_DIR })));
  });

  it('build examples/python-scoring (a standalone parallel job) to the same model as a one-step pipeline', async () => {
    const EXAMPLE = resolve('examples/python-scoring');
    const wordCount = parallelRunFunction({
      name: 'word-count',
      displayName: 'Count words with a Python entry script',
      inputs: { documents: Input({ type: 'uri_folder' }), min_length: 3 },
      outputs: { counts: Output({ type: 'uri_file' }) },
      inputData: '${{inputs.documents}}',
      miniBatchSize: '20',
      instanceCount: 1,
      maxConcurrencyPerInstance: 2,
      retrySettings: { maxRetries: 1, timeout: 30 },
      miniBatchErrorThreshold: 0,
      loggingLevel: 'INFO',
      task: {
        code: './src',
        entryScript: 'score.py',
        programArguments: '--min_length ${{inputs.min_length}} --allowed_failed_percent 0',
        appendRowTo: '${{outputs.counts}}',
      },
    });
    const job = pipeline(
      { name: 'word-count', displayName: 'Count words with a Python entry script', baseDir: EXAMPLE },
      ({ documents }: { documents: PipelineInput<'uri_folder'> }) => {
        wordCount({ documents });
      },
    )({ documents: Input({ type: 'uri_folder', path: '../file-hash/data' }) });
    const fromYaml = await loadJob(join(EXAMPLE, 'job.yml'));
    expect(comparable(job.compile({ runDir: RUN_DIR }))).toEqual(comparable(fromYaml.compile({ runDir: RUN_DIR })));
  });

  it('write examples/sdk (built in code only) as YAML that loads back to the same model', async () => {
    const job = wordCount({ count: 10 });
    const dir = resolve('examples/sdk');
    const file = join(mkdtempSync(join(tmpdir(), 'parajob-sdk-yaml-')), 'word-count.yml');
    // Written elsewhere, its code folders are named by their absolute path (their only relative paths).
    writeFileSync(file, job.toYaml().replaceAll('code: ./src', `code: ${dir}/src`));
    expect(comparable((await loadJob(file)).compile({ runDir: RUN_DIR }))).toEqual(
      comparable(job.compile({ runDir: RUN_DIR })),
    );
  });
});
