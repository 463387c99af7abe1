import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { InputError, SpecErrors } from '../../../src/errors.js';
import { loadMLTable } from '../../../src/input/mltable/load-mltable.js';
import { cutTable } from '../../../src/input/tabular/cut-table.js';
import { readTableBatch } from '../../../src/input/tabular/read-table-batch.js';
import { collect, makeTempDir, removeDir, writeTree } from './helpers.js';

let dir: string;
beforeEach(async () => {
  dir = await makeTempDir();
});
afterEach(async () => {
  await removeDir(dir);
});

/** Loads an MLTable written with `yaml` and returns the error it throws. */
async function loadError(
  yaml: string,
  files: Record<string, string | Buffer> = { 'data.csv': 'a\n1\n' },
): Promise<Error> {
  await writeTree(dir, { MLTable: yaml, ...files });
  return loadMLTable(dir).then(
    () => {
      throw new Error('expected loadMLTable to fail');
    },
    (error: Error) => error,
  );
}

describe('loadMLTable', () => {
  it('resolves file, folder and pattern paths against the MLTable folder, sorted and deduplicated', async () => {
    await writeTree(dir, {
      MLTable: 'paths:\n  - pattern: ./**/*.csv\n  - file: ./b/z.csv\n  - folder: ./c\n',
      'b/z.csv': 'a\n',
      'a/y.csv': 'a\n',
      'c/one.txt': 'x',
      'c/deep/two.txt': 'x',
    });
    const table = await loadMLTable(path.join(dir, 'MLTable'));
    expect(table.kind).toBe('files');
    expect(table.files).toEqual(['a/y.csv', 'b/z.csv', 'c/deep/two.txt', 'c/one.txt'].map((f) => path.join(dir, f)));
  });

  it('reads read_delimited options with Azure defaults and sets the header file for from_first_file', async () => {
    await writeTree(dir, {
      MLTable:
        'paths:\n  - pattern: ./*.csv\ntransformations:\n  - read_delimited:\n      header: from_first_file\n      encoding: iso88591\n',
      '2.csv': '3\n',
      '1.csv': 'n\n1\n',
    });
    const table = await loadMLTable(dir);
    expect(table.kind === 'tabular' && table.reader).toEqual({
      format: 'delimited',
      delimiter: ',',
      header: 'from_first_file',
      encoding: 'latin1',
      emptyAsString: false,
      includePathColumn: false,
      supportMultiLine: false,
      inferColumnTypes: true,
      headerFile: path.join(dir, '1.csv'),
    });
    if (table.kind !== 'tabular') return;
    const ranges = await collect(cutTable(table, { unit: 'bytes', value: 1024 }));
    const batch = await readTableBatch(ranges, table.reader, table.transforms);
    expect(batch.columns).toEqual(['n']);
    expect(batch.rows).toEqual([[1], [3]]);
  });

  it('names an unknown transformation with its file, key path and line', async () => {
    const error = await loadError(
      'paths:\n  - file: ./data.csv\ntransformations:\n  - read_delimited: {}\n  - reed_lines: {}\n',
    );
    expect(error).toBeInstanceOf(SpecErrors);
    expect(error.message).toContain(`${path.join(dir, 'MLTable')}:5:`);
    expect(error.message).toContain('transformations[1].reed_lines');
    expect(error.message).toMatch(/unknown transformation `reed_lines`/);
  });

  it('suggests a key only when it is a plausible typo', async () => {
    const typo = await loadError(
      "paths:\n  - file: ./data.csv\ntransformations:\n  - read_delimited: {delimter: ';'}\n",
    );
    expect(typo.message).toMatch(/unknown key `delimter` in read_delimited \(did you mean `delimiter`\?\)/);
    const unrelated = await loadError(
      'paths:\n  - file: ./data.csv\ntransformations:\n  - read_delimited: {compression_codec: gzip}\n  - shuffle_rows_now: {}\n',
    );
    expect(unrelated.message).toMatch(/unknown key `compression_codec` in read_delimited; expected one of:/);
    expect(unrelated.message).toMatch(/unknown transformation `shuffle_rows_now`; expected one of:/);
    expect(unrelated.message).not.toMatch(/did you mean/);
  });

  it('refuses filter and read_delta_lake by name', async () => {
    const error = await loadError(
      'paths:\n  - file: ./data.csv\ntransformations:\n  - read_delta_lake: {version_as_of: 1}\n  - filter: \'col("a") > 1\'\n',
    );
    expect(error.message).toMatch(/read_delta_lake.*not supported by parajob/);
    expect(error.message).toMatch(/MLTable:5:.*filter.*not supported by parajob/);
  });

  it('names a bad header mode and lists the valid ones', async () => {
    const error = await loadError(
      'paths:\n  - file: ./data.csv\ntransformations:\n  - read_delimited:\n      header: first_line\n',
    );
    expect(error.message).toMatch(/MLTable:5:\d+: transformations\[0\]\.read_delimited\.header: unknown header mode/);
    expect(error.message).toContain('all_files_same_headers');
  });

  it('names a path entry that matches no file', async () => {
    const error = await loadError('paths:\n  - file: ./data.csv\n  - pattern: ./nothing/*.parquet\n');
    expect(error).toBeInstanceOf(SpecErrors);
    expect(error.message).toMatch(
      /MLTable:3:\d+: paths\[1\]\.pattern: no file matches pattern `\.\/nothing\/\*\.parquet`/,
    );
  });

  it('refuses remote URIs and a missing MLTable', async () => {
    const error = await loadError('paths:\n  - folder: azureml://datastores/x/paths/y\n');
    expect(error.message).toMatch(/paths\[0\]\.folder: remote URI/);
    await expect(loadMLTable(path.join(dir, 'missing'))).rejects.toBeInstanceOf(InputError);
  });

  it('refuses table transformations on a file list', async () => {
    const error = await loadError('paths:\n  - file: ./data.csv\ntransformations:\n  - take: 3\n');
    expect(error.message).toMatch(/`take` .* needs a read_delimited/);
  });

  it('fails reading undecodable utf8 with an error naming the data file and byte', async () => {
    await writeTree(dir, {
      MLTable: 'paths:\n  - file: ./bad.csv\ntransformations:\n  - read_delimited: {encoding: utf8}\n',
      'bad.csv': Buffer.concat([Buffer.from('a,b\nok,1\nbad'), Buffer.from([0xff, 0xfe]), Buffer.from(',2\n')]),
    });
    const table = await loadMLTable(dir);
    if (table.kind !== 'tabular') throw new Error('expected a tabular MLTable');
    const ranges = await collect(cutTable(table, { unit: 'bytes', value: 1 }));
    await expect(readTableBatch(ranges.slice(0, 1), table.reader, table.transforms)).resolves.toMatchObject({
      rows: [['ok', 1]],
    });
    const failure = readTableBatch(ranges.slice(1), table.reader, table.transforms);
    await expect(failure).rejects.toBeInstanceOf(InputError);
    await expect(failure).rejects.toThrow(`${path.join(dir, 'bad.csv')}: byte 12 is not valid utf8`);
  });

  it('fails on a JSON line that does not parse with invalid_lines: error, and drops it with drop', async () => {
    const lines = '{"a": 1}\n{"a": 2, "b": "x"}\n{oops\n\n{"a": 4}\n';
    await writeTree(dir, {
      MLTable: 'paths:\n  - file: ./d.jsonl\ntransformations:\n  - read_json_lines: {invalid_lines: error}\n',
      'd.jsonl': lines,
    });
    const strict = await loadMLTable(dir);
    if (strict.kind !== 'tabular') throw new Error('expected a tabular MLTable');
    const ranges = await collect(cutTable(strict, { unit: 'bytes', value: 1 << 20 }));
    await expect(readTableBatch(ranges, strict.reader, strict.transforms)).rejects.toThrow(
      `${path.join(dir, 'd.jsonl')}: the line at byte ${lines.indexOf('{oops')} is not a JSON object`,
    );
    await writeTree(dir, {
      MLTable: 'paths:\n  - file: ./d.jsonl\ntransformations:\n  - read_json_lines: {invalid_lines: drop}\n',
    });
    const lenient = await loadMLTable(dir);
    if (lenient.kind !== 'tabular') throw new Error('expected a tabular MLTable');
    const batch = await readTableBatch(ranges, lenient.reader, lenient.transforms);
    expect(batch.columns).toEqual(['a', 'b']);
    expect(batch.rows).toEqual([
      [1, null],
      [2, 'x'],
      [4, null],
    ]);
  });

  it('applies take and skip over the whole table in MLTable order', async () => {
    await writeTree(dir, {
      MLTable: 'paths:\n  - pattern: ./*.csv\ntransformations:\n  - read_delimited: {}\n  - skip: 2\n  - take: 3\n',
      '1.csv': 'n\n0\n1\n',
      '2.csv': 'n\n2\n\n3\n',
      '3.csv': 'n\n4\n5\n',
    });
    const table = await loadMLTable(dir);
    if (table.kind !== 'tabular') throw new Error('expected a tabular MLTable');
    for (const size of [
      { unit: 'bytes', value: 1 },
      { unit: 'rows', value: 2 },
      { unit: 'bytes', value: 1000 },
    ] as const) {
      const ranges = await collect(cutTable(table, size));
      const rows: unknown[] = [];
      for (const range of ranges)
        rows.push(...(await readTableBatch([range], table.reader, table.transforms)).rows.map((r) => r[0]));
      expect(rows, JSON.stringify(size)).toEqual([2, 3, 4]);
    }
  });
});
