import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { InputError } from '../../../src/errors.js';
import { cutByBytes } from '../../../src/input/tabular/cut-by-bytes.js';
import { formatTableRows } from '../../../src/input/tabular/format-table-rows.js';
import { readTableBatch } from '../../../src/input/tabular/read-table-batch.js';
import { collect, delimited, makeTempDir, removeDir, writeTree } from './helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir();
});
afterAll(async () => {
  await removeDir(dir);
});

async function readWhole(
  name: string,
  content: string | Buffer,
  reader = delimited(),
  transforms: Parameters<typeof readTableBatch>[2] = [],
) {
  await writeTree(dir, { [name]: content });
  const ranges = await collect(cutByBytes(path.join(dir, name), 1 << 20, reader));
  return readTableBatch(ranges, reader, transforms);
}

describe('readTableBatch', () => {
  it('infers int, float, bool and string from the sample and keeps empty as null', async () => {
    const batch = await readWhole(
      'types.csv',
      'i,f,b,s,e\n1,1.5,true,x,\n-2,3,False,7,\n',
      delimited({ inferColumnTypes: true }),
    );
    expect(batch.rows).toEqual([
      [1, 1.5, true, 'x', null],
      [-2, 3, false, '7', null],
    ]);
  });

  it('keeps empty fields as strings with empty_as_string and adds the Path column first', async () => {
    const batch = await readWhole(
      'empty.csv',
      'a,b\n,1\n',
      delimited({ emptyAsString: true, includePathColumn: true }),
    );
    expect(batch.columns).toEqual(['Path', 'a', 'b']);
    expect(batch.rows).toEqual([[path.join(dir, 'empty.csv'), '', '1']]);
  });

  it('applies keep/drop/convert in MLTable order', async () => {
    const batch = await readWhole('conv.csv', 'a,b,c,d\n1,yes,2024-01-02,x\n2,no,bad,y\n', delimited(), [
      { kind: 'drop_columns', columns: ['d'] },
      {
        kind: 'convert_column_types',
        conversions: [
          { columns: ['a'], columnType: { type: 'float' } },
          {
            columns: ['b'],
            columnType: { type: 'boolean', trueValues: ['yes'], falseValues: ['no'], mismatchAs: 'error' },
          },
          { columns: ['c'], columnType: { type: 'datetime', formats: ['%Y-%m-%d'] } },
        ],
      },
      { kind: 'keep_columns', columns: ['c', 'b', 'a'] },
    ]);
    expect(batch.columns).toEqual(['c', 'b', 'a']);
    expect(batch.rows).toEqual([
      ['2024-01-02T00:00:00.000Z', true, 1],
      [null, false, 2],
    ]);
  });

  it('decodes latin1 and windows1252', async () => {
    const latin = await readWhole('l1.csv', Buffer.from([0x61, 0x0a, 0xe9, 0x0a]), delimited({ encoding: 'latin1' }));
    expect(latin.rows).toEqual([['é']]);
    const cp = await readWhole('cp.csv', Buffer.from([0x61, 0x0a, 0x80, 0x0a]), delimited({ encoding: 'windows1252' }));
    expect(cp.rows).toEqual([['€']]);
  });

  it('fails a record with more fields than the header, naming the file', async () => {
    await expect(readWhole('wide.csv', 'a,b\n1,2,3\n')).rejects.toThrow(InputError);
    await expect(readWhole('wide.csv', 'a,b\n1,2,3\n')).rejects.toThrow(
      /wide\.csv: record 1 .* has 3 fields but the header has 2/,
    );
  });

  it('fails a keep_columns of a missing column with the columns listed', async () => {
    await expect(
      readWhole('keep.csv', 'a,b\n1,2\n', delimited(), [{ kind: 'keep_columns', columns: ['z'] }]),
    ).rejects.toThrow(/no column `z`; the columns are: a, b/);
  });
});

describe('formatTableRows', () => {
  it('writes space-separated rows with pandas quoting and no header', () => {
    const text = formatTableRows([
      ['plain', 1, null, true],
      ['has space', 'q"uote', 'new\nline', 2.5],
    ]);
    expect(text).toBe('plain 1  True\n"has space" "q""uote" "new\nline" 2.5\n');
  });

  it('writes object rows in column order, a lone empty field as ""', () => {
    expect(formatTableRows([{ b: 2, a: 1 }, { a: 3 }], ['a', 'b'])).toBe('1 2\n3 \n');
    expect(formatTableRows([{ b: 2, a: 1 }])).toBe('2 1\n');
    expect(formatTableRows([[null], ['']])).toBe('""\n""\n');
  });
});
