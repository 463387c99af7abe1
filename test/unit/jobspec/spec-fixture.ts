/**
 * Test fixture for the job spec: a temp folder holding a code folder with an entry script and a data
 * folder, into which YAML is written and compiled.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { SpecError } from '../../../src/errors.js';
import { SpecErrors } from '../../../src/errors.js';
import { compileJobSpec } from '../../../src/jobspec/load.js';
import type { CompiledCommandStep, CompiledJob, CompiledParallelStep } from '../../../src/jobspec/model.js';
import { YamlSource } from '../../../src/jobspec/yaml-source.js';

export interface SpecFixture {
  /** The temp folder that holds job.yml, script/score.py and data/. */
  readonly dir: string;
  readonly file: string;
  readonly runDir: string;
  compile(yaml: string): CompiledJob;
  /** The SpecErrors thrown by compiling `yaml` (fails the test when it compiles). */
  errors(yaml: string): readonly SpecError[];
  remove(): void;
}

export function createSpecFixture(): SpecFixture {
  const dir = mkdtempSync(join(tmpdir(), 'parajob-spec-'));
  mkdirSync(join(dir, 'script'));
  writeFileSync(join(dir, 'script', 'score.py'), 'def run(mini_batch):\n    return mini_batch\n');
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'a.csv'), '1,2\n');
  const file = join(dir, 'job.yml');
  const runDir = join(dir, 'run');
  const compile = (yaml: string): CompiledJob => {
    writeFileSync(file, yaml);
    return compileJobSpec(YamlSource.parse(file, yaml), { runDir });
  };
  return {
    dir,
    file,
    runDir,
    compile,
    errors(yaml) {
      try {
        compile(yaml);
      } catch (error) {
        if (error instanceof SpecErrors) return error.errors;
        throw error;
      }
      throw new Error('expected the spec to be rejected, but it compiled');
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** 1-based line of the first line of `yaml` that contains `marker`. */
export function lineOf(yaml: string, marker: string): number {
  const index = yaml.split('\n').findIndex((line) => line.includes(marker));
  if (index === -1) throw new Error(`marker ${marker} not in the YAML`);
  return index + 1;
}

/** Step `index` of `job`, which must be a parallel step. */
export function parallelStep(job: CompiledJob, index: number): CompiledParallelStep {
  const step = job.steps[index];
  if (step?.kind !== 'parallel') throw new Error(`step ${index} is not a parallel step`);
  return step;
}

/** Step `index` of `job`, which must be a command step. */
export function commandStep(job: CompiledJob, index: number): CompiledCommandStep {
  const step = job.steps[index];
  if (step?.kind !== 'command') throw new Error(`step ${index} is not a command step`);
  return step;
}
