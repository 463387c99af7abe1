/**
 * Datastores as a coordinator keeps them: created from a request (a folder, or an S3 prefix with
 * credentials sent as text), the credentials kept beside the record readable by its owner alone and
 * used as its credentials file, and what is shown carrying no credentials.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { InputError } from '../../../src/errors.js';
import { createDatastore, datastoreView } from '../../../src/jobspec/assets/datastores.js';
import { LocalAssetStore } from '../../../src/jobspec/assets/local-store.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

describe('datastores', () => {
  let dir: string;
  let store: LocalAssetStore;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'parajob-datastores-'));
    store = new LocalAssetStore(join(dir, 'data-dir'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps credentials sent as text on its side, mode 0600, as the datastore credentials file; shows none', async () => {
    const stored = await createDatastore(store, {
      name: 'lake',
      s3: 's3://lake/team/',
      endpoint: 'http://127.0.0.1:9000',
      credentialsText: `AWS_ACCESS_KEY_ID=AKIDEXAMPLE\nAWS_SECRET_ACCESS_KEY=${SECRET}\n`,
    });
    const file = join(store.root, 'datastores', 'lake.credentials');
    expect(stored.connection?.credentialsFile).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toContain(SECRET);
    expect(store.datastoreConnection('lake')).toEqual({ endpoint: 'http://127.0.0.1:9000', credentialsFile: file });

    const views = store.allDatastores().map(datastoreView);
    expect(views).toEqual([
      {
        name: 'workspaceblobstore',
        path: join(dir, 'data-dir', 'datastores', 'workspaceblobstore'),
        hasCredentials: false,
        builtIn: true,
      },
      { name: 'lake', path: 's3://lake/team', endpoint: 'http://127.0.0.1:9000', hasCredentials: true, builtIn: false },
    ]);
    expect(JSON.stringify(views)).not.toContain('credentials');
  });

  it('refuses credentials without the keys, and a request that is neither a folder nor an S3 prefix', async () => {
    await expect(
      createDatastore(store, { name: 'bad', s3: 's3://lake/x', credentialsText: 'AWS_ACCESS_KEY_ID=only\n' }),
    ).rejects.toThrow(/datastore bad: the credentials sent must set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
    await expect(createDatastore(store, { name: 'none' })).rejects.toBeInstanceOf(InputError);
    await expect(createDatastore(store, { name: 'mixed', path: join(dir, 'x'), region: 'eu-west-1' })).rejects.toThrow(
      /go with --s3, not --path/,
    );
    expect(store.datastoreRecord('bad')).toBeUndefined();
  });

  it('makes a folder datastore, absolute', async () => {
    const stored = await createDatastore(store, { name: 'scratch', path: join(dir, 'scratch') });
    expect(datastoreView(stored)).toEqual({
      name: 'scratch',
      path: join(dir, 'scratch'),
      hasCredentials: false,
      builtIn: false,
    });
    expect(store.datastore('scratch')).toEqual({ ok: true, value: join(dir, 'scratch') });
  });
});
