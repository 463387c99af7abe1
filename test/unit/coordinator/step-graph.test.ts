import { describe, expect, it } from 'vitest';

import { nextMoves, type StepPhase } from '../../../src/coordinator/pipeline/step-graph.js';
import type { CompiledStep } from '../../../src/jobspec/model.js';

/** Only name and dependsOn matter to the graph. */
function steps(edges: Record<string, string[]>): CompiledStep[] {
  return Object.entries(edges).map(
    ([name, dependsOn]) => ({ name, dependsOn }) as Pick<CompiledStep, 'name' | 'dependsOn'> as CompiledStep,
  );
}

const diamond = steps({ a: [], b: ['a'], c: ['a'], d: ['b', 'c'], e: [] });

function phases(entries: Record<string, StepPhase>): Map<string, StepPhase> {
  return new Map(diamond.map((step) => [step.name, entries[step.name] ?? 'waiting']));
}

describe('nextMoves', () => {
  it('starts the steps without producers first, then both middle steps of a diamond at once', () => {
    expect(nextMoves(diamond, phases({}), true)).toEqual({ start: ['a', 'e'], skip: [] });
    expect(nextMoves(diamond, phases({ a: 'succeeded', e: 'running' }), true)).toEqual({ start: ['b', 'c'], skip: [] });
  });

  it('waits for every producer, and counts a reused producer as done', () => {
    expect(nextMoves(diamond, phases({ a: 'reused', b: 'reused', c: 'running', e: 'succeeded' }), true).start).toEqual(
      [],
    );
    expect(
      nextMoves(diamond, phases({ a: 'reused', b: 'reused', c: 'succeeded', e: 'succeeded' }), true).start,
    ).toEqual(['d']);
  });

  it('continue_on_step_failure true: skips what a failure cuts off, cascading, and lets the rest run', () => {
    const moves = nextMoves(diamond, phases({ a: 'failed' }), true);
    expect(moves.start).toEqual(['e']);
    expect(moves.skip.map((skip) => skip.name)).toEqual(['b', 'c', 'd']);
    expect(moves.skip[0]?.reason).toContain('step a');
  });

  it('continue_on_step_failure false: starts nothing after a failure and skips every waiting step', () => {
    const moves = nextMoves(diamond, phases({ a: 'succeeded', b: 'failed', c: 'running' }), false);
    expect(moves.start).toEqual([]);
    expect(moves.skip.map((skip) => skip.name)).toEqual(['d', 'e']);
    expect(moves.skip[0]?.reason).toContain('continue_on_step_failure is false');
  });
});
