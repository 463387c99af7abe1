import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { InputError, SpecErrors } from '../../../src/errors.js';
import { LocalAssetStore } from '../../../src/jobspec/assets/local-store.js';
import { registerComponent, registerData } from '../../../src/jobspec/assets/register.js';

describe('LocalAssetStore and registration', () => {
  let dir: string;
  let store: LocalAssetStore;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'parajob-assets-'));
    store = new LocalAssetStore(join(dir, 'data-dir'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'hello.py'), 'print("v1")\n');
    writeFileSync(
      join(dir, 'hello.yml'),
      'type: command\nname: hello\ncode: ./src\ncommand: python hello.py\nenvironment: {image: python}\n',
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps a snapshot of the code: editing the folder later does not change the registered version', async () => {
    const first = await registerComponent(join(dir, 'hello.yml'), [], store);
    expect(first).toMatchObject({ name: 'hello', version: '1' });
    writeFileSync(join(dir, 'src', 'hello.py'), 'print("v2")\n');
    const snapshot = join(store.root, 'components', 'hello', '1', 'code-0');
    expect(readFileSync(join(snapshot, 'hello.py'), 'utf8')).toBe('print("v1")\n');
    expect(readFileSync(first.file, 'utf8')).toContain('code: ./code-0');
  });

  it('numbers versions, takes --set name/version, and @latest is the one created last', async () => {
    const second = await registerComponent(join(dir, 'hello.yml'), [], store);
    expect(second.version).toBe('2');
    await registerComponent(join(dir, 'hello.yml'), ['version=0.9'], store);
    await registerComponent(join(dir, 'hello.yml'), ['name=other', 'version=a'], store);
    const latest = store.component({ name: 'hello', version: undefined });
    expect(latest.ok && latest.value.version).toBe('0.9');
    expect(
      store
        .list<{ name: string; version: string; createdAt: number }>('components')
        .map((c) => `${c.name}:${c.version}`),
    ).toEqual(['hello:0.9', 'other:a']);
    await expect(registerComponent(join(dir, 'hello.yml'), ['version=2'], store)).rejects.toThrow(InputError);
  });

  it('refuses an invalid component file with located errors', async () => {
    writeFileSync(join(dir, 'bad.yml'), 'type: command\nname: bad\ncommnd: echo\n');
    await expect(registerComponent(join(dir, 'bad.yml'), [], store)).rejects.toThrow(SpecErrors);
    await expect(registerComponent(join(dir, 'bad.yml'), [], store)).rejects.toThrow(
      /bad\.yml:3:1: commnd: unknown key; did you mean "command"\?/,
    );
  });

  it('registers data whose path exists, resolved against the data file or a datastore', async () => {
    await store.addDatastore('lake', join(dir, 'lake'));
    mkdirSync(join(dir, 'lake', 'images'));
    writeFileSync(join(dir, 'data.yml'), 'name: images\npath: azureml://datastores/lake/paths/images\n');
    const data = await registerData(join(dir, 'data.yml'), [], store);
    expect(data).toMatchObject({ name: 'images', version: '1', type: 'uri_folder', path: join(dir, 'lake', 'images') });
    writeFileSync(join(dir, 'missing.yml'), 'name: missing\npath: ./nowhere\n');
    await expect(registerData(join(dir, 'missing.yml'), [], store)).rejects.toThrow(/the data does not exist/);
    expect(store.datastore('workspaceblobstore')).toEqual({
      ok: true,
      value: join(dir, 'data-dir', 'datastores', 'workspaceblobstore'),
    });
    expect(store.datastore('sea')).toMatchObject({
      ok: false,
      message: expect.stringMatching(/known: workspaceblobstore, lake/),
    });
  });
});
