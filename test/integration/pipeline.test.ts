/**
 * Pipelines through `parajob run` (real coordinator and node processes): command → parallel → command,
 * a diamond whose middle steps provably overlap, failures with continue_on_step_failure true and
 * false, reuse across runs and after a code change, and a command step timeout.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { assertBuilt, killAllCli, runCli } from '../helpers/cli-process.js';
import { makeTempDir } from '../helpers/input-files.js';
import { isRunning } from '../helpers/process-state.js';

interface StepJson {
  name: string;
  stepState: string;
  reusedFrom?: string;
  stateReason: string;
}

async function runPipeline(file: string, dataDir: string, extra: string[] = []) {
  const run = await runCli(['run', file, '--data-dir', dataDir, '--json', ...extra], { timeoutMs: 120_000 });
  if (!run.stdout.trim()) throw new Error(`no status printed: ${run.describeOutput()}`);
  const status = JSON.parse(run.stdout) as { jobId: string; state: string; runDir: string; steps: StepJson[] };
  const step = (name: string): StepJson => {
    const found = status.steps.find((candidate) => candidate.name === name);
    if (found === undefined) throw new Error(`no step ${name}: ${run.describeOutput()}`);
    return found;
  };
  return { run, status, step };
}

describe('pipelines through parajob run', () => {
  afterAll(async () => {
    await killAllCli();
  });

  it('runs command → parallel → command: files and an MLTable, scored, then read by the last step', async () => {
    assertBuilt();
    const dir = await makeTempDir('parajob-pipeline-');
    const runDir = join(dir, 'run');
    const run = await runCli(
      ['run', 'examples/pipeline/pipeline.yml', '--run-dir', runDir, '--data-dir', join(dir, 'data')],
      { timeoutMs: 120_000 },
    );
    expect(run.exit?.code, run.describeOutput()).toBe(0);
    // The job stream shows each step's start and end, in order (a parallel step's progress lines
    // depend on which statuses the stream happens to carry: test/unit/cli covers them).
    const lines = run.stderr.split('\n');
    const at = (pattern: RegExp): number => {
      const index = lines.findIndex((line) => pattern.test(line));
      expect(index, `${pattern} in ${run.stderr}`).toBeGreaterThanOrEqual(0);
      return index;
    };
    const order = [
      at(/^step 'prepare' started \(command\)$/),
      at(/^step 'prepare' succeeded in \d+\.\ds$/),
      at(/^step 'score' started \(parallel\)$/),
      at(/^step 'score' succeeded in /),
      at(/^step 'report' started \(command\)$/),
      at(/^step 'report' succeeded in /),
    ];
    expect(order).toEqual([...order].sort((a, b) => a - b));
    const report = await readFile(join(runDir, 'steps', 'report', 'user_logs', 'std_log.txt'), 'utf8');
    expect(report).toContain('scored 12 documents');
    expect(report).toContain('doc7.txt 6');
    expect(await readFile(join(runDir, 'steps', 'prepare', 'outputs', 'documents', 'MLTable'), 'utf8')).toContain(
      'pattern',
    );
    expect(await readFile(join(runDir, 'steps', 'score', 'logs', 'job_result.txt'), 'utf8')).toMatch(/succeeded/i);
    expect(await readFile(join(runDir, 'pipeline_result.txt'), 'utf8')).toMatch(/Failed steps: none/);
  });

  it('runs the two middle steps of a diamond at the same time, and hands artifacts downstream', async () => {
    const dir = await makeTempDir('parajob-diamond-');
    const markers = join(dir, 'markers');
    await mkdir(markers);
    // Each middle step announces itself, then waits (bounded) for the other: both succeed only if
    // they ran at the same time.
    const waitFor = (mine: string, other: string) =>
      `touch ${markers}/${mine}; i=0; while [ ! -f ${markers}/${other} ]; do i=$((i+1)); ` +
      `[ $i -gt 600 ] && echo "no ${other}" && exit 9; sleep 0.05; done; ` +
      `echo ${mine} > outputs/world.txt; echo ${mine} > \${{outputs.out}}/mark`;
    const yaml = `type: pipeline
jobs:
  top:
    command: echo top > \${{outputs.out}}/top.txt
    outputs:
      out: { type: uri_folder }
  left:
    command: '${waitFor('left', 'right')}'
    inputs:
      top: \${{parent.jobs.top.outputs.out}}
    outputs:
      out: { type: uri_folder }
      artifacts: { type: uri_folder }
  right:
    command: '${waitFor('right', 'left')}'
    inputs:
      top: \${{parent.jobs.top.outputs.out}}
    outputs:
      out: { type: uri_folder }
  bottom:
    command: cat \${{inputs.l}}/mark \${{inputs.r}}/mark \${{inputs.a}}/outputs/world.txt
    inputs:
      l: \${{parent.jobs.left.outputs.out}}
      r: \${{parent.jobs.right.outputs.out}}
      a: \${{parent.jobs.left.outputs.artifacts}}
`;
    await writeFile(join(dir, 'diamond.yml'), yaml);
    const { run, status } = await runPipeline(join(dir, 'diamond.yml'), join(dir, 'data'));
    expect(run.exit?.code, run.describeOutput()).toBe(0);
    expect(await readFile(join(status.runDir, 'steps', 'bottom', 'user_logs', 'std_log.txt'), 'utf8')).toBe(
      'left\nright\nleft\n',
    );
  });

  const failing = (continueOnFailure: boolean, dir: string) => `type: pipeline
settings: { continue_on_step_failure: ${continueOnFailure} }
jobs:
  bad:
    command: 'while [ ! -f ${dir}/slow-started ]; do sleep 0.05; done; echo broken >&2; touch ${dir}/bad-done; exit 3'
    outputs:
      out: { type: uri_folder }
  after_bad:
    command: echo never
    inputs:
      x: \${{parent.jobs.bad.outputs.out}}
  slow:
    command: 'touch ${dir}/slow-started; i=0; while [ ! -f ${dir}/bad-done ] && [ $i -lt 100 ]; do i=$((i+1)); sleep 0.05; done; echo slow done'
`;

  it('continue_on_step_failure true: the failed step is named with its exit code, its consumer skipped, the rest runs', async () => {
    const dir = await makeTempDir('parajob-fail-true-');
    await writeFile(join(dir, 'p.yml'), failing(true, dir));
    const { run, status, step } = await runPipeline(join(dir, 'p.yml'), join(dir, 'data'));
    expect(run.exit?.code, run.describeOutput()).toBe(1);
    expect(status.state).toBe('JOB_STATE_FAILED');
    expect(step('bad').stepState).toBe('STEP_STATE_FAILED');
    expect(step('bad').stateReason).toContain('exited with code 3');
    expect(step('after_bad').stepState).toBe('STEP_STATE_SKIPPED');
    expect(step('after_bad').stateReason).toContain('bad');
    expect(step('slow').stepState).toBe('STEP_STATE_SUCCEEDED');
    expect(await readFile(join(status.runDir, 'steps', 'bad', 'user_logs', 'std_log.txt'), 'utf8')).toBe('broken\n');
    const summary = await readFile(join(status.runDir, 'pipeline_result.txt'), 'utf8');
    expect(summary).toContain('Failed steps: bad');
    expect(summary).toContain('Skipped steps: after_bad');
  });

  it('continue_on_step_failure false: the first failure cancels the running step', async () => {
    const dir = await makeTempDir('parajob-fail-false-');
    await writeFile(
      join(dir, 'p.yml'),
      failing(false, dir).replace('sleep 0.05; done; echo slow', 'sleep 0.05; done; sleep 600; echo slow'),
    );
    const { run, step } = await runPipeline(join(dir, 'p.yml'), join(dir, 'data'));
    expect(run.exit?.code, run.describeOutput()).toBe(1);
    expect(step('bad').stepState).toBe('STEP_STATE_FAILED');
    expect(step('slow').stepState).toBe('STEP_STATE_CANCELLED');
    expect(step('after_bad').stepState).toBe('STEP_STATE_SKIPPED');
  });

  it('reuses every step on a second run; a code change re-runs only that step and its consumers', async () => {
    const dir = await makeTempDir('parajob-reuse-');
    for (const name of ['a', 'b']) {
      await mkdir(join(dir, name));
      await writeFile(join(dir, name, 'step.sh'), `echo ${name} >> "$1/log.txt"\n`);
    }
    await writeFile(
      join(dir, 'p.yml'),
      `type: pipeline
jobs:
  first:
    code: ./a
    command: sh step.sh \${{outputs.out}}
    outputs:
      out: { type: uri_folder }
  second:
    code: ./b
    command: cp \${{inputs.x}}/log.txt \${{outputs.out}}/ && sh step.sh \${{outputs.out}}
    inputs:
      x: \${{parent.jobs.first.outputs.out}}
    outputs:
      out: { type: uri_folder }
  third:
    command: cat \${{inputs.y}}/log.txt
    inputs:
      y: \${{parent.jobs.second.outputs.out}}
`,
    );
    const data = join(dir, 'data');
    const first = await runPipeline(join(dir, 'p.yml'), data);
    expect(first.run.exit?.code, first.run.describeOutput()).toBe(0);

    const again = await runPipeline(join(dir, 'p.yml'), data);
    expect(again.run.exit?.code, again.run.describeOutput()).toBe(0);
    for (const name of ['first', 'second', 'third']) {
      expect(again.step(name).stepState).toBe('STEP_STATE_REUSED');
      expect(again.step(name).reusedFrom).toBe(`${first.status.jobId}:${name}`);
      expect(again.run.stderr).toContain(
        `step '${name}' reused: reused the outputs of step run ${first.status.jobId}:${name}`,
      );
    }
    expect(again.run.stderr).not.toContain('started (command)');

    await writeFile(join(dir, 'b', 'step.sh'), `echo b2 >> "$1/log.txt"\n`);
    const changed = await runPipeline(join(dir, 'p.yml'), data);
    expect(changed.run.exit?.code, changed.run.describeOutput()).toBe(0);
    expect(changed.step('first').stepState).toBe('STEP_STATE_REUSED');
    expect(changed.step('second').stepState).toBe('STEP_STATE_SUCCEEDED');
    expect(changed.step('third').stepState).toBe('STEP_STATE_SUCCEEDED');
    expect(await readFile(join(changed.status.runDir, 'steps', 'third', 'user_logs', 'std_log.txt'), 'utf8')).toBe(
      'a\nb2\n',
    );

    const forced = await runPipeline(join(dir, 'p.yml'), data, ['--force-rerun']);
    expect(forced.status.steps.map((step) => step.stepState)).toEqual(Array(3).fill('STEP_STATE_SUCCEEDED'));
  });

  it('kills a command step past limits.timeout, its whole process group included', async () => {
    const dir = await makeTempDir('parajob-timeout-');
    await writeFile(
      join(dir, 'p.yml'),
      `type: pipeline
jobs:
  sleepy:
    command: 'sleep 300 & echo $! > ${dir}/child.pid; wait'
    limits: { timeout: 1 }
`,
    );
    const { run, step } = await runPipeline(join(dir, 'p.yml'), join(dir, 'data'));
    expect(run.exit?.code, run.describeOutput()).toBe(1);
    expect(step('sleepy').stepState).toBe('STEP_STATE_FAILED');
    expect(step('sleepy').stateReason).toContain('limits.timeout');
    const pid = Number((await readFile(join(dir, 'child.pid'), 'utf8')).trim());
    expect(isRunning(pid)).toBe(false);
  });
});
