/**
 * Partitioning of a step's `input_data`: which data input is split, and how it becomes mini-batches.
 * File lists (uri_folder, uri_file) are cut here; MLTable inputs have their own partitioner (a hook,
 * below, until src/input/mltable lands).
 */
import { InputError } from '../../errors.js';
import { listFileInput } from '../../input/files.js';
import type { CompiledParallelStep, DataInput } from '../../spec/model.js';
import { cutFileMiniBatches, filesPerMiniBatch, type FileMiniBatches } from './file-mini-batches.js';

/** A step's input cut into mini-batches. (Tabular partitions join this union with issue 4.) */
export type Partition = FileMiniBatches;

/** The data input `input_data` names; InputError when it is missing or a literal. */
export function inputDataOf(step: CompiledParallelStep): DataInput {
  const input = step.inputs.find((candidate) => candidate.name === step.inputData);
  if (input === undefined || input.kind !== 'data') {
    throw new InputError(`step '${step.name}': input_data names '${step.inputData}', which is not a data input of the step`);
  }
  return input;
}

/**
 * Lists and cuts a step's input_data. Throws InputError (the job fails with FAILURE_KIND_INVALID_INPUT)
 * for a missing path, a folder with no files, a mini_batch_size in bytes/rows on file input, and (for
 * now) any mltable input.
 */
export async function partitionStepInput(step: CompiledParallelStep): Promise<Partition> {
  const input = inputDataOf(step);
  if (input.type === 'mltable') return partitionMltableInput(step, input);
  const size = filesPerMiniBatch(step.miniBatchSize, input.name);
  const files = await listFileInput({ name: input.name, type: input.type, path: input.path });
  if (files.relativePaths.length === 0) {
    throw new InputError(`input_data folder ${input.path} has no files (input '${input.name}' of step '${step.name}')`);
  }
  return cutFileMiniBatches(files, size);
}

/**
 * TODO(mltable): hook for src/input/mltable (file-list MLTables and tabular byte ranges). Until it is
 * wired, an mltable input fails the job clearly instead of being misread as a folder.
 */
async function partitionMltableInput(step: CompiledParallelStep, input: DataInput): Promise<Partition> {
  throw new InputError(`mltable input is not supported yet (input '${input.name}' of step '${step.name}': ${input.path})`);
}

/**
 * The checks `validating` makes before anything is written: input_data names a data input, and a file
 * input's mini_batch_size is a number of files. Throws InputError.
 */
export function checkStepInput(step: CompiledParallelStep): void {
  const input = inputDataOf(step);
  if (input.type !== 'mltable') filesPerMiniBatch(step.miniBatchSize, input.name);
}
