/**
 * Reads the rows of byte ranges of a delimited file (split-delimited.ts, else csv-parse), using the same record
 * rules as the cutter: quotes per csv-parse `relax_quotes`, and without `support_multi_line` every
 * newline ends a record (a quoted field still open at the end of its line ends there).
 */
import { createReadStream } from 'node:fs';

import type { Options } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';

import { InputError } from '../../errors.js';
import type { ByteRange, DelimitedReader } from '../mltable/model.js';
import { closeOpenQuote } from './quote-tracker.js';
import { RecordCursor } from './record-cursor.js';
import { splitDelimited } from './split-delimited.js';
import { createChunkDecoder } from './text-decoding.js';

/** Raw records of one range: fields as strings (csv-parse gives '' for an empty field). */
export type RawRecord = string[];

function csvOptions(reader: DelimitedReader): Options {
  return {
    delimiter: reader.delimiter,
    quote: '"',
    escape: '"',
    record_delimiter: ['\r\n', '\n'],
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    bom: false,
  };
}

/** The records of `text`: split-delimited.ts's fast loop, or csv-parse where that gives up. */
function parseRecords(text: string, reader: DelimitedReader): RawRecord[] {
  return splitDelimited(text, reader.delimiter) ?? (parseSync(text, csvOptions(reader)) as RawRecord[]);
}

/** The decoded text of `[start, end)` of `file`, chunk by chunk. */
export async function* readRangeText(range: ByteRange, encoding: DelimitedReader['encoding']): AsyncGenerator<string> {
  if (range.end <= range.start) return;
  const decoder = createChunkDecoder(encoding, range.path, range.start);
  const stream = createReadStream(range.path, { start: range.start, end: range.end - 1, highWaterMark: 1024 * 1024 });
  try {
    for await (const chunk of stream) {
      const text = decoder.write(chunk as Buffer);
      if (text) yield text;
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`${range.path}: cannot read bytes ${range.start}–${range.end}: ${(error as Error).message}`);
  } finally {
    stream.destroy();
  }
  const rest = decoder.end();
  if (rest) yield rest;
}

/** Without support_multi_line: closes quotes left open at the end of each line (see closeOpenQuote). */
async function* oneRecordPerLine(texts: AsyncIterable<string>, delimiter: string): AsyncGenerator<string> {
  let carry = '';
  for await (const text of texts) {
    const lines = (carry + text).split('\n');
    carry = lines.pop() ?? '';
    if (lines.length > 0) yield `${lines.map((line) => closeOpenQuote(line, delimiter)).join('\n')}\n`;
  }
  if (carry) yield closeOpenQuote(carry, delimiter);
}

/**
 * Parses the records of one range (blank lines skipped). Errors name the file and the range.
 *
 * The range is read whole, then parsed in one synchronous call: a range is one mini-batch, whose
 * records are all kept anyway, and a stream interface costs a push and an awaited iteration per
 * record — about as much again as the parsing itself.
 */
export async function readDelimitedRecords(range: ByteRange, reader: DelimitedReader): Promise<RawRecord[]> {
  const texts = readRangeText(range, reader.encoding);
  const source = reader.supportMultiLine ? texts : oneRecordPerLine(texts, reader.delimiter);
  const pieces: string[] = [];
  for await (const text of source) pieces.push(text);
  try {
    return parseRecords(pieces.length === 1 ? (pieces[0] as string) : pieces.join(''), reader);
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(
      `${range.path}: bytes ${range.start}–${range.end} are not valid delimited text: ${(error as Error).message}`,
    );
  }
}

/**
 * The column names from the header record of `file` (the first non-blank record). Empty names become
 * `Column<n>` (1-based position) and repeated names get a `_<k>` suffix, so every column is addressable.
 */
export async function readHeaderColumns(file: string, reader: DelimitedReader): Promise<string[]> {
  const { cursor, header } = await RecordCursor.open(file, { ...reader, header: 'all_files_same_headers' });
  await cursor.close();
  if (!header)
    throw new InputError(
      `${file}: the file is empty, so it has no header record (read_delimited.header: ${reader.header})`,
    );
  let text = '';
  for await (const piece of readRangeText({ path: file, start: header.start, end: header.end }, reader.encoding))
    text += piece;
  if (!reader.supportMultiLine) text = closeOpenQuote(text.replace(/\r?\n$/, ''), reader.delimiter);
  let records: string[][];
  try {
    records = parseRecords(text, reader);
  } catch (error) {
    throw new InputError(`${file}: the header record is not valid delimited text: ${(error as Error).message}`);
  }
  return uniqueColumnNames(records[0] ?? []);
}

/** Empty names → `Column<n>`; repeats → `<name>_<k>` (k from 1). */
export function uniqueColumnNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.map((raw, index) => {
    const base = raw === '' ? `Column${index + 1}` : raw;
    let name = base;
    for (let k = 1; seen.has(name); k++) name = `${base}_${k}`;
    seen.add(name);
    return name;
  });
}

/** `Column1` … `Column<count>`: Azure's names for the columns of a file without a header. */
export function positionalColumnNames(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `Column${index + 1}`);
}
