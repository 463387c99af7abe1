/**
 * The argv an entry script receives, Azure-style (SPEC.md 4.2): the driver's system arguments first,
 * then the user's program arguments, so that a script using `parse_known_args` sees both.
 */
import { basename, dirname } from 'node:path';

import type { CompiledParallelStep, MiniBatchSize } from './model.js';

/** The settled step values the system arguments are made of. */
export interface SystemArgumentValues {
  /** The append_row target file, or undefined for summary_only. */
  readonly appendRowFile: string | undefined;
  /** `<step run dir>/outputs`: the `--output` of a summary_only step. */
  readonly stepOutputsDir: string;
  readonly loggingLevel: CompiledParallelStep['loggingLevel'];
  /** Left out of the argv when absent (the default then depends on the input kind). */
  readonly miniBatchSize: MiniBatchSize | undefined;
  readonly errorThreshold: number;
  readonly runTimeoutMs: number;
  readonly maxRetries: number;
}

/**
 * `--output_action append_row|summary_only --logging_level L [--mini_batch_size T] --error_threshold N
 * --run_invocation_timeout S --run_max_try N --output DIR [--append_row_file_name F]` followed by
 * `userWords`. `--run_max_try` carries `retry_settings.max_retries`, as Azure's v1→v2 mapping does;
 * `--output` is the folder of the append_row file, or the step's outputs folder for summary_only.
 */
export function buildEntryArgv(values: SystemArgumentValues, userWords: readonly string[]): string[] {
  const appendRow = values.appendRowFile !== undefined;
  const argv = ['--output_action', appendRow ? 'append_row' : 'summary_only', '--logging_level', values.loggingLevel];
  if (values.miniBatchSize) argv.push('--mini_batch_size', values.miniBatchSize.text);
  argv.push(
    '--error_threshold',
    String(values.errorThreshold),
    '--run_invocation_timeout',
    String(Math.round(values.runTimeoutMs / 1000)),
    '--run_max_try',
    String(values.maxRetries),
    '--output',
    values.appendRowFile !== undefined ? dirname(values.appendRowFile) : values.stepOutputsDir,
  );
  if (values.appendRowFile !== undefined) argv.push('--append_row_file_name', basename(values.appendRowFile));
  return [...argv, ...userWords];
}
