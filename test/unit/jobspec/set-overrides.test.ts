import { describe, expect, it } from 'vitest';

import { SpecErrors } from '../../../src/errors.js';
import { applySetOverrides, parseSetOverride } from '../../../src/jobspec/set-overrides.js';

const JOB = `type: pipeline
# comments survive
inputs:
  epochs: 2
jobs:
  score:
    type: parallel
    mini_batch_size: "10"
    outputs:
      rows:
`;

describe('--set PATH=VALUE', () => {
  it('parses the value as YAML: numbers, booleans, maps, else the string', () => {
    expect(parseSetOverride('inputs.epochs=5')).toMatchObject({ path: ['inputs', 'epochs'], value: 5 });
    expect(parseSetOverride('settings.force_rerun=true')).toMatchObject({ value: true });
    expect(parseSetOverride('jobs.a.inputs.x={type: uri_file, path: ./f}')).toMatchObject({
      value: { type: 'uri_file', path: './f' },
    });
    expect(parseSetOverride('name=a=b')).toMatchObject({ path: ['name'], value: 'a=b' });
    expect(parseSetOverride('list[1].x=y')).toMatchObject({ path: ['list', 1, 'x'] });
    expect(parseSetOverride('epochs')).toMatch(/expected PATH=VALUE/);
    expect(parseSetOverride('a..b=1')).toMatch(/empty key/);
  });

  it('applies Azure-style overrides to the document, creating missing maps and filling empty values', () => {
    const out = applySetOverrides('/j.yml', JOB, [
      'inputs.epochs=5',
      'jobs.score.mini_batch_size=20',
      'jobs.score.outputs.rows.type=uri_file',
      'settings.continue_on_step_failure=false',
    ]);
    expect(out).toContain('# comments survive');
    expect(out).toMatch(/epochs: 5/);
    expect(out).toMatch(/mini_batch_size: 20/);
    expect(out).toMatch(/rows:\n\s+type: uri_file/);
    expect(out).toMatch(/settings:\n\s+continue_on_step_failure: false/);
  });

  it('leaves the text alone without overrides and names every bad one', () => {
    expect(applySetOverrides('/j.yml', JOB, [])).toBe(JOB);
    let thrown: unknown;
    try {
      applySetOverrides('/j.yml', JOB, ['nothing', 'inputs.epochs.max=3']);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SpecErrors);
    expect((thrown as SpecErrors).errors.map((error) => error.message)).toEqual([
      expect.stringMatching(/--set nothing: expected PATH=VALUE/),
      expect.stringMatching(
        /inputs\.epochs: --set inputs\.epochs\.max=3: is a value, not a map, so it has no key "max"/,
      ),
    ]);
  });
});
