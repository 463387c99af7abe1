import { describe, expect, it } from 'vitest';

import { ChaosSyntaxError, faultFor, loadFaultFor, parseChaosPlan } from '../../../src/chaos/model.js';
import { parseNodeChaosPlan } from '../../../src/chaos/node-plan.js';

describe('node chaos plan', () => {
  it('parses kill-node and mute-heartbeats', () => {
    expect(parseNodeChaosPlan('kill-node:after=40; mute-heartbeats:after=0:for=2500').faults).toEqual([
      { action: 'kill-node', afterResults: 40, text: 'kill-node:after=40' },
      { action: 'mute-heartbeats', afterResults: 0, forMs: 2500, text: 'mute-heartbeats:after=0:for=2500' },
    ]);
    expect(parseNodeChaosPlan('').faults).toEqual([]);
  });

  it.each([
    ['hang:mb=1', /unknown fault "hang".*kill-node, mute-heartbeats/],
    ['kill-node', /needs after=<n>/],
    ['kill-node:after=0', /after must be a whole number of at least 1/],
    ['mute-heartbeats:after=2', /needs for=<n>/],
    ['mute-heartbeats:after=2:for=1.5', /for must be a whole number/],
    ['kill-node:after=3:when=now', /unknown option\(s\) when/],
    ['kill-node:after', /expected key=value/],
  ])('rejects %s', (text, message) => {
    expect(() => parseNodeChaosPlan(text)).toThrow(ChaosSyntaxError);
    expect(() => parseNodeChaosPlan(text)).toThrow(message);
  });
});

describe('hang-load in a job chaos plan', () => {
  it('is a load fault, never handed to the worker as a run() fault', () => {
    const plan = parseChaosPlan('hang-load:mb=2:attempt=1; throw:mb=2');
    expect(loadFaultFor(plan, 2, 1)).toEqual({ action: 'hang-load' });
    expect(loadFaultFor(plan, 2, 2)).toBeUndefined();
    expect(loadFaultFor(plan, 3, 1)).toBeUndefined();
    // The run() fault of the same attempt is the next matching one.
    expect(faultFor(plan, 2, 1)).toEqual({ action: 'throw', message: 'chaos: injected exception' });
  });
});
