/** Job YAML for tabular (mltable) integration tests, and running it through `parajob run`. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { type CliProcess, runCli } from './cli-process.js';
import { writeText } from './input-files.js';

export interface TabularJobYamlOptions {
  /** The MLTable folder, relative to the YAML file. */
  readonly tablePath?: string;
  /** Written as is after `mini_batch_size: ` (quote it yourself); undefined: the key is left out. */
  readonly miniBatchSize?: string;
  readonly partitionKeys?: readonly string[];
  readonly instanceCount?: number;
  readonly maxConcurrencyPerInstance?: number;
  readonly entryScript: string;
  /** Output file relative to the YAML file (append_row_to). */
  readonly outputFile?: string;
  readonly maxRetries?: number;
  readonly programArguments?: string;
  /** Extra top-level lines, verbatim (e.g. `mini_batch_error_threshold: 0`). */
  readonly extra?: string;
}

/** A standalone `type: parallel` job reading an mltable input, appending rows to `outputFile`. */
export function tabularJobYaml(options: TabularJobYamlOptions): string {
  const lines = [
    'type: parallel',
    'compute: azureml:cpu',
    'inputs:',
    '  table:',
    '    type: mltable',
    `    path: ${options.tablePath ?? './table'}`,
    '    mode: ro_mount',
    'outputs:',
    '  result:',
    '    type: uri_file',
    `    path: ${options.outputFile ?? './out/result.txt'}`,
    'input_data: ${{inputs.table}}',
  ];
  if (options.miniBatchSize !== undefined) lines.push(`mini_batch_size: ${options.miniBatchSize}`);
  if (options.partitionKeys !== undefined) lines.push(`partition_keys: [${options.partitionKeys.join(', ')}]`);
  lines.push(
    'resources:',
    `  instance_count: ${options.instanceCount ?? 1}`,
    `max_concurrency_per_instance: ${options.maxConcurrencyPerInstance ?? 1}`,
    'retry_settings:',
    `  max_retries: ${options.maxRetries ?? 1}`,
    '  timeout: 60',
    'task:',
    '  type: run_function',
    '  code: ./code',
    `  entry_script: ${options.entryScript}`,
    '  append_row_to: ${{outputs.result}}',
  );
  if (options.programArguments !== undefined) lines.push(`  program_arguments: ${options.programArguments}`);
  if (options.extra !== undefined) lines.push(options.extra);
  return `${lines.join('\n')}\n`;
}

/** Writes `<dir>/<name>.yml` and runs it with `parajob run` (run dir `<dir>/run-<name>`). */
export async function runTabularJob(
  dir: string,
  name: string,
  yaml: string,
  timeoutMs = 60_000,
): Promise<{ cli: CliProcess; file: string; runDir: string }> {
  const file = await writeText(dir, `${name}.yml`, yaml);
  const runDir = join(dir, `run-${name}`);
  const cli = await runCli(['run', file, '--data-dir', join(dir, `data-dir-${name}`), '--run-dir', runDir], {
    timeoutMs,
  });
  return { cli, file, runDir };
}

/** The non-empty lines of a text file. */
export async function readLines(file: string): Promise<string[]> {
  return (await readFile(file, 'utf8')).split('\n').filter((line) => line.length > 0);
}

/** The step's summary.json. */
export async function readSummary(runDir: string): Promise<{
  state: string;
  items: { total: number | null; succeeded: number; failed: number };
  miniBatches: { total: number };
  nodes: string[];
}> {
  return JSON.parse(await readFile(join(runDir, 'logs', 'sys', 'job_report', 'summary.json'), 'utf8'));
}

/** `text` with the regular-expression characters escaped. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
