import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { orderSteps, referencedSteps } from '../../../src/jobspec/graph-order.js';
import { brief, createTreeFixture, type TreeFixture } from './tree-fixture.js';

describe('orderSteps', () => {
  it('puts producers first and keeps the written order otherwise', () => {
    const deps = new Map([
      ['c', ['b']],
      ['b', ['a']],
      ['d', []],
    ]);
    expect(orderSteps(['c', 'd', 'b', 'a'], deps)).toEqual({ order: ['d', 'a', 'b', 'c'], cycles: new Map() });
  });

  it('names each step of a cycle with the cycle, and a step waiting on one', () => {
    const deps = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
      ['self', ['self']],
      ['e', []],
    ]);
    const { order, cycles } = orderSteps(['a', 'b', 'c', 'd', 'self', 'e'], deps);
    expect(order).toEqual(['e']);
    expect(cycles.get('a')).toEqual(['a', 'b', 'c', 'a']);
    expect(cycles.get('c')).toEqual(['c', 'a', 'b', 'c']);
    expect(cycles.get('d')).toEqual(['d']);
    expect(cycles.get('self')).toEqual(['self', 'self']);
  });

  it('finds the steps a raw step binds to, anywhere in it', () => {
    expect(
      referencedSteps({
        command: 'x ${{inputs.a}}',
        compute: '${{parent.jobs.conf.inputs.pool}}',
        inputs: { a: '${{parent.jobs.prep.outputs.o}}', b: { path: '${{ parent.jobs.more.outputs.p }}' } },
      }).sort(),
    ).toEqual(['conf', 'more', 'prep']);
  });
});

describe('the DAG of a pipeline', () => {
  let fixture: TreeFixture;
  beforeAll(() => {
    fixture = createTreeFixture();
  });
  afterAll(() => fixture.remove());

  it('reports a cycle, an unknown step, an unknown output and a type mismatch, all in one pass', () => {
    const errors = fixture.errors('dag.yml', {
      'dag.yml': `type: pipeline
jobs:
  a:
    command: echo \${{inputs.x}}
    inputs:
      x: \${{parent.jobs.b.outputs.o}}
    outputs:
      o:
  b:
    command: echo \${{inputs.x}}
    inputs:
      x: \${{parent.jobs.a.outputs.o}}
    outputs:
      o:
  file_maker:
    command: echo > \${{outputs.f}}
    outputs:
      f: {type: uri_file}
  consumer:
    command: cat \${{inputs.one}} \${{inputs.two}} \${{inputs.three}}
    inputs:
      one: \${{parent.jobs.file_maker.outputs.nope}}
      two: \${{parent.jobs.fille_maker.outputs.f}}
      three:
        type: uri_folder
        path: \${{parent.jobs.file_maker.outputs.f}}
`,
    });
    expect(brief(errors)).toEqual([
      'jobs.a: is in a dependency cycle: a → b → a; a step cannot consume, even indirectly, its own outputs',
      'jobs.b: is in a dependency cycle: b → a → b; a step cannot consume, even indirectly, its own outputs',
      'jobs.consumer.inputs.one: step "file_maker" has no output "nope"; its outputs are: f',
      'jobs.consumer.inputs.two: unknown step "fille_maker": unknown key; did you mean "file_maker"?',
      expect.stringMatching(
        /^jobs\.consumer\.inputs\.three\.path: type mismatch across the edge: output "f" of step file_maker is uri_file, but this input is uri_folder/,
      ),
    ]);
    expect(errors[0]?.location.line).toBe(3);
  });

  it('copies another step input with ${{parent.jobs.S.inputs.i}}, also into a plain field like compute', () => {
    const job = fixture.compile('copy.yml', {
      'copy.yml': `type: pipeline
inputs:
  pool: gpu
jobs:
  first:
    command: echo \${{inputs.pool}}
    inputs:
      pool: \${{parent.inputs.pool}}
  second:
    command: echo \${{inputs.again}}
    compute: \${{parent.jobs.first.inputs.pool}}
    inputs:
      again: \${{parent.jobs.first.inputs.pool}}
`,
    });
    expect(job.steps.map((step) => step.kind === 'command' && step.command)).toEqual(['echo gpu', 'echo gpu']);
    expect(job.steps.map((step) => step.compute)).toEqual(['local', 'gpu']);
  });
});
