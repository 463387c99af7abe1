/**
 * Object storage end to end, through the real CLI and processes: an `s3://` uri_folder input and an
 * `s3://` append_row_to output on an S3-compatible server (s3rver, its own process). Only the
 * coordinator has the store's credentials; the nodes get presigned URLs on their leases, download the
 * mini-batch's objects into their own cache folders, and the worker reads local paths. Attempts that
 * crash or throw (chaos) are fetched again; the published output holds every object's row once.
 */
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ParajobClient } from '../../src/sdk/index.js';
import { assertBuilt, killAllCli, runCli, spawnCli, startCoordinatorCli } from '../helpers/cli-process.js';
import { makeTempDir, writeText } from '../helpers/input-files.js';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.js';

const FILES = 57;
/** The entry script: each file's name, content and folder, proving it read a local copy. */
const READ_FILES_SCRIPT = `import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
export function run(miniBatch) {
  return miniBatch.map((file) => [basename(file), readFileSync(file, 'utf8').trim(), dirname(dirname(file))].join('|'));
}
`;
/**
 * The job: the corpus (`input`) in 5-file mini-batches on 2 nodes × 2 processors, rows to the
 * `output` prefix.
 */
function jobYaml(output: string, extra = '', input = 's3://inputs/corpus'): string {
  return [
    'type: parallel',
    'compute: azureml:s3-cluster',
    'inputs:',
    '  corpus:',
    '    type: uri_folder',
    `    path: ${input}`,
    'outputs:',
    '  rows:',
    '    type: uri_folder',
    `    path: ${output}`,
    'input_data: ${{inputs.corpus}}',
    'mini_batch_size: "5"',
    'resources:',
    '  instance_count: 2',
    'max_concurrency_per_instance: 2',
    'retry_settings:',
    '  max_retries: 2',
    '  timeout: 30',
    extra,
    'task:',
    '  type: run_function',
    '  code: ./code',
    '  entry_script: read.mjs',
    '  append_row_to: ${{outputs.rows}}',
    '',
  ].join('\n');
}

/** The nodes get none of the coordinator's storage settings. */
const NO_STORAGE_ENV = { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_ENDPOINT_URL: '', AWS_REGION: '' };

describe('s3:// input and output', () => {
  let dir: string;
  let server: TestS3Server;
  /** A second store, reached only through a datastore: the coordinator's environment names the first. */
  let lake: TestS3Server;
  let address: string;
  const names = Array.from({ length: FILES }, (_, i) => `part-${String(i).padStart(3, '0')}.txt`);

  beforeAll(async () => {
    assertBuilt();
    dir = await makeTempDir('parajob-s3-');
    server = await startS3Server(join(dir, 's3'), ['inputs', 'results']);
    // Keys in subfolders and with a space: listed recursively, named by their last segment on the node.
    for (const [i, name] of names.entries()) {
      const key = `corpus/${i % 2 === 0 ? 'even' : 'odd dir'}/${name}`;
      await server.client.put({ bucket: 'inputs', key }, `content ${i}\n`);
    }
    await server.client.put({ bucket: 'inputs', key: 'elsewhere/not-listed.txt' }, 'no');
    lake = await startS3Server(join(dir, 'lake'), ['lake']);
    for (const [i, name] of names.entries()) {
      await lake.client.put({ bucket: 'lake', key: `team/corpus/${name}` }, `content ${i}\n`);
    }
    await writeText(dir, 'code/read.mjs', READ_FILES_SCRIPT);
    await writeText(dir, 'job.yml', jobYaml('s3://results/run-1/'));
    // A failed mini-batch fails this one: its output must never be published.
    await writeText(dir, 'lake.yml', jobYaml('s3://results/run-3/', '', 'azureml://datastores/lake/paths/corpus'));
    await writeText(dir, 'failing.yml', jobYaml('s3://results/run-2/', 'mini_batch_error_threshold: 0'));
    ({ address } = await startCoordinatorCli(join(dir, 'coordinator'), { env: server.env }));
    const nodes = ['n1', 'n2'].map((name) =>
      spawnCli(
        [
          'node',
          '--coordinator',
          address,
          '--name',
          name,
          '--compute',
          's3-cluster',
          '--cache-dir',
          join(dir, `cache-${name}`),
        ],
        { env: NO_STORAGE_ENV },
      ),
    );
    await Promise.all(nodes.map((node) => node.waitFor(/attached to/)));
  }, 60_000);

  /** `job create` of `file` (with `args`), then `job stream` to its end: the job id, run dir and stream. */
  async function submitAndFollow(file: string, args: readonly string[] = []) {
    const create = await runCli(['job', 'create', '--file', join(dir, file), '--coordinator', address, ...args]);
    expect(create.exit?.code, create.describeOutput()).toBe(0);
    const jobId = create.stdoutLines.at(-1) ?? '';
    const runDir = /run directory (\S+)/.exec(create.stdout)?.[1] ?? '';
    const stream = await runCli(['job', 'stream', jobId, '--coordinator', address], { timeoutMs: 120_000 });
    return { jobId, runDir, stream };
  }

  afterAll(async () => {
    await killAllCli();
    await server?.stop();
    await lake?.stop();
  });

  it('every object read once on a node from a presigned URL; the rows published to s3 only when the job succeeded', async () => {
    const { jobId, runDir, stream } = await submitAndFollow('job.yml', [
      '--chaos',
      'crash:mb=1:attempt=1;throw:mb=4:attempt=1',
    ]);
    expect(stream.exit?.code, stream.describeOutput()).toBe(0);
    expect(stream.stdout).toContain(`Job ${jobId} succeeded`);

    const published = (await server.client.list({ bucket: 'results', key: 'run-1/' })).map((object) => object.key);
    expect(published).toEqual(['run-1/parallel_run_step.txt']);
    const rows = (await server.client.get({ bucket: 'results', key: 'run-1/parallel_run_step.txt' }))
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('|'));
    // Every object exactly once, with its own content: the retried mini-batches did not duplicate rows.
    expect(rows.map(([name]) => name).sort()).toEqual(names);
    for (const [name, content] of rows) expect(content).toBe(`content ${names.indexOf(name as string)}`);
    // Read from each node's own staging folder (<cache>/work/<job>/input/p<i>), never from the store's disk.
    for (const [, , folder] of rows) expect(folder).toMatch(new RegExp(`^${dir}/cache-n[12]/work/.+/input/p[01]$`));
    expect(new Set(rows.map(([, , folder]) => /cache-(n\d)/.exec(folder as string)?.[1])).size).toBe(2);
    // The chaos did strike: mini-batches 1 and 4 failed once and were fetched and run again.
    const csv = await readFile(join(runDir, 'logs', 'sys', 'job_report', 'processed_mini-batches.csv'), 'utf8');
    expect(csv).toMatch(/^1,1,.*WORKER_CRASHED/m);
    expect(csv).toMatch(/^4,1,.*RUN_EXCEPTION/m);
    expect(csv).toMatch(/^1,2,.*RUN_DONE/m);
    expect(csv).toMatch(/^4,2,.*RUN_DONE/m);
  }, 150_000);

  it('a datastore made on the coordinator with --s3 keeps its endpoint and credentials there, whatever the environment says, and never shows them', async () => {
    const secret = lake.env['AWS_SECRET_ACCESS_KEY'] as string;
    const credentials = await writeText(
      dir,
      'client/lake.credentials',
      `AWS_ACCESS_KEY_ID=${lake.env['AWS_ACCESS_KEY_ID']}\nAWS_SECRET_ACCESS_KEY=${secret}\n`,
    );
    const create = await runCli([
      'datastore',
      'create',
      '--coordinator',
      address,
      '--name',
      'lake',
      '--s3',
      's3://lake/team/',
      '--endpoint',
      lake.endpoint,
      '--credentials',
      credentials,
    ]);
    expect(create.exit?.code, create.describeOutput()).toBe(0);
    expect(create.stdout).toContain('Datastore lake is s3://lake/team');
    // The client's file may go: the coordinator keeps its own copy, readable by it alone.
    await rm(credentials);
    const kept = join(dir, 'coordinator', 'assets', 'datastores', 'lake.credentials');
    expect((await stat(kept)).mode & 0o777).toBe(0o600);

    // Shown without credentials, to the CLI and the SDK alike.
    const shown = await runCli(['datastore', 'show', 'lake', '--coordinator', address]);
    expect(JSON.parse(shown.stdout)).toEqual({
      name: 'lake',
      path: 's3://lake/team',
      endpoint: lake.endpoint,
      hasCredentials: true,
      builtIn: false,
    });
    const listed = await runCli(['datastore', 'list', '--coordinator', address, '--json']);
    expect(listed.stdout).not.toContain(secret);
    expect(listed.stdout).not.toContain('lake.credentials');
    const client = new ParajobClient({ address });
    try {
      expect(JSON.stringify(await client.datastores.list())).not.toContain(secret);
    } finally {
      client.close();
    }

    // The client validates against the coordinator's datastores: no data dir of its own.
    const { stream } = await submitAndFollow('lake.yml', []);
    expect(stream.exit?.code, stream.describeOutput()).toBe(0);
    const rows = (await server.client.get({ bucket: 'results', key: 'run-3/parallel_run_step.txt' }))
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('|')[0]);
    expect(rows.sort()).toEqual(names);
  }, 150_000);

  it('a job that fails publishes nothing', async () => {
    const { jobId, stream } = await submitAndFollow('failing.yml', ['--chaos', 'throw:mb=2']);
    expect(stream.exit?.code, stream.describeOutput()).not.toBe(0);
    expect(stream.stdout).toContain(`Job ${jobId} failed`);
    expect(await server.client.list({ bucket: 'results', key: 'run-2/' })).toEqual([]);
  }, 150_000);
});
