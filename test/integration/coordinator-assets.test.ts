/**
 * Registered assets served by a coordinator: `parajob component|data create|list|show --coordinator`
 * and the SDK's client.components / client.data against a real `parajob coordinator` with a node.
 * The client works in a folder of its own and the coordinator in another data dir, so nothing is
 * found by sharing a data dir: a job names `azureml:` assets and the coordinator resolves them, running
 * the code snapshot taken at registration even after the client's copy changed.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AssetExistsError, AssetNotFoundError, JobState, ParajobClient, ValidationError } from '../../src/sdk/index.js';
import { assertBuilt, killAllCli, runCli, startCoordinatorCli, startNodesCli } from '../helpers/cli-process.js';
import { makeInputFiles, makeTempDir, writeText } from '../helpers/input-files.js';

/** A parallel component that tags every file name with the version of its script. */
const SCORE_COMPONENT = `type: parallel
name: tagger
inputs:
  files: {type: uri_folder}
outputs:
  rows: {type: uri_file}
input_data: \${{inputs.files}}
mini_batch_size: "3"
task:
  type: run_function
  code: ./tagger_src
  entry_script: tag.mjs
  append_row_to: \${{outputs.rows}}
`;
const script = (tag: string): string => `import { basename } from 'node:path';
export function run(miniBatch) { return miniBatch.map((file) => '${tag} ' + basename(file)); }
`;

/** A pipeline component reaching the tagger through a local file: the file travels with it. */
const FLOW_COMPONENT = `type: pipeline
name: flow
inputs:
  files: {type: uri_folder}
outputs:
  rows: {type: uri_file}
jobs:
  tag:
    type: parallel
    component: ./tagger.yml
    inputs:
      files: \${{parent.inputs.files}}
    outputs:
      rows: \${{parent.outputs.rows}}
`;

const JOB = (component: string, data: string): string => `type: pipeline
name: uses_assets
settings: {default_compute: cpu-cluster}
jobs:
  tag:
    type: ${component.includes('flow') ? 'pipeline' : 'parallel'}
    component: ${component}
    inputs:
      files: {type: uri_folder, path: ${data}}
`;

describe('registered assets on a coordinator', () => {
  let dir: string;
  let address: string;
  let client: ParajobClient;

  beforeAll(async () => {
    assertBuilt();
    dir = await makeTempDir('parajob-coordinator-assets-');
    await makeInputFiles(join(dir, 'shared', 'images'), 5);
    await writeText(dir, 'client/tagger.yml', SCORE_COMPONENT);
    await writeText(dir, 'client/tagger_src/tag.mjs', script('v1'));
    await writeText(dir, 'client/flow.yml', FLOW_COMPONENT);
    await writeText(dir, 'client/images.yml', `name: images\nversion: 1\npath: ../shared/images\n`);
    ({ address } = await startCoordinatorCli(join(dir, 'coordinator')));
    await startNodesCli(address, ['n1'], { dir, compute: 'cpu-cluster' });
    client = new ParajobClient({ address });
  });

  afterAll(async () => {
    client?.close();
    await killAllCli();
  });

  it('registers with the CLI and shows them back; a job uses them as registered', async () => {
    const cwd = join(dir, 'client');
    const created = await runCli(['component', 'create', '--file', 'tagger.yml', '--coordinator', address], { cwd });
    expect(created.stdout).toContain(`Registered component tagger:1 with ${address}`);
    expect(created.exit?.code).toBe(0);
    expect(
      (await runCli(['data', 'create', '--file', 'images.yml', '--coordinator', address], { cwd })).stdout,
    ).toContain('Registered data images:1 (uri_folder');
    const listed = await runCli(['component', 'list', '--coordinator', address], { cwd });
    expect(listed.stdout.trim()).toBe('tagger:1');
    const shown = await runCli(['data', 'show', 'images@latest'], { cwd, env: { PARAJOB_COORDINATOR: address } });
    expect(JSON.parse(shown.stdout)).toMatchObject({
      name: 'images',
      version: '1',
      path: join(dir, 'shared', 'images'),
    });

    // Nothing registered in the client's own data dir: the assets are the coordinator's.
    const local = await runCli(['component', 'list', '--data-dir', join(cwd, '.parajob')], { cwd });
    expect(local.stdout).toContain('no components');

    // The client's code changes after registration; the registered version keeps v1.
    await writeText(dir, 'client/tagger_src/tag.mjs', script('v2'));
    await writeText(dir, 'client/job.yml', JOB('azureml:tagger@latest', 'azureml:images:1'));
    const { jobId, runDir } = await client.jobs.createOrUpdate(join(cwd, 'job.yml'));
    expect((await client.jobs.wait(jobId)).state).toBe(JobState.JOB_STATE_SUCCEEDED);
    const rows = (await readFile(join(runDir, 'outputs', 'rows', 'parallel_run_step.txt'), 'utf8'))
      .split('\n')
      .filter(Boolean);
    expect(rows).toHaveLength(5);
    expect(rows.every((row) => row.startsWith('v1 '))).toBe(true);
  });

  it('a registered pipeline component carries the component files it reaches', async () => {
    const registered = await client.components.createOrUpdate(join(dir, 'client', 'flow.yml'), {
      sets: ['version=7'],
    });
    expect(registered).toMatchObject({ name: 'flow', version: '7' });
    // The file it reached is gone from the client: the coordinator kept its own copy (and the v2 script).
    await rm(join(dir, 'client', 'tagger.yml'));
    await writeText(dir, 'client/job-flow.yml', JOB('azureml:flow:7', '../shared/images'));
    const { jobId, runDir } = await client.jobs.createOrUpdate(join(dir, 'client', 'job-flow.yml'));
    expect((await client.jobs.wait(jobId)).state).toBe(JobState.JOB_STATE_SUCCEEDED);
    // The pipeline component's step `tag` runs as tag.tag (steps/tag/tag/ in the run directory).
    const rows = await readFile(
      join(runDir, 'steps', 'tag', 'tag', 'outputs', 'rows', 'parallel_run_step.txt'),
      'utf8',
    );
    expect(rows).toContain('v2 ');
    expect((await client.components.list()).map((item) => `${item.name}:${item.version}`)).toEqual([
      'flow:7',
      'tagger:1',
    ]);
  });

  it('refuses what does not exist or exists already, with typed errors', async () => {
    await expect(client.components.get('tagger', '9')).rejects.toBeInstanceOf(AssetNotFoundError);
    await expect(client.data.get('nothing')).rejects.toThrow(/"nothing" is not registered/);
    await writeText(dir, 'client/tagger.yml', SCORE_COMPONENT);
    await expect(
      client.components.createOrUpdate(join(dir, 'client', 'tagger.yml'), { sets: ['version=1'] }),
    ).rejects.toBeInstanceOf(AssetExistsError);
    await writeText(dir, 'client/job-bad.yml', JOB('azureml:tagger:9', 'azureml:images:1'));
    const refused = await client.jobs
      .createOrUpdate(join(dir, 'client', 'job-bad.yml'))
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).message).toMatch(
      /job-bad\.yml:\d+:\d+: jobs\.tag\.component: component tagger:9 has no such version; its versions are: 1/,
    );
    const cli = await runCli(['component', 'show', 'tagger:9', '--coordinator', address], { cwd: dir });
    expect(cli.exit?.code).toBe(2);
    expect(cli.stderr).toMatch(/tagger:9 has no such version/);
  });
});
