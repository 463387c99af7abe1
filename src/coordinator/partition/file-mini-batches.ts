/**
 * Mini-batches of a file-list input: mini-batch i is the slice [i × size, (i + 1) × size) of the
 * sorted file list. Nothing is stored per mini-batch: the list is held once, packed (one UTF-8 buffer
 * and an offset a file: a million pending files cost their path bytes and 4 MB, not a million strings),
 * and a mini-batch's files are decoded from it when it is leased.
 */
import { InputError } from '../../errors.js';
import type { FileList } from '../../input/files.js';
import { PackedPaths } from '../../input/packed-paths.js';
import { DEFAULT_FILES_PER_MINI_BATCH, type MiniBatchSize } from '../../jobspec/model.js';

/** A file list cut into mini-batches of `filesPerMiniBatch` files (the last may hold fewer). */
export interface FileMiniBatches {
  readonly kind: 'files';
  /** Absolute folder the paths are relative to, ending in '/'. */
  readonly root: string;
  /** The FileList's relative paths, packed, in list order. */
  readonly relativePaths: PackedPaths;
  readonly filesPerMiniBatch: number;
  readonly miniBatchCount: number;
  /** Files in all mini-batches. */
  readonly itemsTotal: number;
  /**
   * Object-storage input: the presigned GET URL of each `s3://` file of a lease (so the node holds no
   * credentials). undefined for files on a filesystem the nodes read.
   */
  readonly presign?: ((file: string) => string) | undefined;
}

/**
 * Files per mini-batch from `mini_batch_size`: a plain count, or the default when absent. A size in
 * bytes or rows means tabular data and cannot cut a file list: InputError naming mini_batch_size.
 */
export function filesPerMiniBatch(size: MiniBatchSize | undefined, inputName: string): number {
  if (size === undefined) return DEFAULT_FILES_PER_MINI_BATCH;
  if (size.unit !== 'plain') {
    throw new InputError(
      `mini_batch_size: "${size.text}" is a size in ${size.unit}, which only applies to tabular (mltable) input; ` +
        `input '${inputName}' is a list of files, so mini_batch_size must be a number of files, e.g. "10"`,
    );
  }
  return size.value;
}

/** Cuts `files` into mini-batches of `size` files (size ≥ 1); `presign` for object-storage files. */
export function cutFileMiniBatches(files: FileList, size: number, presign?: (file: string) => string): FileMiniBatches {
  if (!Number.isSafeInteger(size) || size < 1)
    throw new RangeError(`files per mini-batch must be an integer ≥ 1, got ${size}`);
  const itemsTotal = files.relativePaths.length;
  return {
    kind: 'files',
    root: files.root.endsWith('/') ? files.root : `${files.root}/`,
    relativePaths: PackedPaths.from(files.relativePaths),
    filesPerMiniBatch: size,
    miniBatchCount: Math.ceil(itemsTotal / size),
    itemsTotal,
    presign,
  };
}

/** Files in mini-batch `id`. O(1). */
export function fileCountOf(batches: FileMiniBatches, id: number): number {
  const start = id * batches.filesPerMiniBatch;
  return Math.max(0, Math.min(batches.filesPerMiniBatch, batches.itemsTotal - start));
}

/** Absolute paths of mini-batch `id`'s files, in list order. O(files per mini-batch). */
export function filesOf(batches: FileMiniBatches, id: number): string[] {
  const start = id * batches.filesPerMiniBatch;
  return batches.relativePaths.slice(start, start + batches.filesPerMiniBatch).map((path) => batches.root + path);
}
