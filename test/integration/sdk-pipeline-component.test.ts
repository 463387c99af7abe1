/**
 * A pipeline built in code used as a step of another (Azure's pipeline-component steps): a
 * `pipelineComponent(...)` called twice inside a `pipeline(...)` compiles to the same model as the
 * YAML pipeline whose steps say `type: pipeline` and `component: ./count_and_total.yml`, writes YAML
 * that loads back to that model, and runs through runLocal: its inner steps run as `<step>/<inner>`,
 * a sibling reads one of its outputs and the pipeline's output is another.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import type { CompiledJob } from '../../src/jobspec/model.js';
import {
  command,
  Input,
  JobState,
  loadJob,
  Output,
  parallelRunFunction,
  pipeline,
  pipelineComponent,
  type PipelineInput,
  runLocal,
  StepState,
} from '../../src/sdk/index.js';
import { makeInputFiles, makeTempDir, writeText } from '../helpers/input-files.js';

const FILES = 5;
/** Each input file holds one line of 3 words ("content of file-0000N.txt"). */
const WORDS_PER_FILE = 3;

/** run(): one row per file, "<name> <words>". */
const COUNT_SCRIPT = `import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

export function run(files) {
  return files.map((file) => basename(file) + ' ' + readFileSync(file, 'utf8').split(/\\s+/).filter(Boolean).length);
}
`;

const TOTAL_COMMAND = `awk '{ n += $2 } END { print "\${{inputs.label}}", n }' \${{inputs.counts}} > \${{outputs.total}}/total.txt`;
const REPORT_COMMAND = 'wc -l < ${{inputs.counts}} > ${{outputs.lines}}/lines.txt';

/** The pipeline component, as a file. */
const COMPONENT_YAML = `type: pipeline
name: count_and_total
inputs:
  docs: {type: uri_folder}
  label: {type: string, default: words}
outputs:
  counts: {type: uri_file}
  total: {type: uri_folder}
jobs:
  count:
    type: parallel
    inputs:
      docs: \${{parent.inputs.docs}}
    outputs:
      counts:
        type: uri_file
        path: \${{parent.outputs.counts}}
    input_data: \${{inputs.docs}}
    mini_batch_size: "2"
    task:
      type: run_function
      code: ./src
      entry_script: count.mjs
      append_row_to: \${{outputs.counts}}
  total:
    type: command
    command: ${JSON.stringify(TOTAL_COMMAND)}
    inputs:
      counts:
        type: uri_file
        path: \${{parent.jobs.count.outputs.counts}}
      label: \${{parent.inputs.label}}
    outputs:
      total: \${{parent.outputs.total}}
`;

/** The pipeline that uses it twice, as a file. */
const PIPELINE_YAML = `type: pipeline
name: nested_counts
settings:
  default_compute: azureml:cpu-cluster
inputs:
  documents: {type: uri_folder, path: ./data}
outputs:
  final_total: {type: uri_folder}
jobs:
  first:
    type: pipeline
    component: ./count_and_total.yml
    inputs:
      docs: \${{parent.inputs.documents}}
  report:
    command: ${JSON.stringify(REPORT_COMMAND)}
    inputs:
      counts:
        type: uri_file
        path: \${{parent.jobs.first.outputs.counts}}
    outputs:
      lines: {type: uri_folder}
  again:
    type: pipeline
    component: ./count_and_total.yml
    inputs:
      docs: \${{parent.inputs.documents}}
      label: total
    outputs:
      total: \${{parent.outputs.final_total}}
`;

const count = parallelRunFunction({
  name: 'count',
  inputs: { docs: Input({ type: 'uri_folder' }) },
  outputs: { counts: Output({ type: 'uri_file' }) },
  inputData: '${{inputs.docs}}',
  miniBatchSize: 2,
  task: { code: './src', entryScript: 'count.mjs', appendRowTo: '${{outputs.counts}}' },
});
const total = command({
  name: 'total',
  command: TOTAL_COMMAND,
  inputs: { counts: Input({ type: 'uri_file' }), label: Input({ type: 'string' }) },
  outputs: { total: Output() },
});
const report = command({
  name: 'report',
  command: REPORT_COMMAND,
  inputs: { counts: Input({ type: 'uri_file' }) },
  outputs: { lines: Output() },
});

/** The component built in code: no annotations needed, its function's inputs come from `inputs`. */
const countAndTotal = pipelineComponent(
  {
    name: 'count_and_total',
    inputs: { docs: Input({ type: 'uri_folder' }), label: Input({ type: 'string', default: 'words' }) },
  },
  ({ docs, label }) => {
    const counts = count({ docs }).outputs.counts;
    return { counts, total: total({ counts, label }).outputs.total };
  },
);

function nestedCounts(baseDir: string) {
  return pipeline(
    { name: 'nested_counts', defaultCompute: 'azureml:cpu-cluster', baseDir },
    ({ documents }: { documents: PipelineInput<'uri_folder'> }) => {
      const first = countAndTotal({ docs: documents }, { name: 'first' });
      report({ counts: first.outputs.counts });
      return { final_total: countAndTotal({ docs: documents, label: 'total' }, { name: 'again' }).outputs.total };
    },
  )({ documents: Input({ type: 'uri_folder', path: './data' }) });
}

/** The model without where its YAML came from and its warnings. */
function comparable(job: CompiledJob): unknown {
  const { sourcePath: _sourcePath, warnings: _warnings, ...rest } = job;
  return rest;
}

describe('a pipeline component built in code', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeTempDir('parajob-sdk-pipeline-component-');
    await makeInputFiles(join(dir, 'data'), FILES);
    await writeText(dir, 'src/count.mjs', COUNT_SCRIPT);
    await writeText(dir, 'count_and_total.yml', COMPONENT_YAML);
    await writeText(dir, 'pipeline.yml', PIPELINE_YAML);
  });

  it('compiles to the same model as the YAML pipeline with `type: pipeline` steps, and round-trips', async () => {
    const runDir = join(dir, 'runs', 'model');
    const built = nestedCounts(dir).compile({ runDir });
    const fromYaml = (await loadJob(join(dir, 'pipeline.yml'))).compile({ runDir });
    expect(comparable(built)).toEqual(comparable(fromYaml));
    expect(built.steps.map((step) => [step.name, step.dependsOn])).toEqual([
      ['first/count', []],
      ['first/total', ['first/count']],
      ['report', ['first/count']],
      ['again/count', []],
      ['again/total', ['again/count']],
    ]);

    const yaml = nestedCounts(dir).toYaml();
    // The component is written out at each step that uses it (no YAML anchors and aliases).
    expect(yaml.match(/^ {4}component:\n {6}type: pipeline$/gm)).toHaveLength(2);
    await writeFile(join(dir, 'built.yml'), yaml);
    expect(comparable((await loadJob(join(dir, 'built.yml'))).compile({ runDir }))).toEqual(comparable(built));
  });

  it('refuses a pipeline() called inside another pipeline, naming pipelineComponent', () => {
    const inner = pipeline({ name: 'inner', validate: false }, () => undefined);
    const outer = pipeline({ name: 'outer', validate: false }, () => void inner({}));
    expect(() => outer({})).toThrow(
      /pipeline inner was called inside another pipeline's function.*pipelineComponent\(\)/,
    );
  });

  it('runs through runLocal: the inner steps, the sibling that reads its output, the pipeline output', async () => {
    const run = await runLocal(nestedCounts(dir), { dataDir: join(dir, '.parajob'), logLevel: 'warn' });
    expect(run.status.state).toBe(JobState.JOB_STATE_SUCCEEDED);
    const states = Object.fromEntries(run.status.steps.map((step) => [step.name, step.stepState]));
    expect(Object.keys(states).sort()).toEqual(['again/count', 'again/total', 'first/count', 'first/total', 'report']);
    for (const state of Object.values(states))
      expect([StepState.STEP_STATE_SUCCEEDED, StepState.STEP_STATE_REUSED]).toContain(state);

    const reportDir = run.status.steps.find((step) => step.name === 'report')?.outputs[0]?.path ?? '';
    expect((await readFile(join(reportDir, 'lines.txt'), 'utf8')).trim()).toBe(String(FILES));
    const finalTotal = run.outputs.final_total ?? '';
    expect((await readFile(join(finalTotal, 'total.txt'), 'utf8')).trim()).toBe(`total ${FILES * WORDS_PER_FILE}`);
  }, 120_000);
});
