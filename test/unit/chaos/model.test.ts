import { describe, expect, it } from 'vitest';

import { ChaosSyntaxError, faultFor, parseChaosPlan } from '../../../src/chaos/model.js';

describe('chaos plan', () => {
  it('selects faults by mini-batch and attempt', () => {
    const plan = parseChaosPlan('hang:mb=3:attempt=1; crash:mb=5-6; fewer:mb=7|9:drop=2');
    expect(faultFor(plan, 3, 1)).toEqual({ action: 'hang' });
    expect(faultFor(plan, 3, 2)).toBeUndefined();
    expect(faultFor(plan, 5, 4)).toEqual({ action: 'crash' });
    expect(faultFor(plan, 6, 1)).toEqual({ action: 'crash' });
    expect(faultFor(plan, 7, 1)).toEqual({ action: 'fewer', drop: 2 });
    expect(faultFor(plan, 8, 1)).toBeUndefined();
    expect(faultFor(plan, 9, 3)).toEqual({ action: 'fewer', drop: 2 });
  });

  it('picks a repeatable share of attempts with a seeded probability', () => {
    const plan = parseChaosPlan('throw:p=0.25:seed=11:message=boom');
    const hits = Array.from({ length: 4000 }, (_, i) => faultFor(plan, i, 1)).filter(Boolean);
    expect(hits.length).toBeGreaterThan(800);
    expect(hits.length).toBeLessThan(1200);
    expect(hits[0]).toEqual({ action: 'throw', message: 'boom' });
    const again = Array.from({ length: 4000 }, (_, i) => faultFor(plan, i, 1)).filter(Boolean);
    expect(again.length).toBe(hits.length);
    const otherSeed = parseChaosPlan('throw:p=0.25:seed=12');
    const differs = Array.from(
      { length: 200 },
      (_, i) => Boolean(faultFor(plan, i, 1)) !== Boolean(faultFor(otherSeed, i, 1)),
    );
    expect(differs.some(Boolean)).toBe(true);
  });

  it('accepts the JSON form', () => {
    const plan = parseChaosPlan('{"faults":[{"action":"fewer","mb":"2","drop":3}]}');
    expect(faultFor(plan, 2, 1)).toEqual({ action: 'fewer', drop: 3 });
  });

  it.each([
    ['explode:mb=1', /unknown fault "explode"/],
    ['hang:mb=x', /expected a number/],
    ['hang:p=2', /p must be in \[0, 1\]/],
    ['hang:when=now', /unknown option\(s\) when/],
    ['fewer:drop=0', /drop must be a positive integer/],
    ['hang:mb', /expected key=value/],
  ])('rejects %s', (text, message) => {
    expect(() => parseChaosPlan(text)).toThrow(ChaosSyntaxError);
    expect(() => parseChaosPlan(text)).toThrow(message);
  });
});
