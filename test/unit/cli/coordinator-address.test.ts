import { describe, expect, it } from 'vitest';

import {
  COORDINATOR_ENV,
  DEFAULT_COORDINATOR_ADDRESS,
  resolveCoordinatorAddress,
} from '../../../src/cli/coordinator-address.js';
import { UsageError } from '../../../src/cli/exit-codes.js';

describe('resolveCoordinatorAddress', () => {
  it('prefers the option, then the environment, then the default', () => {
    const env = { [COORDINATOR_ENV]: 'coord.example:9000' };
    expect(resolveCoordinatorAddress('10.0.0.5:7070', env)).toBe('10.0.0.5:7070');
    expect(resolveCoordinatorAddress(undefined, env)).toBe('coord.example:9000');
    expect(resolveCoordinatorAddress(undefined, {})).toBe(DEFAULT_COORDINATOR_ADDRESS);
    expect(resolveCoordinatorAddress(undefined, { [COORDINATOR_ENV]: '' })).toBe(DEFAULT_COORDINATOR_ADDRESS);
  });

  it('accepts bracketed IPv6 addresses', () => {
    expect(resolveCoordinatorAddress('[::1]:7070', {})).toBe('[::1]:7070');
  });

  it('accepts a comma-separated list (an active coordinator and its standbys) and names a bad member', () => {
    expect(resolveCoordinatorAddress(' a.example:7070, 10.0.0.6:7071 ', {})).toBe('a.example:7070,10.0.0.6:7071');
    expect(resolveCoordinatorAddress(undefined, { [COORDINATOR_ENV]: 'a:1,[::1]:2' })).toBe('a:1,[::1]:2');
    expect(() => resolveCoordinatorAddress('a:1,b', {})).toThrow('--coordinator: "b" is not a coordinator address');
  });

  it.each([
    ['localhost', '--coordinator'],
    ['host:port', '--coordinator'],
    ['host:70700', '--coordinator'],
    ['host:0', '--coordinator'],
    ['http://host:7070', '--coordinator'],
  ])('refuses %s and names where it came from', (value, source) => {
    expect(() => resolveCoordinatorAddress(value, {})).toThrow(UsageError);
    expect(() => resolveCoordinatorAddress(value, {})).toThrow(
      new RegExp(`^${source}: "${value.replace(/[[\]]/g, '\\$&')}" is not a coordinator address`),
    );
  });

  it('names the environment variable when its value is bad', () => {
    expect(() => resolveCoordinatorAddress(undefined, { [COORDINATOR_ENV]: 'nope' })).toThrow(
      `${COORDINATOR_ENV}: "nope"`,
    );
  });
});
