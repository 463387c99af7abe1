import { describe, expect, it } from 'vitest';

import { nearestKey, unknownKeyMessage } from '../../../src/jobspec/nearest-key.js';

const STEP_KEYS = ['mini_batch_size', 'mini_batch_error_threshold', 'input_data', 'inputs', 'outputs', 'task'];

describe('nearestKey', () => {
  it.each([
    ['mini_batch_sise', 'mini_batch_size'],
    ['input', 'inputs'],
    ['taks', 'task'],
    ['zzzzzzzzzzzzzz', undefined],
  ])('%s → %s', (key, near) => {
    expect(nearestKey(key, STEP_KEYS)).toBe(near);
  });

  it('has nothing to suggest without candidates', () => {
    expect(nearestKey('a', [])).toBeUndefined();
  });
});

describe('unknownKeyMessage', () => {
  it('suggests the nearest key, or lists the valid ones when none is close', () => {
    expect(unknownKeyMessage('outptus', STEP_KEYS)).toBe('unknown key; did you mean "outputs"?');
    expect(unknownKeyMessage('zzzzzzzzzzzzzz', ['b', 'a'])).toBe('unknown key "zzzzzzzzzzzzzz"; expected one of: a, b');
  });
});
