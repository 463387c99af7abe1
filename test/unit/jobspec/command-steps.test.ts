import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { commandStep, parallelStep } from './spec-fixture.js';
import { brief, createTreeFixture, type TreeFixture } from './tree-fixture.js';

/** The shape of Azure's hello-pipeline-io and -default-artifacts samples, written for these tests. */
const HELLO_IO = `$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
display_name: greet
settings:
  default_compute: azureml:cpu-cluster
jobs:
  write_greeting:
    command: echo "hi" && echo "there" > \${{outputs.greeting}}/there.txt
    environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest
    outputs:
      greeting:
  read_greeting:
    command: cat \${{inputs.greeting_in}}/there.txt
    environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest
    compute: azureml:small
    inputs:
      greeting_in: \${{parent.jobs.write_greeting.outputs.greeting}}
  keep_artifacts:
    command: echo done > ./outputs/done.txt
    outputs:
      artifacts:
`;

describe('command steps', () => {
  let fixture: TreeFixture;
  beforeAll(() => {
    fixture = createTreeFixture();
  });
  afterAll(() => fixture.remove());

  it('compiles steps with only a command (no type), binds a producer output, and orders producers first', () => {
    const job = fixture.compile('hello.yml', { 'hello.yml': HELLO_IO });
    expect(job.steps.map((step) => [step.name, step.kind, step.dependsOn])).toEqual([
      ['write_greeting', 'command', []],
      ['read_greeting', 'command', ['write_greeting']],
      ['keep_artifacts', 'command', []],
    ]);
    const writer = commandStep(job, 0);
    const folder = join(fixture.runDir, 'steps', 'write_greeting', 'outputs', 'greeting');
    expect(writer.outputs).toEqual([{ name: 'greeting', type: 'uri_folder', path: folder, explicitPath: false }]);
    expect(writer.command).toBe(`echo "hi" && echo "there" > ${folder}/there.txt`);
    expect(writer.compute).toBe('cpu-cluster');
    const reader = commandStep(job, 1);
    expect(reader.compute).toBe('small');
    expect(reader.inputs).toEqual([
      {
        kind: 'data',
        name: 'greeting_in',
        type: 'uri_folder',
        path: folder,
        mode: 'ro_mount',
        from: { step: 'write_greeting', output: 'greeting' },
      },
    ]);
    expect(reader.commandTemplate).toBe('cat ${{inputs.greeting_in}}/there.txt');
    expect(reader.command).toBe(`cat ${folder}/there.txt`);
    expect(commandStep(job, 2).outputs[0]?.name).toBe('artifacts');
    expect(job.settings).toEqual({
      continueOnStepFailure: true,
      forceRerun: false,
      defaultDatastore: 'workspaceblobstore',
    });
  });

  it('warns about environment once per job, however many steps carry one', () => {
    const job = fixture.compile('hello.yml', { 'hello.yml': HELLO_IO });
    expect(job.warnings.filter((warning) => warning.includes('environment'))).toEqual([
      expect.stringMatching(/hello\.yml:9:5: jobs\.write_greeting\.environment is ignored by parajob/),
    ]);
  });

  it('reads settings, limits, environment_variables, literal inputs and $[[…]] around an optional input', () => {
    const job = fixture.compile('settings.yml', {
      'src/train.py': 'print(1)\n',
      'settings.yml': `type: pipeline
inputs:
  rate: 0.5
settings:
  continue_on_step_failure: false
  force_rerun: true
jobs:
  train:
    type: command
    code: ./src
    command: python train.py --rate \${{inputs.rate}} --name \${{inputs.who}} $[[--data \${{inputs.extra}}]]
    environment_variables: {MODE: fast, TRIES: 3}
    limits: {timeout: 90, queue_timeout: 5}
    is_deterministic: false
    inputs:
      rate: \${{parent.inputs.rate}}
      who: "ada lovelace"
      extra: {type: uri_folder, optional: true}
`,
    });
    const train = commandStep(job, 0);
    expect(train).toMatchObject({
      code: join(fixture.dir, 'src'),
      runDir: fixture.runDir,
      command: 'python train.py --rate 0.5 --name ada lovelace ',
      environmentVariables: { MODE: 'fast', TRIES: '3' },
      timeoutMs: 90_000,
      queueTimeoutMs: 5_000,
      isDeterministic: false,
    });
    expect(job.settings).toMatchObject({ continueOnStepFailure: false, forceRerun: true });
  });

  it('waits 600 s for a node by default, and takes force_rerun in the settings of a standalone command job', () => {
    const job = fixture.compile('standalone.yml', {
      'standalone.yml': `type: command
command: echo hi
settings: {force_rerun: true}
`,
    });
    expect(commandStep(job, 0).queueTimeoutMs).toBe(600_000);
    expect(job.settings.forceRerun).toBe(true);
    expect(fixture.compile('plain.yml', { 'plain.yml': 'type: command\ncommand: echo hi\n' }).settings.forceRerun).toBe(
      false,
    );
  });

  it('places outputs on datastores: ${{name}}, ${{output_name}}, ${{default_datastore}} and registered stores', async () => {
    await fixture.store.addDatastore('scratch', join(fixture.dir, 'scratch'));
    const job = fixture.compile('stores.yml', {
      'stores.yml': `type: pipeline
outputs:
  report:
    type: uri_file
    path: azureml://datastores/workspaceblobstore/paths/\${{name}}/report.txt
settings:
  default_datastore: azureml:scratch
jobs:
  make:
    command: echo > \${{outputs.report}} && echo > \${{outputs.folder}}/x
    outputs:
      report: \${{parent.outputs.report}}
      folder:
        type: uri_folder
        path: azureml://datastores/\${{default_datastore}}/paths/\${{name}}/\${{output_name}}/
      one_file: {type: uri_file}
`,
    });
    const make = commandStep(job, 0);
    expect(make.outputs).toEqual([
      {
        name: 'report',
        type: 'uri_file',
        path: join(fixture.dataDir, 'datastores', 'workspaceblobstore', 'job-1-make', 'report.txt'),
        explicitPath: true,
      },
      {
        name: 'folder',
        type: 'uri_folder',
        path: join(fixture.dir, 'scratch', 'job-1-make', 'folder'),
        explicitPath: true,
      },
      {
        name: 'one_file',
        type: 'uri_file',
        path: join(fixture.runDir, 'outputs', 'one_file', 'one_file'),
        explicitPath: false,
      },
    ]);
    expect(job.settings.defaultDatastore).toBe('scratch');
    expect(job.pipelineOutputs).toEqual([{ name: 'report', step: 'make', output: 'report' }]);
  });

  it('refuses an unknown datastore and unsupported step types, naming the key, all in one pass', () => {
    const errors = fixture.errors('refused.yml', {
      'refused.yml': `type: pipeline
settings:
  default_datastore: azureml:nowhere
jobs:
  tune: {type: sweep, trial: ./train.yml}
  spark_it: {type: spark}
  loop: {type: do_while}
  train:
    command: python train.py
    distribution: {type: pytorch, process_count_per_instance: 2}
  out:
    command: echo
    outputs:
      o: {type: uri_folder, path: azureml://datastores/elsewhere/paths/x}
`,
    });
    expect(brief(errors)).toEqual([
      expect.stringMatching(
        /^settings\.default_datastore: datastore "nowhere" does not exist \(known: workspaceblobstore, scratch\)/,
      ),
      expect.stringMatching(/^jobs\.tune\.type: type "sweep" is not supported by parajob/),
      expect.stringMatching(/^jobs\.spark_it\.type: type "spark" is not supported by parajob/),
      expect.stringMatching(/^jobs\.loop\.type: type "do_while" is not supported by parajob: control flow/),
      expect.stringMatching(/^jobs\.train\.distribution: distributed training .* is not supported/),
      expect.stringMatching(/^jobs\.out\.outputs\.o\.path: datastore "elsewhere" does not exist/),
    ]);
  });

  it('compiles a standalone command job as one step in the run folder', () => {
    const job = fixture.compile('single.yml', {
      'single.yml': `$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
command: echo \${{inputs.n}} > \${{outputs.out}}/n.txt
inputs: {n: 3}
outputs: {out: }
experiment_name: x
`,
    });
    expect(job.steps).toHaveLength(1);
    expect(commandStep(job, 0)).toMatchObject({
      name: 'main',
      runDir: fixture.runDir,
      command: `echo 3 > ${join(fixture.runDir, 'outputs', 'out')}/n.txt`,
    });
  });

  it('binds a parallel step to a command step output that does not exist yet (the 1a sales shape)', () => {
    const job = fixture.compile('mixed.yml', {
      'score/score.py': 'def run(b):\n    return b\n',
      'mixed.yml': `type: pipeline
jobs:
  prepare:
    command: python prep.py --out \${{outputs.table}}
    outputs:
      table: {type: mltable}
  score:
    type: parallel
    inputs:
      data:
        type: mltable
        mode: direct
        path: \${{parent.jobs.prepare.outputs.table}}
    input_data: \${{inputs.data}}
    partition_keys: [store]
    task:
      code: ./score
      entry_script: score.py
      program_arguments: --data \${{inputs.data}}
`,
    });
    const score = parallelStep(job, 1);
    const table = join(fixture.runDir, 'steps', 'prepare', 'outputs', 'table');
    expect(commandStep(job, 0).outputs[0]).toMatchObject({ type: 'mltable', path: table });
    expect(score.dependsOn).toEqual(['prepare']);
    expect(score.inputs[0]).toMatchObject({
      type: 'mltable',
      mode: 'direct',
      path: table,
      from: { step: 'prepare', output: 'table' },
    });
    expect(score.task.programArguments).toEqual(['--data', table]);
  });
});
