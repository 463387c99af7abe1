import { describe, expect, it } from 'vitest';

import { stepDurationText, stepEndedLine, stepStartedLine } from '../../../src/coordinator/pipeline/step-lines.js';

describe('step lines of the job stream', () => {
  it.each([
    [0, '0.0s'],
    [420, '0.4s'],
    [12_345, '12.3s'],
    [245_000, '4m 05s'],
  ])('%d ms → %s', (ms, text) => {
    expect(stepDurationText(ms)).toBe(text);
  });

  it('says a step started, with its type', () => {
    expect(stepStartedLine('score', 'parallel', 7)).toEqual({
      level: 'info',
      text: "step 'score' started (parallel)",
      atMs: 7,
    });
  });

  it('says how each step ended: duration when it ran, the reason unless it succeeded', () => {
    const ran = { startedAtMs: 1_000, endedAtMs: 3_500 };
    expect(stepEndedLine('a', 'succeeded', 'exit 0', ran)).toEqual({
      level: 'info',
      text: "step 'a' succeeded in 2.5s",
      atMs: 3_500,
    });
    expect(stepEndedLine('a', 'failed', 'exited with code 3', ran).text).toBe(
      "step 'a' failed after 2.5s: exited with code 3",
    );
    expect(stepEndedLine('a', 'failed', 'x', ran).level).toBe('error');
    expect(stepEndedLine('a', 'cancelled', 'by the user', ran)).toMatchObject({
      level: 'warn',
      text: "step 'a' cancelled after 2.5s: by the user",
    });
    const instant = { startedAtMs: 3_500, endedAtMs: 3_500 };
    expect(stepEndedLine('a', 'reused', 'reused the outputs of step run j:a', instant)).toMatchObject({
      level: 'info',
      text: "step 'a' reused: reused the outputs of step run j:a",
    });
    expect(
      stepEndedLine('b', 'skipped', 'not run: step a it consumes from was failed', { startedAtMs: 0, endedAtMs: 9 }),
    ).toMatchObject({ level: 'warn', text: "step 'b' skipped: not run: step a it consumes from was failed" });
    expect(stepEndedLine('c', 'cancelled', 'cancelled by the user', { startedAtMs: 0, endedAtMs: 9 }).text).toBe(
      "step 'c' cancelled: cancelled by the user",
    );
  });
});
