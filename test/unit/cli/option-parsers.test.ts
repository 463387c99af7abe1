import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';

import { parseDuration } from '../../../src/cli/option-parsers.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['15m', 900_000],
    ['1.5h', 5_400_000],
    [' 2m ', 120_000],
    ['1d', 86_400_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['15', '', 'm', '-1s', '0s', '1w', '1 m', 'abc'])('refuses %j with the expected form', (text) => {
    expect(() => parseDuration(text)).toThrow(InvalidArgumentError);
    expect(() => parseDuration(text)).toThrow(/e\.g\. 500ms, 30s, 15m or 2h/);
  });
});
