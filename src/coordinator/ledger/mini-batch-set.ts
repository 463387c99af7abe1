/**
 * Sets of mini-batch ids as bitmaps (bit `id % 8` of byte `id / 8`): one bit per mini-batch, so a rerun
 * can carry which of a million mini-batches succeeded in 125 KB, in memory, in the journal and in its
 * snapshots.
 */
/** Bytes of a bitmap over `miniBatchCount` mini-batches. */
export function bitmapBytes(miniBatchCount: number): number {
  return Math.ceil(miniBatchCount / 8);
}

/** True when `id` is in the set. */
export function hasMiniBatch(bitmap: Uint8Array, id: number): boolean {
  return ((bitmap[id >> 3] ?? 0) & (1 << (id & 7))) !== 0;
}

/** How many ids the set holds. */
export function miniBatchSetSize(bitmap: Uint8Array): number {
  let size = 0;
  for (const byte of bitmap) {
    let bits = byte;
    while (bits !== 0) {
      bits &= bits - 1;
      size += 1;
    }
  }
  return size;
}

/** The set of ids `i` whose `states[i]` is `state`. */
export function miniBatchesIn(states: Uint8Array, state: number): Uint8Array {
  const bitmap = new Uint8Array(bitmapBytes(states.length));
  for (let id = 0; id < states.length; id++)
    if (states[id] === state) bitmap[id >> 3] = (bitmap[id >> 3] ?? 0) | (1 << (id & 7));
  return bitmap;
}
