import { describe, expect, it } from 'vitest';

import { bindStepInputs } from '../../../src/jobspec/bind-inputs.js';
import type { CompiledCommandStep, CompiledParallelStep } from '../../../src/jobspec/model.js';
import { makeStep } from '../coordinator/support/step-fixture.js';

function commandStep(template: string): CompiledCommandStep {
  return {
    kind: 'command',
    name: 'train',
    displayName: undefined,
    runDir: '/runs/j/steps/train',
    compute: 'local',
    dependsOn: ['prep'],
    inputs: [
      {
        kind: 'data',
        name: 'data',
        type: 'uri_folder',
        path: '/runs/j/steps/prep/outputs/out',
        mode: 'ro_mount',
        from: { step: 'prep', output: 'out' },
      },
      { kind: 'literal', name: 'epochs', value: '5' },
    ],
    outputs: [{ name: 'model', type: 'uri_folder', path: '/runs/j/steps/train/outputs/model', explicitPath: false }],
    environmentVariables: {},
    isDeterministic: true,
    code: undefined,
    commandTemplate: template,
    command: 'as compiled',
    timeoutMs: undefined,
    queueTimeoutMs: 600_000,
    instanceCount: 1,
  };
}

describe('bindStepInputs', () => {
  it('points an upstream input at the path produced (a reused run) and renders the command with it', () => {
    const step = commandStep(
      'python train.py --data ${{inputs.data}}/x.csv --epochs ${{inputs.epochs}} $[[--lr ${{inputs.lr}}]] --out ${{outputs.model}}',
    );
    const bound = bindStepInputs(step, { prep: { out: '/runs/old/steps/prep/outputs/out' } });
    expect(bound.inputs[0]).toMatchObject({
      path: '/runs/old/steps/prep/outputs/out',
      from: { step: 'prep', output: 'out' },
    });
    expect(bound.command).toBe(
      'python train.py --data /runs/old/steps/prep/outputs/out/x.csv --epochs 5  --out /runs/j/steps/train/outputs/model',
    );
    expect(step.inputs[0]).toMatchObject({ path: '/runs/j/steps/prep/outputs/out' });
  });

  it('quotes a produced path that needs it', () => {
    const bound = bindStepInputs(commandStep('cat ${{inputs.data}}/a'), { prep: { out: '/data dir/out' } });
    expect(bound.command).toBe("cat '/data dir/out'/a");
  });

  it('refuses to bind a step whose producer output is missing', () => {
    expect(() => bindStepInputs(commandStep('true'), { prep: {} })).toThrow(/needs output "out" of step prep/);
  });

  it('re-renders a parallel step program arguments and argv', () => {
    const base = makeStep({ runDir: '/runs/j/steps/score', appendRowFile: null });
    const step: CompiledParallelStep = {
      ...base,
      dependsOn: ['prep'],
      inputs: [
        {
          kind: 'data',
          name: 'data',
          type: 'uri_folder',
          path: '/compiled',
          mode: 'ro_mount',
          from: { step: 'prep', output: 'files' },
        },
      ],
      task: { ...base.task, programArgumentsTemplate: '--data ${{inputs.data}} --n 2' },
    };
    const bound = bindStepInputs(step, { prep: { files: '/runs/old/files' } });
    expect(bound.task.programArguments).toEqual(['--data', '/runs/old/files', '--n', '2']);
    expect(bound.argv.slice(-4)).toEqual(['--data', '/runs/old/files', '--n', '2']);
    expect(bound.argv).toContain('--output_action');
  });
});
