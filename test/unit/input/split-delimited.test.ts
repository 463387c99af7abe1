import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';

import { splitDelimited } from '../../../src/input/tabular/split-delimited.js';

/** csv-parse with read-delimited.ts's options: what the fast splitter must agree with. */
function csvParse(text: string): string[][] | 'error' {
  try {
    return parse(text, {
      delimiter: ',',
      quote: '"',
      escape: '"',
      record_delimiter: ['\r\n', '\n'],
      relax_quotes: true,
      relax_column_count: true,
      skip_empty_lines: true,
      bom: false,
    }) as string[][];
  } catch {
    return 'error';
  }
}

describe('splitDelimited', () => {
  it('splits quoted fields with delimiters, doubled quotes and line ends, CRLF and empty lines', () => {
    expect(splitDelimited('a,"b,c","say ""hi""\r\nthere"\r\n\r\n,,\nx"y,\r', ',')).toEqual([
      ['a', 'b,c', 'say "hi"\r\nthere'],
      ['', '', ''],
      ['x"y', '\r'],
    ]);
  });

  it('gives up on quoting csv-parse reads its own way (text after a closing quote, a quote left open)', () => {
    expect(splitDelimited('"ab"c,d\n', ',')).toBeUndefined();
    expect(splitDelimited('a,"b\n', ',')).toBeUndefined();
  });

  it('agrees with csv-parse on every text it does not give up on (20,000 generated texts)', () => {
    const alphabet = ['a', 'b', ',', '"', '\n', '\r', '\r\n', ' ', '""', 'é'];
    let state = 7;
    const next = (): number => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state / 2147483648;
    };
    let split = 0;
    for (let i = 0; i < 20_000; i++) {
      let text = '';
      const length = Math.floor(next() * 14);
      for (let j = 0; j < length; j++) text += alphabet[Math.floor(next() * alphabet.length)];
      const records = splitDelimited(text, ',');
      if (records === undefined) continue;
      split++;
      const parsed = csvParse(text);
      // expect() costs more than both parsers: call it only where the two differ, so it reports that text.
      if (JSON.stringify(records) !== JSON.stringify(parsed)) expect(records, JSON.stringify(text)).toEqual(parsed);
    }
    // Most texts take the fast path.
    expect(split).toBeGreaterThan(10_000);
  });
});
