/**
 * A pipeline shaped like Azure's CLI samples (cli/jobs/pipelines-with-components/basics: component
 * files, `${{parent.jobs.S.outputs.o}}` bindings, an optional input in `$[[...]]`, a uri_file output
 * in the built-in datastore named with `${{name}}`, the default `artifacts` output, a datastore made on
 * the coordinator) submitted with `parajob job create` to a coordinator with two nodes, from a client
 * folder with no data dir of its own, and followed with `parajob job stream`. Then a command
 * that fails: the user's failure, its exit code and the last lines of its output, in the stream and
 * in pipeline_result.txt.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertBuilt, killAllCli, runCli, startCoordinatorCli, startNodesCli } from '../helpers/cli-process.js';
import { makeTempDir, writeText } from '../helpers/input-files.js';

const HELLO = `$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
type: command
name: say_hello
inputs:
  greeting: {type: string, default: hello}
  suffix: {type: string, optional: true}
outputs:
  hello_file: {type: uri_file}
  artifacts: {type: uri_folder}
code: ./src
environment: azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest
command: >-
  sh hello.sh \${{inputs.greeting}} \${{outputs.hello_file}} $[[\${{inputs.suffix}}]]
`;

const PIPELINE = `$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
display_name: hello_sample_shaped
settings:
  default_compute: azureml:cpu-cluster
jobs:
  hello_job:
    type: command
    component: ./hello.yml
    inputs:
      greeting: hi
    outputs:
      hello_file:
        type: uri_file
        path: azureml://datastores/workspaceblobstore/paths/\${{name}}/hello.txt
  world_job:
    type: command
    command: >-
      cat \${{inputs.hello_file}} > \${{outputs.world}}/world.txt &&
      cat \${{inputs.artifacts}}/outputs/note.txt >> \${{outputs.world}}/world.txt &&
      echo "world done"
    inputs:
      hello_file: \${{parent.jobs.hello_job.outputs.hello_file}}
      artifacts: \${{parent.jobs.hello_job.outputs.artifacts}}
    outputs:
      world:
        type: uri_folder
        path: azureml://datastores/scratch/paths/world
`;

const FAILING = `type: command
compute: azureml:cpu-cluster
command: >-
  echo "reading the rows"; echo "ValueError: row 7 has no label" >&2; exit 3
`;

describe('a sample-shaped pipeline through job create on a two-node cluster', () => {
  let dir: string;
  let address: string;
  let client: string;

  beforeAll(async () => {
    assertBuilt();
    dir = await makeTempDir('parajob-pipeline-cluster-');
    client = join(dir, 'client');
    await writeText(client, 'hello.yml', HELLO);
    await writeText(
      client,
      'src/hello.sh',
      'echo "$1${3:-}" > "$2"\nmkdir -p outputs && echo "note from hello" > outputs/note.txt\necho "hello written"\n',
    );
    await writeText(client, 'pipeline.yml', PIPELINE);
    await writeText(client, 'failing.yml', FAILING);
    ({ address } = await startCoordinatorCli(join(dir, 'coordinator')));
    await startNodesCli(address, ['n1', 'n2'], { dir, compute: 'cpu-cluster' });
  });

  afterAll(() => killAllCli());

  it('runs every step with the datastores of the coordinator, followed by job stream', async () => {
    const scratch = join(dir, 'coordinator-scratch');
    const made = await runCli([
      'datastore',
      'create',
      '--name',
      'scratch',
      '--path',
      scratch,
      '--coordinator',
      address,
    ]);
    expect(made.exit?.code, made.describeOutput()).toBe(0);
    const created = await runCli(['job', 'create', '--file', 'pipeline.yml', '--coordinator', address], {
      cwd: client,
    });
    expect(created.exit?.code, created.describeOutput()).toBe(0);
    const jobId = created.stdoutLines.at(-1) ?? '';
    const stream = await runCli(['job', 'stream', jobId, '--coordinator', address], {
      cwd: client,
      timeoutMs: 120_000,
    });
    expect(stream.exit?.code, stream.describeOutput()).toBe(0);
    // Each step's start and end, also to a follower that came late (a Watch starts with the messages so far).
    expect(stream.stderr).toMatch(/step 'hello_job' succeeded/);
    expect(stream.stderr).toMatch(/step 'world_job' succeeded/);
    expect(stream.stdout).toMatch(/succeeded in .*: 2\/2 command steps succeeded/);
    // `${{name}}` is the step's job name; the file is in the coordinator's workspaceblobstore.
    const helloFile = join(dir, 'coordinator', 'datastores', 'workspaceblobstore', `${jobId}-hello_job`, 'hello.txt');
    expect(stream.stdout).toContain(`hello_job.hello_file: ${helloFile}`);
    expect(await readFile(helloFile, 'utf8')).toBe('hi\n');
    expect(await readFile(join(scratch, 'world', 'world.txt'), 'utf8')).toBe('hi\nnote from hello\n');
    const logs = join(dir, 'coordinator', 'runs', jobId, 'steps');
    expect(await readFile(join(logs, 'hello_job', 'user_logs', 'std_log.txt'), 'utf8')).toBe('hello written\n');
    expect(await readFile(join(logs, 'world_job', 'user_logs', 'std_log.txt'), 'utf8')).toBe('world done\n');
  }, 150_000);

  it("reports a failed command as the user's failure with its exit code and last lines", async () => {
    const created = await runCli(['job', 'create', '--file', 'failing.yml', '--coordinator', address], {
      cwd: client,
    });
    expect(created.exit?.code, created.describeOutput()).toBe(0);
    const jobId = created.stdoutLines.at(-1) ?? '';
    const stream = await runCli(['job', 'stream', jobId, '--coordinator', address], { timeoutMs: 120_000 });
    expect(stream.exit?.code, stream.describeOutput()).toBe(1);
    expect(stream.stdout).toContain(`Job ${jobId} failed (user error)`);
    expect(stream.stdout).toContain('the command exited with code 3; the last lines of its output');
    expect(stream.stdout).toContain('  | ValueError: row 7 has no label');
    const shown = JSON.parse((await runCli(['job', 'show', jobId, '--coordinator', address, '--json'])).stdout) as {
      steps: { name: string; status: string }[];
    };
    expect(shown.steps[0]?.status).toBe('failed');
    const result = await readFile(join(dir, 'coordinator', 'runs', jobId, 'pipeline_result.txt'), 'utf8');
    expect(result).toContain('exited with code 3');
    expect(result).toContain('  | reading the rows\n  | ValueError: row 7 has no label');
  }, 150_000);
});
