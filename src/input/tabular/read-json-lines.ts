/**
 * Reads the rows of a byte range of a JSON-lines file: one JSON object per line, blank lines skipped.
 * Columns are the keys in the order first seen; a missing key is null.
 */
import { InputError } from '../../errors.js';
import type { ByteRange, JsonLinesReader } from '../mltable/model.js';
import { readRangeText } from './read-delimited.js';

/** Rows of one range, as objects (before they become arrays in the batch). */
export async function readJsonLinesObjects(
  range: ByteRange,
  reader: JsonLinesReader,
): Promise<Record<string, unknown>[]> {
  const objects: Record<string, unknown>[] = [];
  // Byte offset of the current line, for error messages. Single-byte encodings: one byte per character.
  let lineOffset = range.start;
  const bytesOf = (text: string) =>
    reader.encoding === 'utf8' || reader.encoding === 'utf8bom' ? Buffer.byteLength(text, 'utf8') : text.length;
  const take = (line: string) => {
    const offset = lineOffset;
    lineOffset += bytesOf(line) + 1;
    if (line.trim() === '') return;
    let value: unknown;
    let problem: string | undefined;
    try {
      value = JSON.parse(line);
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        problem = 'the line is JSON but not an object';
    } catch (error) {
      problem = (error as Error).message;
    }
    if (problem === undefined) objects.push(value as Record<string, unknown>);
    else if (reader.invalidLines === 'error') {
      throw new InputError(
        `${range.path}: the line at byte ${offset} is not a JSON object (${problem}); fix it or set read_json_lines.invalid_lines: drop`,
      );
    }
  };
  let carry = '';
  for await (const text of readRangeText(range, reader.encoding)) {
    const lines = (carry + text).split('\n');
    carry = lines.pop() ?? '';
    for (const line of lines) take(line);
  }
  take(carry);
  return objects;
}
