/**
 * The verbs that only validate or register, through the real CLI: `job validate` (every error,
 * nothing submitted, exit 0/2, --set applied), `component create|list|show`, `data create|show`,
 * `datastore create`, and a pipeline that uses what was registered.
 */
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertBuilt, killAllCli, runCli } from '../helpers/cli-process.js';
import { makeTempDir, writeText } from '../helpers/input-files.js';

let dir: string;
let dataDir: string;

beforeAll(async () => {
  assertBuilt();
  dir = await makeTempDir('parajob-pipeline-verbs-');
  dataDir = join(dir, '.parajob');
  await writeText(dir, 'hello/src/hello.py', 'print("hello")\n');
  await writeText(
    dir,
    'hello/component.yml',
    `type: command
name: hello
inputs:
  times: {type: integer, default: 1, max: 3}
  folder: {type: uri_folder}
code: ./src
command: python hello.py --times \${{inputs.times}} --in \${{inputs.folder}}
environment: {image: python}
`,
  );
  await writeText(dir, 'files/a.txt', 'a\n');
  await writeText(dir, 'data.yml', 'name: files\ntype: uri_folder\npath: ./files\n');
  await writeText(
    dir,
    'pipeline.yml',
    `type: pipeline
inputs:
  times: 2
jobs:
  greet:
    component: azureml:hello@latest
    inputs:
      times: \${{parent.inputs.times}}
      folder: {path: azureml:files:1}
  after:
    command: ls \${{inputs.x}} > \${{outputs.o}}/list.txt
    inputs:
      x: \${{parent.jobs.greet.inputs.folder}}
    outputs:
      o:
        path: azureml://datastores/scratch/paths/\${{name}}
`,
  );
});

afterAll(async () => {
  await killAllCli();
});

const cli = (...args: string[]) => runCli([...args, '--data-dir', dataDir], { timeoutMs: 30_000 });

describe('registering and validating', () => {
  it('reports every error of an invalid pipeline at once and exits 2', async () => {
    const run = await cli('job', 'validate', '--file', join(dir, 'pipeline.yml'));
    expect(run.exit?.code, run.describeOutput()).toBe(2);
    expect(run.stderr).toMatch(/pipeline\.yml:6:16: jobs\.greet\.component: component "hello" is not registered/);
    expect(run.stderr).toMatch(/jobs\.greet\.inputs\.folder\.path: data asset "files" is not registered/);
    expect(run.stderr).toMatch(/jobs\.after\.outputs\.o\.path: datastore "scratch" does not exist/);
  });

  it('registers a component, a data asset and a datastore, then the pipeline validates', async () => {
    const created = await cli('component', 'create', '--file', join(dir, 'hello/component.yml'), '--set', 'version=7');
    expect(created.exit?.code, created.describeOutput()).toBe(0);
    expect(created.stdout).toContain('Registered component hello:7');
    expect((await cli('data', 'create', '--file', join(dir, 'data.yml'))).exit?.code).toBe(0);
    expect((await cli('datastore', 'create', '--name', 'scratch', '--path', join(dir, 'scratch'))).exit?.code).toBe(0);

    const list = await cli('component', 'list');
    expect(list.stdout.trim()).toBe('hello:7');
    const show = await cli('data', 'show', 'files:1');
    expect(JSON.parse(show.stdout)).toMatchObject({ name: 'files', version: '1', path: join(dir, 'files') });
    expect((await cli('component', 'show', 'hello:8')).exit?.code).toBe(2);

    const valid = await cli('job', 'validate', '--file', join(dir, 'pipeline.yml'));
    expect(valid.exit?.code, valid.describeOutput()).toBe(0);
    expect(valid.stdout).toContain('is valid: 2 step(s): greet (command); after (command)');
    expect(valid.stderr).toMatch(/^warning: .*environment is ignored by parajob/m);
  });

  it('applies --set before validation: a value over the declared maximum is refused', async () => {
    const run = await cli('job', 'validate', '--file', join(dir, 'pipeline.yml'), '--set', 'inputs.times=9');
    expect(run.exit?.code, run.describeOutput()).toBe(2);
    expect(run.stderr).toMatch(
      /pipeline\.yml:3:10: inputs\.times: input "times" \(integer\): 9 is above the maximum 3/,
    );
  });
});
