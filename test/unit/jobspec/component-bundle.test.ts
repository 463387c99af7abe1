import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SpecErrors } from '../../../src/errors.js';
import { gatherComponentBundle } from '../../../src/jobspec/assets/bundle.js';
import { registerComponent } from '../../../src/jobspec/assets/register.js';
import { commandStep, parallelStep } from './spec-fixture.js';
import { createTreeFixture, type TreeFixture } from './tree-fixture.js';

/** A pipeline component reaching a component file (with its own code), an inline command step with code, and data. */
const FILES = {
  'lib/flow.yml': `type: pipeline
name: flow
inputs:
  n: {type: integer, default: 2}
outputs:
  scored: {type: uri_folder}
jobs:
  prep:
    type: command
    code: ./prep_src
    command: sh prep.sh \${{inputs.data}} \${{outputs.out}}
    inputs:
      data: {type: uri_folder, path: ../data}
    outputs:
      out: {type: uri_folder}
  score:
    type: parallel
    component: ./parts/score.yml
    inputs:
      files: \${{parent.jobs.prep.outputs.out}}
    outputs:
      scored: \${{parent.outputs.scored}}
`,
  'lib/prep_src/prep.sh': 'echo v1\n',
  'lib/parts/score.yml': `type: parallel
name: score
inputs:
  files: {type: uri_folder}
outputs:
  scored: {type: uri_folder}
input_data: \${{inputs.files}}
mini_batch_size: "1"
task:
  type: run_function
  code: ../score_src
  entry_script: score.js
`,
  'lib/score_src/score.js': 'export const run = (batch) => batch;\n',
  'data/': '',
  'job.yml': `type: pipeline
jobs:
  whole:
    type: pipeline
    component: azureml:flow:1
`,
};

describe('registered component bundles', () => {
  let tree: TreeFixture;
  beforeAll(() => {
    tree = createTreeFixture();
    tree.write(FILES);
  });
  afterAll(() => tree.remove());

  it('gathers the files a pipeline component reaches and points them at the stored copies', async () => {
    const bundle = await gatherComponentBundle(join(tree.dir, 'lib/flow.yml'));
    expect(bundle.documents.map((doc) => doc.sourcePath)).toEqual([
      join(tree.dir, 'lib/flow.yml'),
      join(tree.dir, 'lib/parts/score.yml'),
    ]);
    expect(bundle.codeFolders).toEqual([join(tree.dir, 'lib/prep_src'), join(tree.dir, 'lib/score_src')]);
    const [flow, score] = bundle.documents.map((doc) => doc.text);
    expect(flow).toContain('code: ./code-0');
    expect(flow).toContain('component: ./part-1.yml');
    expect(flow).toContain(`path: ${join(tree.dir, 'data')}`);
    expect(score).toContain('code: ./code-1');
  });

  it('a job using the registered component runs what was registered, whatever happens to its files later', async () => {
    const stored = await registerComponent(join(tree.dir, 'lib/flow.yml'), ['version=1'], tree.store);
    // Edit and even delete what it came from: the registered version must not notice.
    writeFileSync(join(tree.dir, 'lib/prep_src/prep.sh'), 'echo v2\n');
    rmSync(join(tree.dir, 'lib/parts'), { recursive: true });
    const job = tree.compile('job.yml');
    const home = dirname(stored.file);
    const prep = commandStep(job, 0);
    expect(prep.code).toBe(join(home, 'code-0'));
    expect(readFileSync(join(home, 'code-0', 'prep.sh'), 'utf8')).toBe('echo v1\n');
    expect(prep.inputs.find((input) => input.name === 'data')).toMatchObject({ path: join(tree.dir, 'data') });
    expect(parallelStep(job, 1).task.code).toBe(join(home, 'code-1'));
  });

  it('names the file and key of a code folder that does not exist', async () => {
    tree.write({ 'lib/broken.yml': 'type: command\nname: broken\ncode: ./nowhere\ncommand: echo\n' });
    const gathered = gatherComponentBundle(join(tree.dir, 'lib/broken.yml'));
    await expect(gathered).rejects.toThrow(SpecErrors);
    await expect(gathered).rejects.toThrow(/broken\.yml: code: the code folder does not exist/);
  });
});
