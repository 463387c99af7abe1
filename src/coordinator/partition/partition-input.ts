/**
 * Partitioning of a step's `input_data`: which data input is split, and how it becomes mini-batches.
 * File lists (uri_folder, uri_file) are cut here; MLTable inputs in mltable-partition.ts. The
 * functions at the end answer what a lease of mini-batch `id` holds, whatever the partition's kind.
 */
import { InputError } from '../../errors.js';
import type { Lease } from '../../gen/parajob/v1/parajob.js';
import { listFileInput } from '../../input/files.js';
import type { CompiledParallelStep, DataInput } from '../../jobspec/model.js';
import { isS3Uri } from '../../storage/s3-location.js';
import { type AssignmentInput, FILES_INPUT, type OnProbed } from './assignment-input.js';
import {
  cutFileMiniBatches,
  fileCountOf,
  type FileMiniBatches,
  filesOf,
  filesPerMiniBatch,
} from './file-mini-batches.js';
import { keyedFileCountOf, type KeyedFileMiniBatches, keyedFilesOf } from './keyed-file-mini-batches.js';
import { partitionMltable } from './mltable-partition.js';
import { listObjectStoreInput } from './object-store-input.js';
import {
  leaseRowCountOf,
  noteRowsRead,
  rangesOf,
  rowCountOf,
  type TableMiniBatches,
  tableRowsTotal,
} from './table-mini-batches.js';

/**
 * A step's input cut into mini-batches: a file list by count, a file list by partition key (file-list
 * MLTable), or a table's byte ranges (tabular MLTable; items are rows).
 */
export type Partition = FileMiniBatches | KeyedFileMiniBatches | TableMiniBatches;

/** The data input `input_data` names; InputError when it is missing or a literal. */
export function inputDataOf(step: CompiledParallelStep): DataInput {
  const input = step.inputs.find((candidate) => candidate.name === step.inputData);
  if (input === undefined || input.kind !== 'data') {
    throw new InputError(
      `step '${step.name}': input_data names '${step.inputData}', which is not a data input of the step`,
    );
  }
  return input;
}

/**
 * Lists and cuts a step's input_data. Throws InputError (the job fails with FAILURE_KIND_INVALID_INPUT)
 * for a missing path, a folder with no files, a mini_batch_size in bytes/rows on file input, and an
 * invalid MLTable or unreadable table data.
 */
export async function partitionStepInput(step: CompiledParallelStep, onProbed?: OnProbed): Promise<Partition> {
  const input = inputDataOf(step);
  // An mltable in object storage is refused here (listObjectStoreInput says why).
  if (isS3Uri(input.path) && input.type === 'mltable') await listObjectStoreInput(input);
  if (input.type === 'mltable') return partitionMltable(step, input, onProbed);
  const size = filesPerMiniBatch(step.miniBatchSize, input.name);
  // A file list's workers read files: they can start while the folder is listed.
  onProbed?.(FILES_INPUT);
  const remote = isS3Uri(input.path) ? await listObjectStoreInput(input) : undefined;
  const files = remote?.files ?? (await listFileInput({ name: input.name, type: input.type, path: input.path }));
  if (files.relativePaths.length === 0) {
    throw new InputError(`input_data folder ${input.path} has no files (input '${input.name}' of step '${step.name}')`);
  }
  return cutFileMiniBatches(files, size, remote?.presign);
}

/**
 * The checks `validating` makes before anything is written: input_data names a data input, and a file
 * input's mini_batch_size is a number of files and it has no partition_keys (those need an MLTable,
 * whose keys come from its columns or paths). Throws InputError.
 */
export function checkStepInput(step: CompiledParallelStep): void {
  const input = inputDataOf(step);
  if (input.type === 'mltable') return;
  filesPerMiniBatch(step.miniBatchSize, input.name);
  if (step.partitionKeys !== undefined) {
    throw new InputError(
      `step '${step.name}': partition_keys needs an mltable input_data (the keys are columns of the table, or of extract_columns_from_partition_format); input '${input.name}' is a ${input.type}`,
    );
  }
}

/** What a Lease of mini-batch `id` carries besides its ids: files or ranges, URLs, key, item count. */
export type LeaseContent = Pick<Lease, 'files' | 'fileUrls' | 'ranges' | 'partitionKeyJson' | 'itemCount'>;

/**
 * The content of mini-batch `id`'s lease. O(files or ranges of the mini-batch); object-storage files
 * are presigned here, once per lease, so each attempt's URLs are fresh.
 */
export function leaseContentOf(partition: Partition, id: number): LeaseContent {
  switch (partition.kind) {
    case 'files': {
      const files = filesOf(partition, id);
      const fileUrls = partition.presign === undefined ? [] : files.map(partition.presign);
      return { files, fileUrls, ranges: [], partitionKeyJson: '', itemCount: fileCountOf(partition, id) };
    }
    case 'keyed-files':
      return {
        files: keyedFilesOf(partition, id),
        fileUrls: [],
        ranges: [],
        partitionKeyJson: partition.partitionKeyJson[id] ?? '',
        itemCount: keyedFileCountOf(partition, id),
      };
    case 'tabular':
      return {
        files: [],
        fileUrls: [],
        ranges: rangesOf(partition, id),
        partitionKeyJson: partition.partitionKeyJson?.[id] ?? '',
        itemCount: leaseRowCountOf(partition, id),
      };
  }
}

/**
 * Items (files, or rows) in mini-batch `id` as far as known: rows of a table cut by size are 0 until
 * a worker reported reading them ({@link noteItemsRead}).
 */
export function itemCountOf(partition: Partition, id: number): number {
  switch (partition.kind) {
    case 'files':
      return fileCountOf(partition, id);
    case 'keyed-files':
      return keyedFileCountOf(partition, id);
    case 'tabular':
      return rowCountOf(partition, id);
  }
}

/** Items in the whole input when known at partitioning; undefined for rows counted as they are read. */
export function knownItemsTotal(partition: Partition): number | undefined {
  return partition.kind === 'tabular' ? tableRowsTotal(partition) : partition.itemsTotal;
}

/** A worker reported `total` items read for mini-batch `id` (only tables cut by size need it). */
export function noteItemsRead(partition: Partition, id: number, total: number): void {
  if (partition.kind === 'tabular') noteRowsRead(partition, id, total);
}

/** JobAssignment.input_kind and tabular_reader_json for the partition. */
export function assignmentInputOf(partition: Partition): AssignmentInput {
  return partition.kind === 'tabular' ? { inputKind: 'tabular', tabularReaderJson: partition.readerJson } : FILES_INPUT;
}
