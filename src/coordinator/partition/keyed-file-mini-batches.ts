/**
 * Mini-batches of a file-list MLTable with `partition_keys`: one mini-batch per distinct key tuple
 * (keys extracted from the paths), holding that key's files. The files are held once, packed (see
 * input/packed-paths.ts), with an offset per mini-batch.
 */
import { PackedPaths } from '../../input/packed-paths.js';
import type { KeyedMiniBatch } from '../../input/tabular/index.js';

/** File lists grouped by key. */
export interface KeyedFileMiniBatches {
  readonly kind: 'keyed-files';
  /** Absolute paths, grouped by mini-batch. */
  readonly files: PackedPaths;
  /** Mini-batch i holds files `[offsets[i], offsets[i + 1])`. */
  readonly offsets: Uint32Array;
  /** The lease's partition_key_json of each mini-batch. */
  readonly partitionKeyJson: readonly string[];
  readonly miniBatchCount: number;
  /** Files in all mini-batches. */
  readonly itemsTotal: number;
}

/** Packs `partitionByKeys`' groups of a file-list MLTable. */
export function keyedFileMiniBatches(keyed: readonly KeyedMiniBatch[]): KeyedFileMiniBatches {
  const files: string[] = [];
  const offsets = new Uint32Array(keyed.length + 1);
  keyed.forEach((batch, i) => {
    offsets[i] = files.length;
    files.push(...batch.files);
  });
  offsets[keyed.length] = files.length;
  return {
    kind: 'keyed-files',
    files: PackedPaths.from(files),
    offsets,
    partitionKeyJson: keyed.map((batch) => JSON.stringify(batch.partitionKeyValue)),
    miniBatchCount: keyed.length,
    itemsTotal: files.length,
  };
}

/** Absolute paths of mini-batch `id`'s files. */
export function keyedFilesOf(batches: KeyedFileMiniBatches, id: number): string[] {
  return batches.files.slice(batches.offsets[id] ?? 0, batches.offsets[id + 1] ?? 0);
}

/** Files in mini-batch `id`. O(1). */
export function keyedFileCountOf(batches: KeyedFileMiniBatches, id: number): number {
  return (batches.offsets[id + 1] ?? 0) - (batches.offsets[id] ?? 0);
}
