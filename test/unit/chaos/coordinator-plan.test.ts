import { describe, expect, it } from 'vitest';

import { parseCoordinatorChaosPlan } from '../../../src/chaos/coordinator-plan.js';
import { ChaosSyntaxError } from '../../../src/chaos/model.js';

describe('coordinator chaos plan', () => {
  it('parses kill-coordinator, and the empty plan', () => {
    expect(parseCoordinatorChaosPlan('kill-coordinator:after-commits=40')).toEqual({ killAfterCommits: 40 });
    expect(parseCoordinatorChaosPlan(' kill-coordinator : after-commits=7 ')).toEqual({ killAfterCommits: 7 });
    expect(parseCoordinatorChaosPlan('')).toEqual({ killAfterCommits: undefined });
  });

  it.each(['kill-coordinator', 'kill-coordinator:after-commits=0', 'kill-node:after=3', 'kill-coordinator:after=3'])(
    'rejects %s, saying what it expects',
    (text) => {
      expect(() => parseCoordinatorChaosPlan(text)).toThrow(ChaosSyntaxError);
      expect(() => parseCoordinatorChaosPlan(text)).toThrow(/expected "kill-coordinator:after-commits=<n>" \(n ≥ 1\)/);
    },
  );
});
