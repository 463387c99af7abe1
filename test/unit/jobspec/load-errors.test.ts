import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SpecErrors } from '../../../src/errors.js';
import { loadJobSpec } from '../../../src/jobspec/load.js';
import { createSpecFixture, lineOf, parallelStep, type SpecFixture } from './spec-fixture.js';

/** A valid pipeline; each case below breaks one thing in it. */
const BASE = `type: pipeline
settings:
  default_compute: azureml:cpu
inputs:
  data:
    type: uri_folder
    path: ./data
  rate: 3
  extra:
    optional: true
outputs:
  result:
    type: uri_file
    path: ./out/result.csv
jobs:
  score:
    type: parallel
    inputs:
      files: \${{parent.inputs.data}}
      rate: \${{parent.inputs.rate}}
      extra: \${{parent.inputs.extra}}
    outputs:
      rows: \${{parent.outputs.result}}
    input_data: \${{inputs.files}}
    mini_batch_size: "10"
    retry_settings:
      timeout: 60
    resources:
      instance_count: 1
    logging_level: INFO
    task:
      code: ./script
      entry_script: score.py
      program_arguments: --rate \${{inputs.rate}} $[[--extra \${{inputs.extra}}]]
      append_row_to: \${{outputs.rows}}
`;

/** BASE with `from` replaced by `to` (the text must be there, so a typo in a case cannot pass silently). */
function edit(from: string, to: string): string {
  if (!BASE.includes(from)) throw new Error(`BASE has no ${JSON.stringify(from)}`);
  return BASE.replace(from, to);
}

interface ErrorCase {
  readonly name: string;
  readonly yaml: string;
  readonly keyPath: string;
  /** Text on the line the error must point at. */
  readonly marker: string;
  readonly message: RegExp;
}

const CASES: readonly ErrorCase[] = [
  {
    name: 'an unknown step key names the nearest valid key',
    yaml: edit('    mini_batch_size: "10"', '    mini_batch_sise: "10"'),
    keyPath: 'jobs.score.mini_batch_sise',
    marker: 'mini_batch_sise',
    message: /^unknown key; did you mean "mini_batch_size"\?$/,
  },
  {
    name: 'an unknown key in task',
    yaml: edit('      program_arguments:', '      program_argument:'),
    keyPath: 'jobs.score.task.program_argument',
    marker: 'program_argument:',
    message: /did you mean "program_arguments"/,
  },
  {
    name: 'a mini_batch_size in words quotes the expected forms',
    yaml: edit('mini_batch_size: "10"', 'mini_batch_size: ten'),
    keyPath: 'jobs.score.mini_batch_size',
    marker: 'mini_batch_size',
    message: /"ten" is not a valid mini_batch_size; .*"10kb".*\^\\d\+\(\[kKmMgG\]\[bB\]\)\*\$.*"500 rows"/,
  },
  {
    name: 'a zero mini_batch_size',
    yaml: edit('mini_batch_size: "10"', 'mini_batch_size: 0'),
    keyPath: 'jobs.score.mini_batch_size',
    marker: 'mini_batch_size',
    message: /at least 1/,
  },
  {
    name: 'a sweep step is refused, naming the key',
    yaml: edit('    type: parallel', '    type: sweep'),
    keyPath: 'jobs.score.type',
    marker: 'type: sweep',
    message: /type "sweep" is not supported by parajob: a sweep needs a metric store/,
  },
  {
    name: "a step input bound to an unknown step's output",
    yaml: edit('      rate: ${{parent.inputs.rate}}', '      rate: ${{parent.jobs.prep.outputs.rate}}'),
    keyPath: 'jobs.score.inputs.rate',
    marker: 'parent.jobs.prep',
    message: /unknown step "prep"/,
  },
  {
    name: 'an unknown pipeline input in a binding',
    yaml: edit('${{parent.inputs.rate}}', '${{parent.inputs.speed}}'),
    keyPath: 'jobs.score.inputs.rate',
    marker: 'parent.inputs.speed',
    message: /unknown pipeline input "speed"; the pipeline's inputs are: data, rate, extra/,
  },
  {
    name: 'an unknown pipeline output in a binding',
    yaml: edit('${{parent.outputs.result}}', '${{parent.outputs.results}}'),
    keyPath: 'jobs.score.outputs.rows',
    marker: 'parent.outputs.results',
    message: /unknown pipeline output "results"/,
  },
  {
    name: 'a remote data path',
    yaml: edit('    path: ./data', '    path: azureml://datastores/workspaceblobstore/paths/iris/'),
    keyPath: 'inputs.data.path',
    marker: 'azureml://',
    message: /datastore "workspaceblobstore" cannot be looked up: no data dir/,
  },
  {
    name: 'a registered data asset',
    yaml: edit('    path: ./data', '    path: azureml:iris:1'),
    keyPath: 'inputs.data.path',
    marker: 'azureml:iris',
    message: /data asset iris:1 cannot be looked up/,
  },
  {
    name: 'a remote output path',
    yaml: edit('    path: ./out/result.csv', '    path: https://example.org/out.csv'),
    keyPath: 'outputs.result.path',
    marker: 'https://',
    message: /remote data is not supported/,
  },
  {
    name: 'a missing input_data path names the path where it was written',
    yaml: edit('    path: ./data', '    path: ./no-such-data'),
    keyPath: 'inputs.data.path',
    marker: 'no-such-data',
    message: /input_data path does not exist: .*no-such-data/,
  },
  {
    name: 'input_data naming a literal input',
    yaml: edit('input_data: ${{inputs.files}}', 'input_data: ${{inputs.rate}}'),
    keyPath: 'jobs.score.input_data',
    marker: 'input_data:',
    message: /"rate", a literal; expected a data input/,
  },
  {
    name: 'input_data naming an unknown input',
    yaml: edit('input_data: ${{inputs.files}}', 'input_data: ${{ inputs.file }}'),
    keyPath: 'jobs.score.input_data',
    marker: 'input_data:',
    message: /unknown input "file"; the step's inputs are: files, rate, extra/,
  },
  {
    name: 'input_data that is not a binding',
    yaml: edit('input_data: ${{inputs.files}}', 'input_data: ./data'),
    keyPath: 'jobs.score.input_data',
    marker: 'input_data:',
    message: /must be \$\{\{inputs.<name>\}\}/,
  },
  {
    name: 'a missing code folder',
    yaml: edit('code: ./script', 'code: ./src'),
    keyPath: 'jobs.score.task.code',
    marker: 'code:',
    message: /code folder does not exist: .*src/,
  },
  {
    name: 'an entry script missing from the code folder',
    yaml: edit('entry_script: score.py', 'entry_script: predict.py'),
    keyPath: 'jobs.score.task.entry_script',
    marker: 'entry_script:',
    message: /"predict.py" is not in the code folder/,
  },
  {
    name: 'a missing entry_script key',
    yaml: edit('      entry_script: score.py\n', ''),
    keyPath: 'jobs.score.task.entry_script',
    // A missing key is located at the map that should hold it.
    marker: '      code:',
    message: /^is required \(a string\)$/,
  },
  {
    name: 'append_row_to naming an unknown output',
    yaml: edit('append_row_to: ${{outputs.rows}}', 'append_row_to: ${{outputs.row}}'),
    keyPath: 'jobs.score.task.append_row_to',
    marker: 'append_row_to',
    message: /unknown output "row"; the step's outputs are: rows/,
  },
  {
    name: 'an unresolvable reference in program_arguments',
    yaml: edit('--rate ${{inputs.rate}}', '--rate ${{inputs.speed}}'),
    keyPath: 'jobs.score.task.program_arguments',
    marker: 'program_arguments',
    message: /unknown input "speed"/,
  },
  {
    name: 'an optional input with no value outside $[[ ]]',
    yaml: edit('$[[--extra ${{inputs.extra}}]]', '--extra ${{inputs.extra}}'),
    keyPath: 'jobs.score.task.program_arguments',
    marker: 'program_arguments',
    message: /has no value.*\$\[\[/,
  },
  {
    name: 'an out-of-range --allowed_failed_percent',
    yaml: edit('$[[--extra ${{inputs.extra}}]]', '--allowed_failed_percent 150'),
    keyPath: 'jobs.score.task.program_arguments',
    marker: 'program_arguments',
    message: /--allowed_failed_percent "150" is invalid: expected a percentage in \[0, 100\]/,
  },
  {
    name: 'a --task_overhead_timeout that is not a number (= form)',
    yaml: edit('$[[--extra ${{inputs.extra}}]]', '--task_overhead_timeout=soon'),
    keyPath: 'jobs.score.task.program_arguments',
    marker: 'program_arguments',
    message: /--task_overhead_timeout "soon" is invalid: expected seconds in \(0, 259200\]/,
  },
  {
    name: 'an unclosed quote in program_arguments',
    yaml: edit('$[[--extra ${{inputs.extra}}]]', '--name "unterminated'),
    keyPath: 'jobs.score.task.program_arguments',
    marker: 'program_arguments',
    message: /cannot split into arguments/,
  },
  {
    name: 'a run timeout above 3 days',
    yaml: edit('timeout: 60', 'timeout: 300000'),
    keyPath: 'jobs.score.retry_settings.timeout',
    marker: 'timeout:',
    message: /expected whole seconds in \(0, 259200\]/,
  },
  {
    name: 'zero nodes',
    yaml: edit('instance_count: 1', 'instance_count: 0'),
    keyPath: 'jobs.score.resources.instance_count',
    marker: 'instance_count',
    message: /expected an integer ≥ 1/,
  },
  {
    name: 'an unknown resources key',
    yaml: edit('instance_count: 1', 'instance_cont: 1'),
    keyPath: 'jobs.score.resources.instance_cont',
    marker: 'instance_cont',
    message: /did you mean "instance_count"/,
  },
  {
    name: 'an unknown logging level',
    yaml: edit('logging_level: INFO', 'logging_level: verbose'),
    keyPath: 'jobs.score.logging_level',
    marker: 'logging_level',
    message: /expected INFO, WARNING or DEBUG/,
  },
  {
    name: 'an error_threshold below -1',
    yaml: edit('    logging_level: INFO', '    error_threshold: -2'),
    keyPath: 'jobs.score.error_threshold',
    marker: 'error_threshold',
    message: /expected an integer ≥ -1/,
  },
  {
    name: 'partition_keys that are neither a list nor its JSON',
    yaml: edit('    logging_level: INFO', '    partition_keys: "store, brand"'),
    keyPath: 'jobs.score.partition_keys',
    marker: 'partition_keys',
    message: /non-empty list of column names/,
  },
  {
    name: 'a string where a map belongs',
    yaml: edit('    retry_settings:\n      timeout: 60', '    retry_settings: often'),
    keyPath: 'jobs.score.retry_settings',
    marker: 'retry_settings',
    message: /expected a map, got the string "often"/,
  },
  {
    name: 'an unknown key in a data input object',
    yaml: edit('    type: uri_folder\n    path: ./data', '    type: uri_folder\n    pth: ./data'),
    keyPath: 'inputs.data.pth',
    marker: 'pth:',
    message: /did you mean "path"/,
  },
  {
    name: 'an unsupported input type',
    yaml: edit('    type: uri_folder', '    type: uri_blob'),
    keyPath: 'inputs.data.type',
    marker: 'uri_blob',
    message: /expected uri_folder, uri_file or mltable/,
  },
  {
    name: 'a step name that cannot be a folder name',
    yaml: edit('  score:', '  "score/../x":'),
    keyPath: 'jobs.score/../x',
    marker: 'score/../x',
    message: /a step name may use letters, digits/,
  },
];

describe('compileJobSpec errors', () => {
  let fixture: SpecFixture;
  beforeAll(() => {
    fixture = createSpecFixture();
  });
  afterAll(() => fixture.remove());

  it('accepts the base pipeline the cases start from', () => {
    const job = fixture.compile(BASE);
    expect(parallelStep(job, 0).task.programArguments).toEqual(['--rate', '3']);
    expect(job.steps[0]?.compute).toBe('cpu');
  });

  it.each(CASES)('$name', ({ yaml, keyPath, marker, message }) => {
    const errors = fixture.errors(yaml);
    const match = errors.find((error) => error.location.keyPath === keyPath);
    expect(match, `no error at ${keyPath}; got:\n${errors.map((e) => e.message).join('\n')}`).toBeDefined();
    expect(match?.location.file).toBe(fixture.file);
    expect(match?.location.line).toBe(lineOf(yaml, marker));
    expect(match?.detail).toMatch(message);
    expect(match?.message).toContain(`${fixture.file}:${lineOf(yaml, marker)}:`);
  });

  it('collects every error in one pass', () => {
    const yaml = edit('mini_batch_size: "10"', 'mini_batch_size: ten')
      .replace('instance_count: 1', 'instance_count: 0')
      .replace('entry_script: score.py', 'entry_script: predict.py')
      .replace('logging_level: INFO', 'logging_levl: INFO');
    const keyPaths = fixture.errors(yaml).map((error) => error.location.keyPath);
    expect(keyPaths).toEqual(
      expect.arrayContaining(['jobs.score.resources.instance_count', 'jobs.score.logging_levl']),
    );
    // Schema errors stop the step before its semantics are checked, so the second pass finds the rest.
    const semantic = edit('mini_batch_size: "10"', 'mini_batch_size: ten').replace(
      'entry_script: score.py',
      'entry_script: predict.py',
    );
    expect(fixture.errors(semantic).map((error) => error.location.keyPath)).toEqual(
      expect.arrayContaining(['jobs.score.mini_batch_size', 'jobs.score.task.entry_script']),
    );
  });

  it('rejects a file whose type is neither pipeline, parallel nor command', () => {
    const yaml = 'type: sweep\njobs: {}\n';
    const [error] = fixture.errors(yaml);
    expect(error?.location).toMatchObject({ keyPath: 'type', line: 1 });
    expect(error?.detail).toMatch(/"sweep" is not supported; expected pipeline, parallel or command/);
  });

  it('keeps an unknown settings key, as Azure does, with a warning naming the nearest one', () => {
    const job = fixture.compile(BASE.replace('  default_compute:', '  default_comput:'));
    expect(job.warnings).toContainEqual(
      expect.stringMatching(
        /settings\.default_comput is not a setting parajob knows and is ignored \(did you mean "default_compute"\?\)/,
      ),
    );
  });
});

describe('loadJobSpec', () => {
  let fixture: SpecFixture;
  beforeAll(() => {
    fixture = createSpecFixture();
  });
  afterAll(() => fixture.remove());

  it('reads and compiles a file', async () => {
    writeFileSync(fixture.file, BASE);
    const job = await loadJobSpec(fixture.file, { runDir: fixture.runDir });
    expect(job.sourcePath).toBe(fixture.file);
    expect(job.steps.map((step) => step.name)).toEqual(['score']);
  });

  it('locates malformed YAML by file and line', async () => {
    const yaml = 'type: pipeline\njobs:\n  score: [1, 2\n  other: 3\n';
    const file = join(fixture.dir, 'broken', 'job.yml');
    mkdirSync(join(fixture.dir, 'broken'));
    writeFileSync(file, yaml);
    const error = await loadJobSpec(file, { runDir: fixture.runDir }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SpecErrors);
    const [first] = (error as SpecErrors).errors;
    expect(first?.location.file).toBe(file);
    expect(first?.location.line).toBeGreaterThanOrEqual(3);
    expect(first?.detail).toMatch(/^invalid YAML: /);
  });

  it('reports an unreadable file as a SpecErrors naming it', async () => {
    const file = join(fixture.dir, 'missing.yml');
    const error = await loadJobSpec(file, { runDir: fixture.runDir }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SpecErrors);
    expect((error as SpecErrors).errors[0]?.location.file).toBe(file);
  });
});

describe('standalone parallel file errors', () => {
  let fixture: SpecFixture;
  beforeAll(() => {
    fixture = createSpecFixture();
  });
  afterAll(() => fixture.remove());

  const STANDALONE = `type: parallel
inputs:
  files: \${{parent.inputs.data}}
input_data: \${{inputs.files}}
mini_batch_size: 2
task:
  code: ./script
  entry_script: score.py
`;

  it.each([
    {
      yaml: STANDALONE,
      keyPath: 'inputs.files',
      marker: 'parent.inputs.data',
      message: /there is no parent pipeline here/,
    },
    {
      yaml: STANDALONE.replace('mini_batch_size', 'mini_batch_siz'),
      keyPath: 'mini_batch_siz',
      marker: 'mini_batch_siz',
      message: /did you mean "mini_batch_size"/,
    },
  ])('$keyPath: $message', ({ yaml, keyPath, marker, message }) => {
    const errors = fixture.errors(yaml);
    const match = errors.find((error) => error.location.keyPath === keyPath);
    expect(match, errors.map((e) => e.message).join('\n')).toBeDefined();
    expect(match?.location.line).toBe(lineOf(yaml, marker));
    expect(match?.detail).toMatch(message);
  });
});
