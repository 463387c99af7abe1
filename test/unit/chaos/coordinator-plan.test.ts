import { describe, expect, it } from 'vitest';

import { parseCoordinatorChaosPlan } from '../../../src/chaos/coordinator-plan.js';
import { ChaosSyntaxError } from '../../../src/chaos/model.js';

describe('coordinator chaos plan', () => {
  it('parses kill-coordinator at each of its points, and the empty plan', () => {
    expect(parseCoordinatorChaosPlan('kill-coordinator:after-commits=40')).toEqual({
      kill: { point: 'commit', count: 40 },
    });
    expect(parseCoordinatorChaosPlan(' kill-coordinator : after-commits=7 ')).toEqual({
      kill: { point: 'commit', count: 7 },
    });
    expect(parseCoordinatorChaosPlan('kill-coordinator:at-lease=1')).toEqual({ kill: { point: 'lease', count: 1 } });
    expect(parseCoordinatorChaosPlan('kill-coordinator:at-step-end=2')).toEqual({
      kill: { point: 'step-end', count: 2 },
    });
    expect(parseCoordinatorChaosPlan('')).toEqual({ kill: undefined });
  });

  it.each([
    'kill-coordinator',
    'kill-coordinator:after-commits=0',
    'kill-node:after=3',
    'kill-coordinator:after=3',
    'kill-coordinator:at-step-start=1',
  ])('rejects %s, saying what it expects', (text) => {
    expect(() => parseCoordinatorChaosPlan(text)).toThrow(ChaosSyntaxError);
    expect(() => parseCoordinatorChaosPlan(text)).toThrow(
      /expected "kill-coordinator:<after-commits\|at-lease\|at-step-end>=<n>" \(n ≥ 1\)/,
    );
  });
});
