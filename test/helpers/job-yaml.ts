/** A standalone `type: parallel` job YAML for tests, with the keys tests vary as options. */

export interface ParallelJobYamlOptions {
  readonly compute?: string;
  /** Input folder, relative to the YAML file or absolute. */
  readonly inputPath?: string;
  /** Written as is after `mini_batch_size: ` (quote it yourself for a string). */
  readonly miniBatchSize?: string;
  readonly instanceCount?: number;
  readonly maxConcurrencyPerInstance?: number;
  readonly code?: string;
  readonly entryScript?: string;
  /** uri_file output path for append_row_to, relative to the YAML file; undefined: summary_only. */
  readonly appendRowFile?: string;
  /** uri_folder output `folder` at this path, relative to the YAML file (written by the script itself). */
  readonly folderOutput?: string;
  /** The task's `program_arguments`, verbatim. */
  readonly programArguments?: string;
  readonly maxRetries?: number;
  readonly timeoutS?: number;
  /** Extra top-level lines, verbatim. */
  readonly extra?: string;
}

/** The YAML text. */
export function parallelJobYaml(options: ParallelJobYamlOptions = {}): string {
  const lines = [
    'type: parallel',
    `compute: azureml:${options.compute ?? 'cpu'}`,
    'inputs:',
    '  files:',
    '    type: uri_folder',
    `    path: ${options.inputPath ?? './data'}`,
  ];
  if (options.appendRowFile !== undefined || options.folderOutput !== undefined) lines.push('outputs:');
  if (options.appendRowFile !== undefined) {
    lines.push('  result:', '    type: uri_file', `    path: ${options.appendRowFile}`);
  }
  if (options.folderOutput !== undefined) {
    lines.push('  folder:', '    type: uri_folder', `    path: ${options.folderOutput}`);
  }
  lines.push(
    'input_data: ${{inputs.files}}',
    `mini_batch_size: ${options.miniBatchSize ?? '"10"'}`,
    'resources:',
    `  instance_count: ${options.instanceCount ?? 1}`,
    `max_concurrency_per_instance: ${options.maxConcurrencyPerInstance ?? 1}`,
    'retry_settings:',
    `  max_retries: ${options.maxRetries ?? 1}`,
    `  timeout: ${options.timeoutS ?? 30}`,
    'task:',
    '  type: run_function',
    `  code: ${options.code ?? './code'}`,
    `  entry_script: ${options.entryScript ?? 'list.mjs'}`,
  );
  if (options.programArguments !== undefined) lines.push(`  program_arguments: ${options.programArguments}`);
  if (options.appendRowFile !== undefined) lines.push('  append_row_to: ${{outputs.result}}');
  if (options.extra) lines.push(options.extra);
  return `${lines.join('\n')}\n`;
}

/** An entry script returning each file's base name (one append_row line per file). */
export const LIST_FILES_SCRIPT = `import { basename } from 'node:path';
export function init(context) { context.logger.info('ready'); }
export function run(miniBatch) { return miniBatch.map((file) => basename(file)); }
`;
