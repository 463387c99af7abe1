import { describe, expect, it } from 'vitest';

import { resolveLocalPath } from '../../../src/jobspec/local-path.js';

describe('resolveLocalPath', () => {
  it.each([
    ['./data', '/jobs/iris/data'],
    ['data/part-1', '/jobs/iris/data/part-1'],
    ['../shared', '/jobs/shared'],
    ['/abs/x', '/abs/x'],
    ['file:///abs/y', '/abs/y'],
  ])('%s → %s', (raw, path) => {
    expect(resolveLocalPath(raw, '/jobs/iris')).toEqual({ ok: true, path });
  });

  it.each([
    ['azureml:iris:1'],
    ['azureml:iris@latest'],
    ['azureml://datastores/blob/paths/iris'],
    ['https://example.org/iris.csv'],
    ['wasbs://c@acct.blob.core.windows.net/x'],
    ['abfss://c@acct.dfs.core.windows.net/x'],
    ['adl://acct.azuredatalakestore.net/x'],
  ])('%s is refused as remote', (raw) => {
    expect(resolveLocalPath(raw, '/jobs')).toEqual({
      ok: false,
      message: expect.stringContaining('remote data is not supported; give a local path'),
    });
  });

  it('refuses a web URL saying how to make it local', () => {
    const result = resolveLocalPath('https://example.org/iris.csv', '/jobs');
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.message).toMatch(
      /does not download web URLs.*download the file first and give its path, or register it with `parajob data create`/,
    );
  });
});
