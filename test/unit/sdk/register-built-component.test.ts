/**
 * client.components.createOrUpdate of components built in code: `command({...})` and
 * `parallelRunFunction({...})` register as their YAML would with `parajob component create` (the
 * store's half is the one the coordinator's Assets service runs), with the name and version given,
 * code snapshotted at registration, and a pipeline then names them `azureml:NAME:VERSION`.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ComponentAsset } from '../../../src/gen/parajob/v1/parajob.js';
import { LocalAssetStore } from '../../../src/jobspec/assets/local-store.js';
import { storeComponentUpload } from '../../../src/jobspec/assets/register.js';
import { compileJobSpec } from '../../../src/jobspec/load.js';
import { YamlSource } from '../../../src/jobspec/yaml-source.js';
import type { AssetsApi } from '../../../src/rpc/assets-client.js';
import {
  command,
  ComponentOperations,
  Input,
  loadComponent,
  Output,
  parallelRunFunction,
  pipelineComponent,
} from '../../../src/sdk/index.js';

describe('registering components built in code', () => {
  let dir: string;
  let store: LocalAssetStore;
  let components: ComponentOperations;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'parajob-built-components-'));
    store = new LocalAssetStore(join(dir, 'data-dir'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'prep.mjs'), 'console.log("v1")\n');
    writeFileSync(join(dir, 'src', 'score.mjs'), 'export function run(batch) { return batch; }\n');
    // What the coordinator's Assets service does with a CreateComponent (coordinator/assets/assets-service.ts).
    const api = {
      createComponent: async (documents, code): Promise<ComponentAsset> => {
        const stored = await storeComponentUpload({ documents, code }, store);
        return { ...stored, createdAtMs: stored.createdAt, description: '', documents: [], code: [] };
      },
    } as Pick<AssetsApi, 'createComponent'> as AssetsApi;
    components = new ComponentOperations((_asset, body) => body(api));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('registers command() and parallelRunFunction() components that a pipeline then uses by name and version', async () => {
    const prep = command({
      name: 'prep',
      description: 'writes files',
      command: 'node prep.mjs --n ${{inputs.count}} --out ${{outputs.files}}',
      code: './src',
      inputs: { count: Input({ type: 'integer', default: 3 }), label: 'x' },
      outputs: { files: Output({ type: 'uri_folder' }) },
      limits: { timeout: 60 },
    });
    const score = parallelRunFunction({
      name: 'score',
      inputs: { files: Input({ type: 'uri_folder' }) },
      outputs: { rows: Output({ type: 'uri_file' }) },
      inputData: '${{inputs.files}}',
      miniBatchSize: 2,
      compute: 'cpu',
      task: { code: './src', entryScript: 'score.mjs', appendRowTo: '${{outputs.rows}}' },
    });
    const first = await components.createOrUpdate(prep, { version: '1', baseDir: dir });
    expect(first).toMatchObject({ name: 'prep', version: '1', sourceFile: 'prep (built in code)' });
    const second = await components.createOrUpdate(score, { name: 'scorer', baseDir: dir });
    expect(second).toMatchObject({ name: 'scorer', version: '1' });

    // The registered code is the snapshot taken now: a later edit does not change it.
    writeFileSync(join(dir, 'src', 'prep.mjs'), 'console.log("v2")\n');
    const stored = store.component({ name: 'prep', version: '1' });
    if (!stored.ok) throw new Error(stored.message);
    expect(readFileSync(join(stored.value.file, '..', 'code-0', 'prep.mjs'), 'utf8')).toBe('console.log("v1")\n');
    expect(readFileSync(stored.value.file, 'utf8')).toMatch(/count:\n\s+type: integer\n\s+default: 3/);

    const pipeline = [
      'type: pipeline',
      'settings: {default_compute: cpu}',
      'jobs:',
      '  prep:',
      '    component: azureml:prep:1',
      '    inputs: {count: 5}',
      '  score:',
      '    type: parallel',
      '    component: azureml:scorer@latest',
      '    inputs:',
      '      files: ${{parent.jobs.prep.outputs.files}}',
      '',
    ].join('\n');
    const job = compileJobSpec(YamlSource.parse(join(dir, 'pipeline.yml'), pipeline), {
      runDir: join(dir, 'run'),
      assets: store,
    });
    const [prepStep, scoreStep] = job.steps;
    expect(prepStep).toMatchObject({ kind: 'command', timeoutMs: 60_000 });
    expect(prepStep?.kind === 'command' ? prepStep.command : '').toMatch(/^node prep\.mjs --n 5 --out \//);
    expect(scoreStep).toMatchObject({ kind: 'parallel', dependsOn: ['prep'], miniBatchSize: { value: 2 } });
  });

  it('refuses what a component file would be refused for, a component loaded from a file, and a pipeline component built in code', async () => {
    const bad = command({ name: 'Bad Name', command: 'true' });
    await expect(components.createOrUpdate(bad, { baseDir: dir })).rejects.toThrow(
      /Bad Name \(built in code\)|name "Bad Name" must start with a letter/,
    );
    writeFileSync(join(dir, 'loaded.yml'), 'type: command\nname: loaded\ncommand: "true"\n');
    await expect(components.createOrUpdate(loadComponent(join(dir, 'loaded.yml')))).rejects.toThrow(
      /loaded from a file: register the file itself/,
    );
    const inline = pipelineComponent({ name: 'inline' }, () => undefined);
    await expect(components.createOrUpdate(inline)).rejects.toThrow(
      /inline is a pipeline component: register its YAML file .* used inline only/,
    );
    await expect(
      components.createOrUpdate(command({ name: 'prep', command: 'true' }), { version: '1' }),
    ).rejects.toThrow(/prep:1 exists already/);
  });
});
