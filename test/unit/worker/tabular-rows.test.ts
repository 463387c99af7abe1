/** append_row output of tabular mini-batches: rows as Azure writes a returned DataFrame. */
import { describe, expect, it } from 'vitest';

import { formatTabularRows } from '../../../src/worker/js/rows.js';

describe('formatTabularRows', () => {
  it('records: values of every key seen, first-seen order, missing keys empty, no header', () => {
    expect(
      formatTabularRows([
        { id: 1, name: 'a' },
        { id: 2, extra: true },
      ]),
    ).toBe('1 a \n2  True\n');
  });

  it('arrays: values in order, space-separated, pandas quoting', () => {
    expect(formatTabularRows([[1, 'two words', 'say "hi"', null, false, 'multi\nline']])).toBe(
      '1 "two words" "say ""hi"""  False "multi\nline"\n',
    );
  });

  it('strings stay as they are; a row of one empty value is written ""', () => {
    expect(formatTabularRows(['already formatted', [''], { a: null }])).toBe('already formatted\n""\n""\n');
  });
});
