import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { commandStep, parallelStep } from './spec-fixture.js';
import { brief, createTreeFixture, type TreeFixture } from './tree-fixture.js';

/** A command component in the shape of Azure's e2e train component, written for these tests. */
const TRAIN = `$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
name: train
version: 3
type: command
is_deterministic: false
inputs:
  training_data: {type: uri_folder}
  max_epochs: {type: integer, min: 1, max: 100}
  learning_rate: {type: number, default: 0.01}
  schedule: {type: string, default: time-based, enum: [step, time-based]}
  seed: {type: integer, optional: true}
outputs:
  model_output: {type: uri_folder}
code: ./train_src
environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest
environment_variables: {LEVEL: low}
command: >-
  python train.py
  --data \${{inputs.training_data}}
  --epochs \${{inputs.max_epochs}}
  --lr \${{inputs.learning_rate}}
  --schedule \${{inputs.schedule}}
  $[[--seed \${{inputs.seed}}]]
  --model \${{outputs.model_output}}
`;

const FILES = {
  'components/train.yml': TRAIN,
  'components/train_src/train.py': 'print(1)\n',
  'data/': '',
};

function pipeline(trainInputs: string, extra = ''): string {
  return `type: pipeline
inputs:
  epochs: 20
jobs:
  train_job:
    type: command
    component: ./components/train.yml
    compute: azureml:gpu
    environment_variables: {LEVEL: high}
    limits: {timeout: 60}
    inputs:
${trainInputs}
${extra}`;
}

describe('command components', () => {
  let fixture: TreeFixture;
  beforeAll(() => {
    fixture = createTreeFixture();
    fixture.write(FILES);
  });
  afterAll(() => fixture.remove());

  it('resolves the component against the pipeline and its code against the component; step keys override', () => {
    const job = fixture.compile('p.yml', {
      'p.yml': pipeline(`      training_data: {type: uri_folder, path: ./data}
      max_epochs: \${{parent.inputs.epochs}}`),
    });
    const train = commandStep(job, 0);
    const model = join(fixture.runDir, 'outputs', 'model_output');
    expect(train).toMatchObject({
      name: 'train_job',
      code: join(fixture.dir, 'components', 'train_src'),
      compute: 'gpu',
      environmentVariables: { LEVEL: 'high' },
      timeoutMs: 60_000,
      isDeterministic: false,
      command: `python train.py --data ${join(fixture.dir, 'data')} --epochs 20 --lr 0.01 --schedule time-based  --model ${model}`,
    });
    expect(train.inputs.map((input) => input.name)).toEqual([
      'training_data',
      'max_epochs',
      'learning_rate',
      'schedule',
    ]);
  });

  it('uses an optional input inside $[[…]] when it is given', () => {
    const job = fixture.compile('p.yml', {
      'p.yml': pipeline(`      training_data: {path: ./data}
      max_epochs: 5
      seed: 7`),
    });
    expect(commandStep(job, 0).command).toContain('--schedule time-based --seed 7 --model');
  });

  it('checks values against the declarations and reports every problem in one pass', () => {
    const errors = fixture.errors('p.yml', {
      'p.yml': pipeline(`      max_epochs: 500
      schedule: hourly
      learning_rate: fast
      unknown_knob: 1`),
    });
    expect(brief(errors)).toEqual([
      expect.stringMatching(
        /^jobs\.train_job\.inputs\.unknown_knob: not an input of the component: unknown key "unknown_knob"; expected one of: learning_rate, max_epochs, schedule, seed, training_data$/,
      ),
      expect.stringMatching(/^jobs\.train_job\.inputs: required input "training_data" \(uri_folder\) is not set/),
      expect.stringMatching(
        /^jobs\.train_job\.inputs\.max_epochs: input "max_epochs" \(integer\): 500 is above the maximum 100$/,
      ),
      expect.stringMatching(
        /^jobs\.train_job\.inputs\.learning_rate: input "learning_rate" \(number\): expected a number, got "fast"$/,
      ),
      expect.stringMatching(
        /^jobs\.train_job\.inputs\.schedule: input "schedule" \(string\): "hourly" is not one of "step", "time-based"$/,
      ),
    ]);
  });

  it('refuses $[[…]] around a required input, located in the component file', () => {
    fixture.write({
      'components/strict.yml': TRAIN.replace('$[[--seed ${{inputs.seed}}]]', '$[[--epochs2 ${{inputs.max_epochs}}]]'),
    });
    const errors = fixture.errors('p.yml', {
      'p.yml': pipeline(`      training_data: {path: ./data}
      max_epochs: 5`).replace('./components/train.yml', './components/strict.yml'),
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]?.location.file).toBe(join(fixture.dir, 'components', 'strict.yml'));
    expect(errors[0]?.detail).toMatch(/input "max_epochs" is required, so it cannot be inside \$\[\[ … \]\]/);
  });

  it('names a component file that does not exist', () => {
    const errors = fixture.errors('p.yml', {
      'p.yml': pipeline('      max_epochs: 5').replace('./components/train.yml', './components/nope.yml'),
    });
    expect(brief(errors)).toEqual([
      expect.stringMatching(/^jobs\.train_job\.component: cannot read the component file .*nope\.yml/),
    ]);
  });
});

describe('registered components and data assets', () => {
  let fixture: TreeFixture;
  beforeAll(() => {
    fixture = createTreeFixture();
    fixture.write(FILES);
  });
  afterAll(() => fixture.remove());

  it('resolves azureml:NAME:VERSION, NAME@latest and NAME, and a data asset path', async () => {
    const { registerComponent, registerData } = await import('../../../src/jobspec/assets/register.js');
    await registerComponent(join(fixture.dir, 'components/train.yml'), [], fixture.store);
    await registerComponent(
      join(fixture.dir, 'components/train.yml'),
      ['version=4', 'inputs.max_epochs.max=1000'],
      fixture.store,
    );
    fixture.write({ 'data.yml': 'name: images\ntype: uri_folder\npath: ./data\n' });
    await registerData(join(fixture.dir, 'data.yml'), [], fixture.store);
    for (const [reference, max] of [
      ['azureml:train:3', 'above the maximum 100'],
      ['azureml:train@latest', undefined],
      ['azureml:train', undefined],
    ] as const) {
      const yaml = pipeline(`      training_data: {type: uri_folder, path: azureml:images@latest}
      max_epochs: 500`).replace('./components/train.yml', reference);
      if (max) {
        expect(brief(fixture.errors('p.yml', { 'p.yml': yaml }))).toEqual([expect.stringContaining(max)]);
      } else {
        const train = commandStep(fixture.compile('p.yml', { 'p.yml': yaml }), 0);
        expect(train.code).toBe(join(fixture.dataDir, 'assets', 'components', 'train', '4', 'code-0'));
        expect(train.inputs[0]).toMatchObject({ path: join(fixture.dir, 'data') });
      }
    }
  });

  it('names an unknown component version and an unknown data asset', () => {
    const errors = fixture.errors('p.yml', {
      'p.yml': pipeline(`      training_data: {path: azureml:photos:1}
      max_epochs: 5`).replace('./components/train.yml', 'azureml:train:9'),
    });
    expect(brief(errors)).toEqual([
      expect.stringMatching(
        /^jobs\.train_job\.component: component train:9 has no such version; its versions are: 3, 4$/,
      ),
      // Without its component the step's inputs are still checked on their own.
      expect.stringMatching(/^jobs\.train_job\.inputs\.training_data\.path: data asset "photos" is not registered/),
    ]);
    const dataErrors = fixture.errors('p.yml', {
      'p.yml': pipeline(`      training_data: {path: azureml:photos:1}
      max_epochs: 5`),
    });
    expect(brief(dataErrors)).toEqual([
      expect.stringMatching(
        /^jobs\.train_job\.inputs\.training_data\.path: data asset "photos" is not registered .*\(registered: images\)/,
      ),
    ]);
  });
});

describe('parallel and pipeline components', () => {
  let fixture: TreeFixture;
  beforeAll(() => {
    fixture = createTreeFixture();
    fixture.write({
      ...FILES,
      'components/score/score.py': 'def run(b):\n    return b\n',
      'components/score.yml': `type: parallel
name: score
inputs:
  files: {type: uri_folder}
  rate: {type: number, default: 2}
outputs:
  scores: {type: uri_file}
input_data: \${{inputs.files}}
mini_batch_size: "5"
task:
  type: run_function
  code: ./score
  entry_script: score.py
  program_arguments: --rate \${{inputs.rate}}
  append_row_to: \${{outputs.scores}}
`,
      'components/train_and_score.yml': `type: pipeline
name: train_and_score
inputs:
  data: {type: uri_folder}
  epochs: {type: integer, default: 3}
outputs:
  scores: {type: uri_file}
jobs:
  train:
    type: command
    component: ./train.yml
    inputs:
      training_data: \${{parent.inputs.data}}
      max_epochs: \${{parent.inputs.epochs}}
  score:
    type: parallel
    component: ./score.yml
    mini_batch_size: "1"
    inputs:
      files: \${{parent.jobs.train.outputs.model_output}}
    outputs:
      scores: \${{parent.outputs.scores}}
`,
    });
  });
  afterAll(() => fixture.remove());

  it('merges a parallel component with the step (code relative to the component, step keys win)', () => {
    const job = fixture.compile('p.yml', {
      'p.yml': `type: pipeline
jobs:
  score:
    type: parallel
    component: ./components/score.yml
    inputs:
      files: {path: ./data}
    resources: {instance_count: 2}
`,
    });
    const score = parallelStep(job, 0);
    expect(score).toMatchObject({
      instanceCount: 2,
      miniBatchSize: { text: '5' },
      inputData: 'files',
      task: { code: join(fixture.dir, 'components', 'score'), programArguments: ['--rate', '2'] },
    });
  });

  it('flattens a pipeline component into scoped steps whose outputs its siblings and the pipeline bind', () => {
    const job = fixture.compile('p.yml', {
      'p.yml': `type: pipeline
outputs:
  final: {type: uri_file}
jobs:
  outer:
    type: pipeline
    component: ./components/train_and_score.yml
    inputs:
      data: {type: uri_folder, path: ./data}
  report:
    command: cat \${{inputs.scores}}
    inputs:
      scores:
        type: uri_file
        path: \${{parent.jobs.outer.outputs.scores}}
  again:
    type: pipeline
    component: ./components/train_and_score.yml
    inputs:
      data: {path: ./data}
      epochs: 9
    outputs:
      scores: \${{parent.outputs.final}}
`,
    });
    expect(job.steps.map((step) => [step.name, step.dependsOn])).toEqual([
      ['outer/train', []],
      ['outer/score', ['outer/train']],
      ['report', ['outer/score']],
      ['again/train', []],
      ['again/score', ['again/train']],
    ]);
    const scores = join(fixture.runDir, 'steps', 'outer', 'score', 'outputs', 'scores', 'parallel_run_step.txt');
    expect(commandStep(job, 2).command).toBe(`cat ${scores}`);
    expect(commandStep(job, 3).command).toContain('--epochs 9');
    expect(parallelStep(job, 1).miniBatchSize?.text).toBe('1');
    expect(job.pipelineOutputs).toEqual([{ name: 'final', step: 'again/score', output: 'scores' }]);
  });
});
