/**
 * Partitioning of an `mltable` input: the MLTable is loaded (src/input/mltable) and becomes
 * - a file list (an MLTable with `paths` only): mini-batches by file count, or by partition_keys over
 *   the keys its paths hold (extract_columns_from_partition_format);
 * - a table (read_delimited / read_json_lines / read_parquet): mini-batches of byte ranges, by size,
 *   by rows (`"<n> rows"`) or by partition_keys.
 *
 * Every MLTable or data problem is an InputError (the job fails as INVALID_INPUT) whose message names
 * the MLTable or data file (and for the MLTable, the key path and line).
 */
import path from 'node:path';

import { InputError, SpecError, SpecErrors } from '../../errors.js';
import type { FileList } from '../../input/files.js';
import { type FileListMLTable, loadMLTable, type MLTable, type TabularMLTable } from '../../input/mltable/index.js';
import { partitionByKeys } from '../../input/tabular/index.js';
import { probeTable } from '../../input/tabular/probe-table.js';
import type { CompiledParallelStep, DataInput } from '../../jobspec/model.js';
import { FILES_INPUT, type OnProbed } from './assignment-input.js';
import { cutFileMiniBatches, type FileMiniBatches, filesPerMiniBatch } from './file-mini-batches.js';
import { type KeyedFileMiniBatches, keyedFileMiniBatches } from './keyed-file-mini-batches.js';
import {
  cutTableMiniBatches,
  keyedTableMiniBatches,
  type TableMiniBatches,
  tabularBatchSize,
  tabularReaderJson,
} from './table-mini-batches.js';

/**
 * Loads the MLTable at `input.path` (a folder holding an `MLTable` file, or the file). An invalid
 * MLTable becomes one InputError listing every problem (`file:line:col: key.path: detail` lines).
 */
export async function loadInputMLTable(input: Pick<DataInput, 'name' | 'path'>): Promise<MLTable> {
  try {
    return await loadMLTable(input.path);
  } catch (error) {
    throw asInputError(error);
  }
}

/** Cuts a step's mltable input_data into mini-batches (see the module comment). Throws InputError. */
export async function partitionMltable(
  step: CompiledParallelStep,
  input: DataInput,
  onProbed?: OnProbed,
): Promise<FileMiniBatches | KeyedFileMiniBatches | TableMiniBatches> {
  const table = await loadInputMLTable(input);
  try {
    if (table.kind === 'files') {
      onProbed?.(FILES_INPUT);
      return await partitionFileTable(step, input, table);
    }
    return await partitionTabular(step, table, onProbed);
  } catch (error) {
    throw asInputError(error);
  }
}

async function partitionFileTable(
  step: CompiledParallelStep,
  input: DataInput,
  table: FileListMLTable,
): Promise<FileMiniBatches | KeyedFileMiniBatches> {
  if (step.partitionKeys !== undefined) return keyedFileMiniBatches(await partitionByKeys(table, step.partitionKeys));
  return cutFileMiniBatches(fileListOf(table.files), filesPerMiniBatch(step.miniBatchSize, input.name));
}

async function partitionTabular(
  step: CompiledParallelStep,
  table: TabularMLTable,
  onProbed?: OnProbed,
): Promise<TableMiniBatches> {
  // The probe decides the column types once for the table: every worker reads its rows with them.
  const schema = await probeTable(table);
  // The workers can start (a Python one imports pandas) while the table is cut.
  onProbed?.({ inputKind: 'tabular', tabularReaderJson: tabularReaderJson(table, schema) });
  if (step.partitionKeys !== undefined)
    return keyedTableMiniBatches(table, await partitionByKeys(table, step.partitionKeys), schema);
  return cutTableMiniBatches(table, tabularBatchSize(step.miniBatchSize), schema);
}

/**
 * The MLTable's files as a FileList relative to their deepest common folder (the order, already
 * sorted by the loader, is kept), so that a long list costs one short string per file.
 */
export function fileListOf(files: readonly string[]): FileList {
  let root = path.dirname(files[0] ?? '/');
  for (const file of files) {
    while (!file.startsWith(root.endsWith(path.sep) ? root : root + path.sep)) root = path.dirname(root);
  }
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  return { root, relativePaths: files.map((file) => file.slice(prefix.length).split(path.sep).join('/')) };
}

/** MLTable errors (SpecErrors, SpecError) as one InputError with the same text; others unchanged. */
function asInputError(error: unknown): unknown {
  if (error instanceof InputError) return error;
  if (error instanceof SpecErrors || error instanceof SpecError) return new InputError(error.message);
  return error;
}
