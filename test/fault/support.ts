/**
 * Shared pieces of the fault tests: a workspace with input files, the fault-probe entry script, and
 * job YAML with the settings the tests vary. The script's run() returns each file's base name, so the
 * append_row output of a job over N files is N known lines; its behaviour is steered by environment
 * variables set in the job (environment_variables), never by timing.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { FaultCluster } from '../../cluster/fault/fault-cluster.js';
import { partialPathOf } from '../../src/coordinator/output/publish-file.js';
import { JobState } from '../../src/gen/parajob/v1/parajob.js';
import { makeInputFiles, makeTempDir, writeText } from '../helpers/input-files.js';

/**
 * The entry script. FAULT_SLEEP_MS: every run() waits that long first; FAULT_SLOW_NODE and
 * FAULT_SLOW_MS: the first run() of each worker on that node waits FAULT_SLOW_MS instead;
 * FAULT_EXTRA_MB: that mini-batch returns 2 items more than it was given; FAULT_GATE_MB: run() of that
 * mini-batch waits until the file FAULT_GATE_FILE exists (so a test can hold the job open until it has
 * seen what it waits for); FAULT_INIT_THROWS: init() throws that message; FAULT_RUN_LOG: each run()
 * that returns appends its mini-batch id to <FAULT_RUN_LOG>/<pid>.log (so a test counts how often each
 * mini-batch ran); shutdown() logs "shutdown called" to the entry-script log. A tabular mini-batch's
 * rows (objects) give their `id` column instead of a base name.
 */
export const FAULT_PROBE_SCRIPT = `import { appendFileSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export function init() {
  if (process.env.FAULT_INIT_THROWS) throw new Error('init exploded: ' + process.env.FAULT_INIT_THROWS);
}

let runs = 0;

export async function run(miniBatch, context) {
  runs += 1;
  const slow = runs === 1 && process.env.FAULT_SLOW_NODE === context.nodeId;
  const sleepMs = Number((slow ? process.env.FAULT_SLOW_MS : process.env.FAULT_SLEEP_MS) ?? 0);
  if (sleepMs > 0) await sleep(sleepMs);
  if (process.env.FAULT_GATE_MB === String(context.miniBatchId))
    while (!existsSync(process.env.FAULT_GATE_FILE)) await sleep(20);
  const rows = miniBatch.map((item) => (typeof item === 'string' ? basename(item) : String(item.id)));
  if (process.env.FAULT_EXTRA_MB === String(context.miniBatchId)) rows.push('extra-' + context.miniBatchId + '-a', 'extra-' + context.miniBatchId + '-b');
  if (process.env.FAULT_RUN_LOG) appendFileSync(join(process.env.FAULT_RUN_LOG, process.pid + '.log'), context.miniBatchId + '\\n');
  return rows;
}

export function shutdown(context) {
  context.logger.info('shutdown called');
}
`;

/** A folder with `data/` (the input files), `code/probe.mjs` and room for job files. */
export interface FaultWorkspace {
  readonly dir: string;
  /** Base names of the input files, in listing order: the expected output lines. */
  readonly names: string[];
}

/** Creates a workspace with `files` input files. */
export async function makeFaultWorkspace(prefix: string, files: number): Promise<FaultWorkspace> {
  const dir = await makeTempDir(`parajob-fault-${prefix}-`);
  const names = await makeInputFiles(join(dir, 'data'), files);
  await writeText(dir, 'code/probe.mjs', FAULT_PROBE_SCRIPT);
  return { dir, names };
}

/** The settings a fault test varies; everything else is fixed. */
export interface FaultJobOptions {
  /** File name of the YAML; also names the output `out/<name>.txt`. */
  readonly name: string;
  readonly miniBatchSize: number;
  readonly compute?: string;
  readonly instanceCount?: number;
  readonly concurrency?: number;
  readonly maxRetries?: number;
  /** retry_settings.timeout in seconds (whole). */
  readonly timeoutS?: number;
  readonly miniBatchErrorThreshold?: number;
  /** Predefined arguments, e.g. `--error_threshold 2`. */
  readonly programArguments?: string;
  readonly env?: Readonly<Record<string, string>>;
}

/** Writes `<dir>/<name>.yml` and returns its path and the append_row output file. */
export async function writeFaultJob(
  workspace: FaultWorkspace,
  options: FaultJobOptions,
): Promise<{ spec: string; output: string }> {
  const env = Object.entries(options.env ?? {});
  const lines = [
    'type: parallel',
    `name: ${options.name}`,
    `compute: azureml:${options.compute ?? 'cpu'}`,
    'inputs:',
    '  files:',
    '    type: uri_folder',
    '    path: ./data',
    'outputs:',
    '  result:',
    '    type: uri_file',
    `    path: ./out/${options.name}.txt`,
    'input_data: ${{inputs.files}}',
    `mini_batch_size: "${options.miniBatchSize}"`,
    'resources:',
    `  instance_count: ${options.instanceCount ?? 1}`,
    `max_concurrency_per_instance: ${options.concurrency ?? 2}`,
    `mini_batch_error_threshold: ${options.miniBatchErrorThreshold ?? -1}`,
    'retry_settings:',
    `  max_retries: ${options.maxRetries ?? 2}`,
    `  timeout: ${options.timeoutS ?? 30}`,
    ...(env.length === 0 ? [] : ['environment_variables:', ...env.map(([key, value]) => `  ${key}: "${value}"`)]),
    'task:',
    '  type: run_function',
    '  code: ./code',
    '  entry_script: probe.mjs',
    '  append_row_to: ${{outputs.result}}',
    ...(options.programArguments === undefined ? [] : [`  program_arguments: ${options.programArguments}`]),
  ];
  const spec = await writeText(workspace.dir, `${options.name}.yml`, `${lines.join('\n')}\n`);
  return { spec, output: join(workspace.dir, 'out', `${options.name}.txt`) };
}

/** The base names of mini-batch `id`'s files (file input is listed in name order). */
export function namesOf(workspace: FaultWorkspace, miniBatchSize: number, id: number): string[] {
  return workspace.names.slice(id * miniBatchSize, (id + 1) * miniBatchSize);
}

/** How many times each mini-batch ran, from the probe's run logs in `runLogDir` (FAULT_RUN_LOG). */
export async function runCounts(runLogDir: string): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for (const name of await readdir(runLogDir)) {
    for (const line of (await readFile(join(runLogDir, name), 'utf8')).split('\n')) {
      if (line !== '') counts.set(Number(line), (counts.get(Number(line)) ?? 0) + 1);
    }
  }
  return counts;
}

/**
 * Writes an MLTable folder `table/` of one CSV (`id,label`) holding the workspace's names as ids, so a
 * tabular job run by the probe appends the same lines as a file job over `data/`.
 */
export async function writeFaultTable(workspace: FaultWorkspace): Promise<void> {
  await writeText(
    workspace.dir,
    'table/MLTable',
    'paths:\n  - pattern: ./*.csv\ntransformations:\n  - read_delimited: {header: all_files_same_headers}\n',
  );
  const lines = ['id,label', ...workspace.names.map((name, index) => `${name},row ${index}`)];
  await writeText(workspace.dir, 'table/rows.csv', `${lines.join('\n')}\n`);
}

/** A tabular job over `table/` (writeFaultTable), `rows` rows per mini-batch; returns its spec and output. */
export async function writeFaultTabularJob(
  workspace: FaultWorkspace,
  options: { readonly name: string; readonly rows: number; readonly env?: Readonly<Record<string, string>> },
): Promise<{ spec: string; output: string }> {
  const { spec, output } = await writeFaultJob(workspace, {
    name: options.name,
    miniBatchSize: 1,
    instanceCount: 2,
    ...(options.env === undefined ? {} : { env: options.env }),
  });
  const yaml = (await readFile(spec, 'utf8'))
    .replace('    type: uri_folder\n    path: ./data', '    type: mltable\n    path: ./table')
    .replace('mini_batch_size: "1"', `mini_batch_size: "${options.rows} rows"`);
  await writeText(workspace.dir, `${options.name}.yml`, yaml);
  return { spec, output };
}

/** The step names of writeFaultPipeline's pipeline, in the order they run. */
export const PIPELINE_STEPS = ['first', 'second', 'third'] as const;

/**
 * A pipeline of three parallel steps over `data/`, each after the one before (it takes the previous
 * step's output as an input it does not read); step S appends to `out/<name>-S.txt` and logs its runs
 * to `<runLogs>/S`. Returns its spec and the output of each step.
 */
export async function writeFaultPipeline(
  workspace: FaultWorkspace,
  options: { readonly name: string; readonly miniBatchSize: number; readonly runLogs: string },
): Promise<{ spec: string; outputs: Record<(typeof PIPELINE_STEPS)[number], string> }> {
  const step = (name: string, after: string | undefined) => [
    `  ${name}:`,
    '    type: parallel',
    '    inputs:',
    '      files: ${{parent.inputs.files}}',
    ...(after === undefined ? [] : [`      after: \${{parent.jobs.${after}.outputs.result}}`]),
    '    outputs:',
    `      result: {type: uri_file, path: ./out/${options.name}-${name}.txt}`,
    '    input_data: ${{inputs.files}}',
    `    mini_batch_size: "${options.miniBatchSize}"`,
    '    resources: {instance_count: 2}',
    '    max_concurrency_per_instance: 2',
    '    retry_settings: {max_retries: 2, timeout: 30}',
    '    environment_variables:',
    '      FAULT_SLEEP_MS: "10"',
    `      FAULT_RUN_LOG: "${join(options.runLogs, name)}"`,
    '    task:',
    '      type: run_function',
    '      code: ./code',
    '      entry_script: probe.mjs',
    '      append_row_to: ${{outputs.result}}',
  ];
  const lines = [
    'type: pipeline',
    `name: ${options.name}`,
    'settings: {default_compute: azureml:cpu}',
    'inputs:',
    '  files: {type: uri_folder, path: ./data}',
    'jobs:',
    ...step('first', undefined),
    ...step('second', 'first'),
    ...step('third', 'second'),
  ];
  const spec = await writeText(workspace.dir, `${options.name}.yml`, `${lines.join('\n')}\n`);
  const outputOf = (name: string) => join(workspace.dir, 'out', `${options.name}-${name}.txt`);
  return { spec, outputs: { first: outputOf('first'), second: outputOf('second'), third: outputOf('third') } };
}

/** The first command_log chunk of the job that matches `pattern` (bounded: 30 s). */
export async function firstLogMatch(cluster: FaultCluster, jobId: string, pattern: RegExp): Promise<RegExpMatchArray> {
  const signal = AbortSignal.timeout(30_000);
  for await (const event of cluster.api.watch(jobId, signal, true)) {
    const match = event.kind?.$case === 'stepLog' ? pattern.exec(event.kind.value.text) : null;
    if (match !== null) return match;
  }
  throw new Error(`the job ended without logging ${pattern}`);
}

/**
 * The file holding a finished job's accepted rows: its append_row output once it succeeded; else the
 * partial file beside it (the output is published only on success: src/coordinator/output/publish-file.ts).
 */
export function acceptedRowsFile(output: string, state: JobState): string {
  return state === JobState.JOB_STATE_SUCCEEDED ? output : partialPathOf(output);
}
