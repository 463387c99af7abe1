/**
 * Python entry scripts over tabular (MLTable) input, through `parajob run` over real processes:
 * a DataFrame per mini-batch over two nodes, returned DataFrames written as pandas writes them
 * (strings with spaces quoted), run(mini_batch, mini_batch_context) with partition_keys and the
 * interpreter chosen by the job's environment_variables, and a Python without a usable pandas
 * failing the job at start with a message naming the interpreter.
 */
import { chmod, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertBuilt, type CliProcess, killAllCli, runCli } from '../helpers/cli-process.js';
import { makeTempDir, writeText } from '../helpers/input-files.js';
import { NO_PYTHON, pandasPython, TEST_PYTHON } from '../helpers/python.js';

const ROWS = 120;
const REGIONS = ['north', 'south', 'east'] as const;

interface Row {
  readonly id: number;
  /** The name as the script sees it (CSV-unquoted). */
  readonly name: string;
  readonly qty: number;
  readonly region: string;
}

function rowOf(id: number): Row {
  const kind = id % 4;
  const name =
    kind === 0 ? `plain${id}` : kind === 1 ? `item ${id} of many` : kind === 2 ? `say "hi" ${id}` : `x,y${id}`;
  return { id, name, qty: (id * 7) % 11, region: REGIONS[id % REGIONS.length] as string };
}

const TABLE: readonly Row[] = Array.from({ length: ROWS }, (_, id) => rowOf(id));

/** The data file, RFC 4180 quoting where a field needs it. */
function csvText(): string {
  const field = (text: string): string => (/[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
  return (
    [
      'id,name,qty,region',
      ...TABLE.map((row) => [String(row.id), field(row.name), String(row.qty), row.region].join(',')),
    ].join('\n') + '\n'
  );
}

/** What pandas' to_csv(sep=" ", header=False, index=False) writes for a field: quoted when it holds a space or a quote. */
function pandasField(text: string): string {
  return /[ "\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const MLTABLE = [
  'paths:',
  '  - file: ./data.csv',
  'transformations:',
  '  - read_delimited: {header: all_files_same_headers}',
  '',
].join('\n');

/** A standalone parallel job over ./table; `extra` lines go at the top level (partition_keys, environment_variables). */
function jobYaml(entryScript: string, extra: readonly string[], instanceCount = 1): string {
  return [
    'type: parallel',
    'compute: azureml:cpu',
    'inputs:',
    '  table:',
    '    type: mltable',
    '    path: ./table',
    '    mode: ro_mount',
    'outputs:',
    '  result:',
    '    type: uri_file',
    `    path: ./out/${entryScript}.txt`,
    'input_data: ${{inputs.table}}',
    ...extra,
    'resources:',
    `  instance_count: ${instanceCount}`,
    'max_concurrency_per_instance: 2',
    'retry_settings:',
    '  max_retries: 1',
    '  timeout: 60',
    'task:',
    '  type: run_function',
    '  code: ./code',
    `  entry_script: ${entryScript}`,
    '  append_row_to: ${{outputs.result}}',
    '',
  ].join('\n');
}

const FRAME_PY = `import pandas as pd


def run(mini_batch):
    assert isinstance(mini_batch, pd.DataFrame), type(mini_batch)
    out = mini_batch[["id", "name"]].copy()
    out["double"] = mini_batch["qty"] * 2
    return out
`;

const KEYS_PY = `def run(mini_batch, mini_batch_context):
    key = mini_batch_context.partition_key_value
    regions = ",".join(sorted(set(mini_batch["region"])))
    return ["{} {} {} {}".format(key["region"], len(mini_batch), regions, int(mini_batch["qty"].sum()))]
`;

let dir: string;
let python: string;

async function run(
  name: string,
  yaml: string,
  args: readonly string[] = [],
): Promise<{ cli: CliProcess; runDir: string }> {
  await writeText(dir, `${name}.yml`, yaml);
  const runDir = join(dir, `run-${name}`);
  const cli = await runCli(
    ['run', join(dir, `${name}.yml`), '--run-dir', runDir, '--data-dir', join(dir, `data-dir-${name}`), ...args],
    { timeoutMs: 90_000 },
  );
  return { cli, runDir };
}

async function lines(file: string): Promise<string[]> {
  return (await readFile(file, 'utf8')).split('\n').filter(Boolean);
}

describe.skipIf(TEST_PYTHON === undefined)(
  `Python entry scripts over tabular input ${TEST_PYTHON ? '' : NO_PYTHON}`,
  () => {
    beforeAll(async () => {
      assertBuilt();
      python = pandasPython();
      dir = await makeTempDir('parajob-python-tabular-');
      await writeText(dir, 'table/MLTable', MLTABLE);
      await writeText(dir, 'table/data.csv', csvText());
      await writeText(dir, 'code/frame.py', FRAME_PY);
      await writeText(dir, 'code/keys.py', KEYS_PY);
      // The same Python without its site packages (-S), where pandas, wherever installed, is not found.
      await writeText(dir, 'no-site/python3', `#!/bin/sh\nexec ${python} -S "$@"\n`);
      await chmod(join(dir, 'no-site', 'python3'), 0o755);
    });

    afterAll(async () => {
      await killAllCli();
    });

    it('a DataFrame per mini-batch over two nodes; the returned DataFrame written as pandas does (quoted strings with spaces)', async () => {
      const { cli, runDir } = await run('frame', jobYaml('frame.py', ['mini_batch_size: "8 rows"'], 2), [
        '--python',
        python,
      ]);
      expect(cli.exit?.code, cli.describeOutput()).toBe(0);
      const expected = TABLE.map((row) => `${row.id} ${pandasField(row.name)} ${row.qty * 2}`);
      const rows = await lines(join(dir, 'out', 'frame.py.txt'));
      expect([...rows].sort()).toEqual([...expected].sort());
      // Spot checks of pandas' quoting, spelled out.
      expect(rows).toContain('1 "item 1 of many" 14');
      expect(rows).toContain('2 "say ""hi"" 2" 6');
      expect(rows).toContain('3 x,y3 20');
      const summary = JSON.parse(await readFile(join(runDir, 'logs', 'sys', 'job_report', 'summary.json'), 'utf8')) as {
        nodes: string[];
      };
      expect([...summary.nodes].sort()).toEqual(['node-1', 'node-2']);
    }, 120_000);

    it('run(mini_batch, mini_batch_context) gets partition_key_value per partition_keys group; the interpreter from environment_variables.PARAJOB_PYTHON', async () => {
      const extra = ['partition_keys: [region]', 'environment_variables:', `  PARAJOB_PYTHON: ${python}`];
      const { cli } = await run('keys', jobYaml('keys.py', extra));
      expect(cli.exit?.code, cli.describeOutput()).toBe(0);
      const expected = REGIONS.map((region) => {
        const group = TABLE.filter((row) => row.region === region);
        return `${region} ${group.length} ${region} ${group.reduce((sum, row) => sum + row.qty, 0)}`;
      });
      expect((await lines(join(dir, 'out', 'keys.py.txt'))).sort()).toEqual([...expected].sort());
    }, 120_000);

    it('a Python without pandas fails the job at start, naming the interpreter and the import error', async () => {
      const noSite = join(dir, 'no-site', 'python3');
      const { cli, runDir } = await run('no-pandas', jobYaml('frame.py', ['mini_batch_size: "8 rows"']), [
        '--python',
        noSite,
      ]);
      expect(cli.exit?.code, cli.describeOutput()).toBe(1);
      const result = await readFile(join(runDir, 'logs', 'job_result.txt'), 'utf8');
      expect(result).toContain(`the Python interpreter ${noSite} (chosen by the node's --python option)`);
      expect(result).toContain("cannot import pandas (ModuleNotFoundError: No module named 'pandas')");
      expect(result).toContain('python3-pandas');
    }, 120_000);
  },
);
