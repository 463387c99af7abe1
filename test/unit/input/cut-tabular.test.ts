import { stat } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { DelimitedReader } from '../../../src/input/mltable/model.js';
import { cutByBytes } from '../../../src/input/tabular/cut-by-bytes.js';
import { cutByRows } from '../../../src/input/tabular/cut-by-rows.js';
import {
  collect,
  delimited,
  expectOrderedDisjoint,
  makeTempDir,
  removeDir,
  rowsOfRanges,
  writeTree,
} from './helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir();
});
afterAll(async () => {
  await removeDir(dir);
});

interface NastyCase {
  readonly name: string;
  readonly content: string | Buffer;
  readonly reader: DelimitedReader;
  /** The rows of the file, parsed whole by hand. */
  readonly rows: readonly (readonly (string | null)[])[];
  readonly columns?: readonly string[];
}

const bigField = 'x'.repeat(300);
const cases: readonly NastyCase[] = [
  {
    name: 'quoted delimiters',
    content: 'a,b\n"x,1",2\n"y,,2",3\n',
    reader: delimited(),
    rows: [
      ['x,1', '2'],
      ['y,,2', '3'],
    ],
  },
  {
    name: 'quoted newlines with support_multi_line',
    content: 'a,b\n"line1\nline2",1\nplain,2\n"x\r\ny",3\n"a ""q""\n,b",4\n',
    reader: delimited({ supportMultiLine: true }),
    rows: [
      ['line1\nline2', '1'],
      ['plain', '2'],
      ['x\r\ny', '3'],
      ['a "q"\n,b', '4'],
    ],
  },
  {
    name: 'quoted newlines without support_multi_line (every newline ends a record)',
    content: 'a,b\n"line1\nline2",1\nplain,2\n',
    reader: delimited(),
    rows: [
      ['line1', null],
      ['line2"', '1'],
      ['plain', '2'],
    ],
  },
  {
    name: 'CRLF',
    content: 'a,b\r\n1,2\r\n3,4\r\n',
    reader: delimited(),
    rows: [
      ['1', '2'],
      ['3', '4'],
    ],
  },
  { name: 'BOM', content: '\uFEFFa,b\n1,2\n', reader: delimited(), rows: [['1', '2']], columns: ['a', 'b'] },
  {
    name: 'BOM with a quoted first data field and no header',
    content: '\uFEFF"q,1",2\n',
    reader: delimited({ header: 'no_header', supportMultiLine: true }),
    rows: [['q,1', '2']],
    columns: ['Column1', 'Column2'],
  },
  {
    name: 'empty last line and blank lines',
    content: 'a,b\n1,2\n\n3,4\r\n\r\n\n',
    reader: delimited(),
    rows: [
      ['1', '2'],
      ['3', '4'],
    ],
  },
  {
    name: 'no trailing newline',
    content: 'a,b\n1,2\n3,4',
    reader: delimited(),
    rows: [
      ['1', '2'],
      ['3', '4'],
    ],
  },
  {
    name: 'a row larger than the mini-batch',
    content: `a,b\n${bigField},1\n2,3\n"${bigField}\n${bigField}",4\n`,
    reader: delimited({ supportMultiLine: true }),
    rows: [
      [bigField, '1'],
      ['2', '3'],
      [`${bigField}\n${bigField}`, '4'],
    ],
  },
  { name: 'empty file', content: '', reader: delimited(), rows: [] },
  { name: 'header only', content: 'a,b\n', reader: delimited(), rows: [] },
  { name: 'header only without newline', content: 'a,b', reader: delimited(), rows: [] },
  {
    name: 'no_header keeps the first line',
    content: '1,2\n3,4\n',
    reader: delimited({ header: 'no_header' }),
    rows: [
      ['1', '2'],
      ['3', '4'],
    ],
    columns: ['Column1', 'Column2'],
  },
  {
    name: 'multi-line quoted header',
    content: '"a\nA",b\n1,2\n',
    reader: delimited({ supportMultiLine: true }),
    rows: [['1', '2']],
    columns: ['a\nA', 'b'],
  },
  {
    name: 'literal quote inside an unquoted field',
    content: 'a,b\n5" pipe,1\n"ok\n",2\n',
    reader: delimited({ supportMultiLine: true }),
    rows: [
      ['5" pipe', '1'],
      ['ok\n', '2'],
    ],
  },
  {
    name: 'tab delimiter with quoted tabs',
    content: 'a\tb\n"1\t1"\t2\n',
    reader: delimited({ delimiter: '\t' }),
    rows: [['1\t1', '2']],
  },
];

describe('cutByBytes / cutByRows on nasty files', () => {
  for (const testCase of cases) {
    it(`${testCase.name}: every range's rows, read separately, equal the file's rows once each`, async () => {
      const file = path.join(dir, `${testCase.name.replace(/\W+/g, '-')}.csv`);
      await writeTree(dir, { [path.basename(file)]: testCase.content });
      const size = (await stat(file)).size;
      // Every byte size from 1 to past the file: cut points land on every byte, inside quotes too.
      for (let bytes = 1; bytes <= size + 1; bytes += bytes < 40 ? 1 : 37) {
        const ranges = await collect(cutByBytes(file, bytes, testCase.reader));
        expectOrderedDisjoint(ranges, size);
        const read = await rowsOfRanges(ranges, testCase.reader);
        expect(read.rows, `bytesPerMiniBatch=${bytes}`).toEqual(testCase.rows);
        if (testCase.columns) for (const columns of read.columns) expect(columns).toEqual(testCase.columns);
        if (bytes > size) expect(ranges.length).toBe(testCase.rows.length === 0 ? 0 : 1);
      }
      for (const rows of [1, 2, 5]) {
        const ranges = await collect(cutByRows(file, rows, testCase.reader));
        expectOrderedDisjoint(ranges, size);
        expect(
          ranges.every((range, i) => range.rows === (i < ranges.length - 1 ? rows : range.rows) && range.rows <= rows),
        ).toBe(true);
        expect(ranges.reduce((sum, range) => sum + range.rows, 0)).toBe(testCase.rows.length);
        const read = await rowsOfRanges(ranges, testCase.reader);
        expect(read.rows, `rowsPerMiniBatch=${rows}`).toEqual(testCase.rows);
      }
    });
  }

  it('empty and header-only files give zero ranges', async () => {
    await writeTree(dir, { 'zero.csv': '', 'head.csv': 'a,b\r\n' });
    expect(await collect(cutByBytes(path.join(dir, 'zero.csv'), 10, delimited()))).toEqual([]);
    expect(await collect(cutByBytes(path.join(dir, 'head.csv'), 10, delimited()))).toEqual([]);
    expect(await collect(cutByRows(path.join(dir, 'head.csv'), 10, delimited()))).toEqual([]);
  });

  it('a file smaller than one mini-batch is one range without its header', async () => {
    await writeTree(dir, { 'small.csv': 'a,b\n1,2\n' });
    const ranges = await collect(cutByBytes(path.join(dir, 'small.csv'), 1024 * 1024, delimited()));
    expect(ranges).toEqual([{ path: path.join(dir, 'small.csv'), start: 4, end: 8 }]);
  });

  it('tracks quotes across the 4 MiB read chunks (an escaped quote pair straddling the chunk edge)', async () => {
    const chunk = 4 * 1024 * 1024;
    const header = 'a,b\n';
    const filler = `${'z'.repeat(99)}\n`;
    let body = '';
    while (header.length + body.length + filler.length < chunk - 50) body += filler;
    // A quoted field whose `""` pair sits at bytes chunk-1 and chunk, and a newline inside quotes after it.
    const before = chunk - header.length - body.length - 1 - '"start'.length;
    const quoted = `"start${'q'.repeat(before)}""\nstill quoted,""x"`;
    const content = `${header}${body}${quoted},1\nlast,2\n`;
    expect(content.indexOf('""', header.length + body.length)).toBe(chunk - 1);
    await writeTree(dir, { 'straddle.csv': content });
    const reader = delimited({ supportMultiLine: true });
    const ranges = await collect(cutByBytes(path.join(dir, 'straddle.csv'), 1024 * 1024, reader));
    const { rows } = await rowsOfRanges(ranges, reader);
    const expectedQuoted = `start${'q'.repeat(before)}"\nstill quoted,"x`;
    expect(rows.length).toBe(body.length / filler.length + 2);
    expect(rows[rows.length - 2]).toEqual([expectedQuoted, '1']);
    expect(rows[rows.length - 1]).toEqual(['last', '2']);
    // Counting rows walks records across the chunk edge too; blank lines straddle nothing here.
    const byRows = await collect(cutByRows(path.join(dir, 'straddle.csv'), 9000, reader));
    expect(byRows.reduce((sum, range) => sum + range.rows, 0)).toBe(rows.length);
    expect((await rowsOfRanges(byRows, reader)).rows).toEqual(rows);
  });
});
