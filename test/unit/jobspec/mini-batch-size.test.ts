import { describe, expect, it } from 'vitest';

import { parseMiniBatchSize } from '../../../src/jobspec/mini-batch-size.js';

describe('parseMiniBatchSize', () => {
  it.each([
    ['10', 10, 'plain'],
    [10, 10, 'plain'],
    ['1024', 1024, 'plain'],
    ['10kb', 10 * 1024, 'bytes'],
    ['10KB', 10 * 1024, 'bytes'],
    ['100mb', 100 * 1024 ** 2, 'bytes'],
    ['1Gb', 1024 ** 3, 'bytes'],
    ['500 rows', 500, 'rows'],
    ['500rows', 500, 'rows'],
    ['1 row', 1, 'rows'],
  ] as const)('%j is %i (%s)', (raw, value, unit) => {
    expect(parseMiniBatchSize(raw)).toEqual({ ok: true, size: { value, unit, text: String(raw) } });
  });

  it.each([['ten'], ['100 kb'], ['10tb'], ['-5'], ['1.5'], [''], [2.5]])(
    '%j is refused with the expected forms',
    (raw) => {
      const result = parseMiniBatchSize(raw);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.message).toContain(String.raw`^\d+([kKmMgG][bB])*$`);
    },
  );

  it.each([['0'], [0], ['0kb'], ['0 rows']])('%j is refused as below 1', (raw) => {
    const result = parseMiniBatchSize(raw);
    expect(result).toEqual({ ok: false, message: expect.stringContaining('at least 1') });
  });
});
