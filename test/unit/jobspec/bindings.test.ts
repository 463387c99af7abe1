import { describe, expect, it } from 'vitest';

import { expandTemplate, parseReference, type Resolution, wholeExpression } from '../../../src/jobspec/bindings.js';

describe('parseReference', () => {
  it.each([
    ['parent.inputs.x', { scope: 'parent', kind: 'inputs', name: 'x' }],
    ['parent.outputs.y_1', { scope: 'parent', kind: 'outputs', name: 'y_1' }],
    ['parent.jobs.prep.outputs.out', { scope: 'parent', kind: 'jobs', step: 'prep', io: 'outputs', name: 'out' }],
    ['parent.jobs.prep.inputs.rate', { scope: 'parent', kind: 'jobs', step: 'prep', io: 'inputs', name: 'rate' }],
    ['inputs.data-in', { scope: 'self', kind: 'inputs', name: 'data-in' }],
    [' outputs.o ', { scope: 'self', kind: 'outputs', name: 'o' }],
    ['name', undefined],
    ['default_datastore', undefined],
    ['parent.inputs', undefined],
    ['inputs.a.b', undefined],
  ] as const)('%j → %j', (expression, reference) => {
    expect(parseReference(expression)).toEqual(reference);
  });
});

describe('wholeExpression', () => {
  it.each([
    ['${{inputs.x}}', 'inputs.x'],
    ['${{ parent.inputs.x }}', 'parent.inputs.x'],
    ['  ${{inputs.x}}  ', 'inputs.x'],
    ['./data', undefined],
    ['--a ${{inputs.x}}', undefined],
    ['${{inputs.x}}/${{inputs.y}}', undefined],
  ] as const)('%j → %j', (value, expression) => {
    expect(wholeExpression(value)).toBe(expression);
  });
});

describe('expandTemplate', () => {
  const values: Readonly<Record<string, Resolution>> = {
    'inputs.a': { kind: 'value', value: 'A' },
    'inputs.b': { kind: 'value', value: 'B' },
    'inputs.none': { kind: 'absent' },
    'inputs.bad': { kind: 'error', message: 'bad reference' },
  };
  const resolve = (expression: string): Resolution =>
    values[expression] ?? { kind: 'error', message: `unknown ${expression}` };

  it.each([
    ['--a ${{inputs.a}} --b ${{ inputs.b }}', '--a A --b B'],
    ['--a ${{inputs.a}} $[[--opt ${{inputs.none}}]] --end', '--a A  --end'],
    ['$[[--both ${{inputs.a}} ${{inputs.b}}]]', '--both A B'],
    ['$[[--mixed ${{inputs.a}} ${{inputs.none}}]]$[[ --kept ${{inputs.b}}]]', ' --kept B'],
    ['no expressions at all', 'no expressions at all'],
  ])('%j → %j', (template, text) => {
    expect(expandTemplate(template, resolve)).toEqual({ text, problems: [] });
  });

  it('reports unresolvable expressions and absent inputs outside optional segments', () => {
    const expansion = expandTemplate('${{inputs.bad}} ${{inputs.none}} $[[${{inputs.nope}}]]', resolve);
    expect(expansion.problems).toEqual([
      'unknown inputs.nope',
      'bad reference',
      expect.stringContaining('${{inputs.none}} has no value'),
    ]);
  });
});
