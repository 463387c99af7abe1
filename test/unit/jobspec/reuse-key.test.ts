import { describe, expect, it } from 'vitest';

import type { CompiledCommandStep } from '../../../src/jobspec/model.js';
import { canonicalJson, reuseKey } from '../../../src/jobspec/reuse-key.js';
import { makeStep } from '../coordinator/support/step-fixture.js';

function command(runDir: string, overrides: Partial<CompiledCommandStep> = {}): CompiledCommandStep {
  return {
    kind: 'command',
    name: 'train',
    displayName: undefined,
    runDir,
    compute: 'local',
    dependsOn: [],
    inputs: [
      { kind: 'data', name: 'data', type: 'uri_folder', path: `${runDir}/../prep/out`, mode: 'ro_mount' },
      { kind: 'literal', name: 'epochs', value: '5' },
    ],
    outputs: [{ name: 'model', type: 'uri_folder', path: `${runDir}/outputs/model`, explicitPath: false }],
    environmentVariables: {},
    isDeterministic: true,
    code: `${runDir}/code`,
    commandTemplate: 'python train.py ${{inputs.data}} ${{outputs.model}}',
    command: `python train.py ${runDir}/../prep/out ${runDir}/outputs/model`,
    timeoutMs: undefined,
    queueTimeoutMs: 600_000,
    instanceCount: 1,
    ...overrides,
  };
}

const FACTS = { codeHash: 'c1', inputHashes: { data: 'd1' } };
const SETTINGS = { forceRerun: false };

describe('reuseKey', () => {
  it('is equal for the same definition, code and input contents in two runs (paths of the run do not count)', () => {
    expect(reuseKey(command('/runs/a/steps/train'), FACTS, SETTINGS)).toBe(
      reuseKey(command('/runs/b/steps/train'), FACTS, SETTINGS),
    );
  });

  it('changes with the code, an input content, a literal, the command or an explicit output path', () => {
    const base = reuseKey(command('/r'), FACTS, SETTINGS);
    const variants = [
      reuseKey(command('/r'), { ...FACTS, codeHash: 'c2' }, SETTINGS),
      reuseKey(command('/r'), { ...FACTS, inputHashes: { data: 'd2' } }, SETTINGS),
      reuseKey(command('/r', { inputs: [{ kind: 'literal', name: 'epochs', value: '6' }] }), FACTS, SETTINGS),
      reuseKey(command('/r', { commandTemplate: 'python train.py --fast' }), FACTS, SETTINGS),
      reuseKey(
        command('/r', { outputs: [{ name: 'model', type: 'uri_folder', path: '/keep/model', explicitPath: true }] }),
        FACTS,
        SETTINGS,
      ),
    ];
    for (const variant of variants) expect(variant).not.toBe(base);
    expect(new Set(variants).size).toBe(variants.length);
  });

  it('is undefined (never reused) for is_deterministic false or force_rerun', () => {
    expect(reuseKey(command('/r', { isDeterministic: false }), FACTS, SETTINGS)).toBeUndefined();
    expect(reuseKey(command('/r'), FACTS, { forceRerun: true })).toBeUndefined();
  });

  it('covers parallel steps, and needs the hash of every data input', () => {
    const step = makeStep({ runDir: '/r' });
    const key = reuseKey(step, { codeHash: 'c', inputHashes: { data: 'x' } }, SETTINGS);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(reuseKey({ ...step, maxRetries: 7 }, { codeHash: 'c', inputHashes: { data: 'x' } }, SETTINGS)).not.toBe(key);
    expect(() => reuseKey(step, { codeHash: 'c', inputHashes: {} }, SETTINGS)).toThrow(
      /no content hash for data input "data"/,
    );
  });

  it('writes JSON with sorted keys', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: null }], u: undefined })).toBe('{"a":[{"c":null,"d":2}],"b":1}');
  });
});
