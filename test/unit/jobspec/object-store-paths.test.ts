import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { pathRefusals } from '../../../src/coordinator/jobs/path-policy.js';
import { InputError } from '../../../src/errors.js';
import { LocalAssetStore } from '../../../src/jobspec/assets/local-store.js';
import { compileJobSpec } from '../../../src/jobspec/load.js';
import { YamlSource } from '../../../src/jobspec/yaml-source.js';
import { parseS3Uri } from '../../../src/storage/s3-location.js';
import { createSpecFixture, parallelStep, type SpecFixture } from './spec-fixture.js';

/** A standalone parallel file reading `input` and appending rows to an output at `output`. */
function jobYaml(input: string, output: string, outputType = 'uri_folder'): string {
  return `type: parallel
compute: azureml:cpu
inputs:
  files:
    type: uri_folder
    path: ${input}
outputs:
  rows:
    type: ${outputType}
    path: ${output}
input_data: \${{inputs.files}}
mini_batch_size: "2"
task:
  code: script
  entry_script: score.py
  append_row_to: \${{outputs.rows}}
`;
}

describe('s3:// paths in the job model', () => {
  let fixture: SpecFixture;
  beforeAll(() => {
    fixture = createSpecFixture();
  });
  afterAll(() => fixture.remove());

  it('keeps an s3:// input as written (not checked for existence: the coordinator lists it) and stages an s3:// output in the run dir', () => {
    const step = parallelStep(fixture.compile(jobYaml('s3://my-bucket/in/', 's3://my-bucket/out')), 0);
    expect(step.inputs[0]).toMatchObject({ kind: 'data', path: 's3://my-bucket/in/', type: 'uri_folder' });
    const output = step.outputs[0];
    expect(output).toMatchObject({
      name: 'rows',
      type: 'uri_folder',
      remote: 's3://my-bucket/out',
      explicitPath: true,
    });
    expect(output?.path.startsWith(fixture.runDir)).toBe(true);
    expect(step.task.appendRowFile).toBe(join(output?.path ?? '', 'parallel_run_step.txt'));

    const file = parallelStep(fixture.compile(jobYaml('./data', 's3://my-bucket/rows.txt', 'uri_file')), 0);
    expect(file.outputs[0]).toMatchObject({ type: 'uri_file', remote: 's3://my-bucket/rows.txt' });
    expect(file.task.appendRowFile).toBe(file.outputs[0]?.path);
  });

  it('refuses a bucket name S3 would refuse, and dot segments, with the key path', () => {
    const [error] = fixture.errors(jobYaml('s3://My_Bucket/in', 's3://my-bucket/out'));
    expect(error?.message).toMatch(/inputs\.files\.path: "My_Bucket" is not an S3 bucket name/);
    const [dots] = fixture.errors(jobYaml('s3://my-bucket/in/../secret', 's3://my-bucket/out'));
    expect(dots?.message).toMatch(/inputs\.files\.path: .*'\.' or '\.\.' segment/);
    expect(() => parseS3Uri('s3://my-bucket/a/./b')).toThrow(/segment/);
    expect(parseS3Uri('s3://my-bucket')).toEqual({ bucket: 'my-bucket', key: '' });
  });

  it('--allow-path: s3:// locations need an s3:// root that holds them, on whole key segments', () => {
    const job = fixture.compile(jobYaml('s3://my-bucket/in', 's3://my-bucket/out'));
    const runDir = join(fixture.dir, 'run-policy');
    const local = [fixture.dir];
    expect(pathRefusals(job, runDir, { allowedRoots: [...local, 's3://my-bucket/'] })).toEqual([]);
    expect(pathRefusals(job, runDir, { allowedRoots: [...local, 's3://my-bucket/in', 's3://my-bucket/out/'] })).toEqual(
      [],
    );
    const refused = pathRefusals(job, runDir, { allowedRoots: [...local, 's3://my-bucket/i', 's3://other/'] });
    expect(refused).toHaveLength(2);
    expect(refused[0]).toMatch(/input 'files': s3:\/\/my-bucket\/in is outside the allowed paths/);
    expect(refused[1]).toMatch(/output 'rows': s3:\/\/my-bucket\/out is outside the allowed paths/);
  });
});

describe('datastores in object storage', () => {
  let dir: string;
  let store: LocalAssetStore;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'parajob-s3-datastore-'));
    store = new LocalAssetStore(join(dir, 'data-dir'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('records the prefix and connection (the credentials file by path, checked now) and resolves paths below it', async () => {
    const credentials = join(dir, 'creds');
    writeFileSync(credentials, '# the lake\nexport AWS_ACCESS_KEY_ID="AK"\naws_secret_access_key = SK\n');
    const stored = await store.addObjectStoreDatastore('lake', 's3://lake-bucket/team/', {
      endpoint: 'http://127.0.0.1:9000/',
      region: 'eu-west-1',
      credentialsFile: credentials,
    });
    expect(stored).toEqual({
      name: 'lake',
      path: 's3://lake-bucket/team',
      connection: { endpoint: 'http://127.0.0.1:9000', region: 'eu-west-1', credentialsFile: credentials },
    });
    expect(JSON.stringify(stored)).not.toContain('SK');

    const file = join(dir, 'job.yml');
    const yaml = jobYaml('azureml://datastores/lake/paths/corpus', 's3://lake-bucket/out');
    writeFileSync(file, yaml);
    writeFileSync(join(dir, 'score.py'), '');
    const job = compileJobSpec(YamlSource.parse(file, yaml.replace('code: script', 'code: .')), {
      runDir: join(dir, 'run'),
      assets: store,
    });
    expect(job.steps[0]?.inputs[0]).toMatchObject({
      path: 's3://lake-bucket/team/corpus',
      store: stored.connection,
    });

    const climbing = yaml.replace('paths/corpus', 'paths/../other').replace('code: script', 'code: .');
    expect(() =>
      compileJobSpec(YamlSource.parse(file, climbing), { runDir: join(dir, 'run2'), assets: store }),
    ).toThrow(/climbs out of datastore "lake"/);
  });

  it('refuses a credentials file without both keys, and a bad endpoint, before recording anything', async () => {
    const partial = join(dir, 'partial');
    writeFileSync(partial, 'AWS_ACCESS_KEY_ID=AK\n');
    await expect(
      store.addObjectStoreDatastore('half', 's3://lake-bucket/x', { credentialsFile: partial }),
    ).rejects.toThrow(/must set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
    await expect(
      store.addObjectStoreDatastore('bad', 's3://lake-bucket/x', { endpoint: 'ftp://host' }),
    ).rejects.toThrow(InputError);
    expect(store.datastores().map((entry) => entry.name)).toEqual(['lake']);
  });
});
