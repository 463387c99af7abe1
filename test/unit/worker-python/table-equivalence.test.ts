/**
 * Workers read their own mini-batches: for generated tables full of quoting hazards (quotes, commas,
 * newlines and CRLF inside fields, BOM, empty fields, nulls, blank lines, rows of empty fields), the
 * rows the JS worker (src/input's reader, via loadMiniBatch) and the Python worker (table_read.py,
 * pandas' C parser) read from each byte range of a cut are the rows of the file read whole, each once,
 * in order, with the same JSON type per cell in both languages. Bad data fails with the same message.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ByteRange, DelimitedReader, TableTransform } from '../../../src/input/mltable/model.js';
import { cutByBytes } from '../../../src/input/tabular/cut-by-bytes.js';
import { decideTableSchema, readTableBatch } from '../../../src/input/tabular/read-table-batch.js';
import type { TableSchema } from '../../../src/input/tabular/tabular-settings.js';
import { loadMiniBatch } from '../../../src/worker/js/mini-batch.js';
import { pandasPython } from '../../helpers/python.js';
import { collect, delimited, makeTempDir, removeDir } from '../input/helpers.js';

const RUNTIME = path.resolve('src/worker/python');
const READ_RANGES = path.resolve('test/helpers/python-read-ranges.py');

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir();
});
afterAll(async () => {
  await removeDir(dir);
});

/** A small deterministic PRNG (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MULTI_LINE_TEXTS = ['line one\nline two', 'crlf\r\ninside', 'ends with newline\n'];
const ONE_LINE_TEXTS = ['plain', 'a,b', 'say "hi"', '"', '""', ',', ' padded ', 'ünïcødé ✓', '', 'x"y'];

interface Generated {
  readonly file: string;
  /** The rows as a reader must give them (types by construction; empty → null or ''). */
  readonly expected: unknown[][];
}

/**
 * Writes a table `text,int,float,flag` of `rows` rows. Every text field is quoted when it must be and
 * at random otherwise; numbers and flags are sometimes missing (empty fields).
 */
function generate(
  name: string,
  seed: number,
  rows: number,
  options: { multiLine: boolean; crlf: boolean; bom: boolean; emptyAsString: boolean },
): Generated {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const texts = options.multiLine ? [...ONE_LINE_TEXTS, ...MULTI_LINE_TEXTS] : ONE_LINE_TEXTS;
  const eol = options.crlf ? '\r\n' : '\n';
  const quote = (text: string, must: boolean) => (must || next() < 0.3 ? `"${text.replace(/"/g, '""')}"` : text);
  const empty = options.emptyAsString ? '' : null;
  let body = `text,int,float,flag${eol}`;
  const expected: unknown[][] = [];
  for (let r = 0; r < rows; r++) {
    if (next() < 0.05) body += eol; // a blank line: skipped by both readers
    if (next() < 0.03) {
      body += `,,,${eol}`; // a record of empty fields
      expected.push([empty, empty, empty, empty]);
      continue;
    }
    const text = pick(texts);
    const int = next() < 0.15 ? undefined : Math.floor(next() * 2000) - 1000;
    const float = next() < 0.15 ? undefined : Math.floor(next() * 4000) / 8 - 250;
    const flag = next() < 0.15 ? undefined : pick(['true', 'false', 'TRUE', 'False']);
    const mustQuote = /[",\r\n]/.test(text);
    body += [quote(text, mustQuote), int ?? '', float ?? '', flag ?? ''].join(',') + eol;
    expected.push([
      text === '' ? empty : text,
      int ?? empty,
      float ?? empty,
      flag === undefined ? empty : flag.toLowerCase() === 'true',
    ]);
  }
  const file = path.join(dir, name);
  writeFileSync(file, Buffer.concat([Buffer.from(options.bom ? [0xef, 0xbb, 0xbf] : []), Buffer.from(body, 'utf8')]));
  return { file, expected };
}

interface PythonBatch {
  readonly columns?: string[];
  readonly rows?: unknown[][];
  readonly types?: string[][];
  readonly error?: string;
}

/** Reads each batch of ranges with the Python worker's reader (one interpreter for all). */
function readWithPython(
  settings: unknown,
  batches: readonly (readonly ByteRange[])[],
  partitionKeyValues?: readonly (Record<string, unknown> | null)[],
): PythonBatch[] {
  const request = JSON.stringify({ runtime: RUNTIME, settings, batches, partitionKeyValues });
  const run = spawnSync(pandasPython(), [READ_RANGES], { input: request, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (run.status !== 0) throw new Error(`python-read-ranges.py failed (${run.status}): ${run.stderr}`);
  return run.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as PythonBatch);
}

const jsonType = (value: unknown): string => (value === null ? 'null' : typeof value);

interface Variant {
  readonly name: string;
  readonly reader: DelimitedReader;
  readonly crlf: boolean;
  readonly bom: boolean;
  readonly transforms?: readonly TableTransform[];
}

const VARIANTS: readonly Variant[] = [
  {
    name: 'multi-line, CRLF, BOM, types inferred',
    reader: delimited({ supportMultiLine: true, inferColumnTypes: true }),
    crlf: true,
    bom: true,
  },
  {
    name: 'multi-line, LF, empty_as_string, include_path_column, no inference',
    reader: delimited({ supportMultiLine: true, emptyAsString: true, includePathColumn: true }),
    crlf: false,
    bom: false,
  },
  {
    name: 'one record per line, CRLF, no inference',
    reader: delimited({ supportMultiLine: false, inferColumnTypes: false }),
    crlf: true,
    bom: false,
  },
  {
    name: 'one record per line, BOM, types inferred',
    reader: delimited({ supportMultiLine: false, inferColumnTypes: true }),
    crlf: false,
    bom: true,
  },
];

/** The generator's rows as `reader` gives them: strings when types are not inferred, Path first. */
function expectedRows(generated: Generated, reader: DelimitedReader): unknown[][] {
  return generated.expected.map((row) => {
    const values = reader.inferColumnTypes
      ? row
      : row.map((value) => (value === null || typeof value === 'string' ? value : String(value)));
    // Without inference, a flag reads back as written: the generator's spelling is lost, so compare
    // the lower-cased text.
    return reader.includePathColumn ? [generated.file, ...values] : values;
  });
}

function normaliseFlags(rows: readonly (readonly unknown[])[], flagColumn: number, inferred: boolean): unknown[][] {
  return rows.map((row) =>
    row.map((value, c) => (!inferred && c === flagColumn && typeof value === 'string' ? value.toLowerCase() : value)),
  );
}

describe('workers read their own mini-batches: every byte range, JS and Python, gives the rows of the whole file', () => {
  VARIANTS.forEach((variant, v) => {
    it(variant.name, async () => {
      const generated = generate(`table-${v}.csv`, 1000 + v, 400, {
        multiLine: variant.reader.supportMultiLine,
        crlf: variant.crlf,
        bom: variant.bom,
        emptyAsString: variant.reader.emptyAsString,
      });
      const transforms = variant.transforms ?? [];
      const whole = await collect(cutByBytes(generated.file, 1 << 30, variant.reader));
      const schema: TableSchema = await decideTableSchema(whole, variant.reader, transforms);
      const settings = { reader: variant.reader, transforms, schema };
      const flagColumn = 3 + (variant.reader.includePathColumn ? 1 : 0);
      const inferred = variant.reader.inferColumnTypes;

      const wholeBatch = await readTableBatch(whole, variant.reader, transforms, undefined, schema);
      const expected = normaliseFlags(expectedRows(generated, variant.reader), flagColumn, inferred);
      expect(normaliseFlags(wholeBatch.rows, flagColumn, inferred)).toEqual(expected);

      // Both cuts' ranges go to one Python interpreter (each start imports pandas: seconds under load).
      const cuts = await Promise.all(
        [61, 500].map(async (size) => ({
          size,
          ranges: await collect(cutByBytes(generated.file, size, variant.reader)),
        })),
      );
      const python = readWithPython(
        settings,
        cuts.flatMap(({ ranges }) => ranges.map((range) => [range])),
      );
      for (const { size, ranges } of cuts) {
        expect(ranges.length).toBeGreaterThan(3);

        const jsRows: unknown[][] = [];
        for (const range of ranges) {
          const { items } = await loadMiniBatch({ type: 'run', miniBatchId: 0, attempt: 1, ranges: [range] }, settings);
          for (const record of items as Record<string, unknown>[]) jsRows.push(Object.values(record));
        }
        expect(normaliseFlags(jsRows, flagColumn, inferred), `JS, ${size}-byte ranges`).toEqual(expected);

        const batches = python.splice(0, ranges.length);
        const pyRows: unknown[][] = [];
        for (const batch of batches) {
          expect(batch.error).toBeUndefined();
          expect(batch.columns).toEqual([...wholeBatch.columns]);
          pyRows.push(...(batch.rows ?? []));
        }
        expect(normaliseFlags(pyRows, flagColumn, inferred), `Python, ${size}-byte ranges`).toEqual(expected);
        // Same JSON type per cell in both languages (an int column is numbers in both, a null is null).
        const pyTypes = batches.flatMap((batch) => batch.types ?? []);
        expect(pyTypes).toEqual(jsRows.map((row) => row.map(jsonType)));
      }
    });
  });

  it('values past the probe that do not fit their column type stay text, in both', async () => {
    const file = path.join(dir, 'misfits.csv');
    const odd = [
      ['n/a', 'inf', 'tRuE'],
      ['1.5', 'nan', 'yes'],
      [' 7', '1e5', ''],
      ['9007199254740993', '.5', 'false'],
      ['+5', '-0', 'TRUE'],
      ['007', ' 2.5', 'True '],
      ['', 'Infinity', 'FALSE'],
    ];
    let text = 'int,float,flag\n';
    for (let r = 0; r < 250; r++) text += `${r},${r / 4},${r % 2 === 0}\n`;
    for (const row of odd) text += `${row.join(',')}\n`;
    writeFileSync(file, text);
    const reader = delimited({ supportMultiLine: true, inferColumnTypes: true });
    const whole = await collect(cutByBytes(file, 1 << 30, reader));
    const schema = await decideTableSchema(
      await collect(cutByBytes(file, 200 * 12, reader)).then((r) => r.slice(0, 1)),
      reader,
      [],
    );
    expect(schema.inferredTypes).toEqual({ int: 'int', float: 'float', flag: 'bool' });
    const js = await readTableBatch(whole, reader, [], undefined, schema);
    expect(js.rows.slice(250)).toEqual([
      ['n/a', 'inf', true],
      ['1.5', 'nan', 'yes'],
      [' 7', 100000, null],
      ['9007199254740993', 0.5, false],
      [5, -0, true],
      [7, ' 2.5', 'True '],
      [null, 'Infinity', false],
    ]);
    const ranges = await collect(cutByBytes(file, 700, reader));
    // Each alone in its mini-batch, where nothing else in the column is odd: a number with a blank
    // beside it, and "1.0" in an int column with a missing value, stay text.
    const alone = path.join(dir, 'alone.csv');
    writeFileSync(alone, 'int,float,flag\n1, 7,true\n2,1.5 ,false\n1.0,2.5,true\n,3,false\n');
    const aloneRanges = await collect(cutByBytes(alone, 1 << 20, reader));
    // One interpreter reads both files' mini-batches (the alone one last).
    const python = readWithPython({ reader, transforms: [], schema }, [...ranges.map((range) => [range]), aloneRanges]);
    const pyAlone = python.pop();
    expect(python.flatMap((batch) => batch.rows ?? [])).toEqual(js.rows);
    const jsAlone = await readTableBatch(aloneRanges, reader, [], undefined, schema);
    expect(jsAlone.rows).toEqual([
      [1, ' 7', true],
      [2, '1.5 ', false],
      ['1.0', 2.5, true],
      [null, 3, false],
    ]);
    expect(pyAlone?.rows).toEqual(jsAlone.rows);
  });

  it('blanks inside quoted text leave numbers typed; a quoted number with a blank stays text, in both', async () => {
    const file = path.join(dir, 'quoted-blanks.csv');
    writeFileSync(file, 'text,int,float\n"a, b",1,2.5\n"c ,d"," 7",1.5\n"e\n f",2,"3.5 "\nx,"8",4\n');
    const reader = delimited({ supportMultiLine: true, inferColumnTypes: true });
    const ranges = await collect(cutByBytes(file, 1 << 20, reader));
    // As a probe of the table's first rows (all numbers there) decides it.
    const schema: TableSchema = { inferredTypes: { text: 'string', int: 'int', float: 'float' } };
    const js = await readTableBatch(ranges, reader, [], undefined, schema);
    expect(js.rows).toEqual([
      ['a, b', 1, 2.5],
      ['c ,d', ' 7', 1.5],
      ['e\n f', 2, '3.5 '],
      ['x', 8, 4],
    ]);
    // Alone in its mini-batch, with no blank beside a delimiter anywhere.
    const alone = path.join(dir, 'quoted-number.csv');
    writeFileSync(alone, 'text,int,float\nx," 7",1.5\n');
    const aloneRanges = await collect(cutByBytes(alone, 1 << 20, reader));
    const [py, pyAlone] = readWithPython({ reader, transforms: [], schema }, [ranges, aloneRanges]);
    expect(py?.rows).toEqual(js.rows);
    expect(py?.types).toEqual(js.rows.map((row) => row.map(jsonType)));
    const jsAlone = await readTableBatch(aloneRanges, reader, [], undefined, schema);
    expect(jsAlone.rows).toEqual([['x', ' 7', 1.5]]);
    expect(pyAlone?.rows).toEqual(jsAlone.rows);
  });

  it('a line of blanks is a record in both (pandas alone would skip it)', async () => {
    const file = path.join(dir, 'blanks.csv');
    writeFileSync(file, 'only\na\n \n\t\nb\n');
    const reader = delimited({ supportMultiLine: true });
    const ranges = await collect(cutByBytes(file, 1 << 20, reader));
    const js = await readTableBatch(ranges, reader, []);
    const [py] = readWithPython({ reader, transforms: [] }, [ranges]);
    expect(js.rows).toEqual([['a'], [' '], ['\t'], ['b']]);
    expect(py?.rows).toEqual(js.rows);
  });

  it('bad data fails the mini-batch with the same message in JS and Python', async () => {
    const wide = path.join(dir, 'wide.csv');
    writeFileSync(wide, 'a,b\n1,2\n3,4,5\n');
    const latin = path.join(dir, 'latin.csv');
    writeFileSync(latin, Buffer.concat([Buffer.from('a,b\n1,'), Buffer.from([0xe9]), Buffer.from('\n')]));
    const reader = delimited({ supportMultiLine: true });
    const batches = [
      await collect(cutByBytes(wide, 1 << 20, reader)),
      await collect(cutByBytes(latin, 1 << 20, reader)),
    ];
    const python = readWithPython({ reader, transforms: [] }, batches);
    for (const [index, ranges] of batches.entries()) {
      const jsError = await readTableBatch(ranges, reader, []).then(
        () => undefined,
        (error: Error) => error.message,
      );
      expect(jsError).toBeDefined();
      expect(python[index]?.error).toBe(jsError);
    }
  });
});
