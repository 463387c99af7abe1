/**
 * Publishing a local output file by rename. A step writes its append_row output to a hidden sibling
 * of the output (`.<name>.parajob-partial`, same folder, so the rename is atomic on one filesystem);
 * when the step succeeds, the partial file (already fsynced) is renamed over the output and the folder
 * fsynced, so the output is either the previous file (or none) or the whole new one, never half of
 * one. A failed or cancelled step leaves the output as it was; its partial file stays, holding the
 * rows it accepted (summary.json names it), until the next run to that output starts afresh.
 *
 * A coordinator restart resumes the partial file: it is cut back to its journaled end (reclaimPartial)
 * and appended to. The live-job rule (two live jobs never share an output) keeps partial names unique.
 */
import { open, rename, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Where the output file `path` is written until its step succeeds. */
export function partialPathOf(path: string): string {
  return join(dirname(path), `.${basename(path)}.parajob-partial`);
}

/** Replaces the output `path` with its partial file, durably (the rename is fsynced in the folder). */
export async function publishPartial(path: string): Promise<void> {
  await rename(partialPathOf(path), path);
  const folder = await open(dirname(path), 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

/**
 * Before a resumed step reopens its partial file: when the partial is gone but the output holds at
 * least the journaled `resumeAt` bytes, the coordinator stopped after publishing and before it
 * recorded the step's end; the output is taken back as the partial (to be published again).
 */
export async function reclaimPartial(path: string, resumeAt: number): Promise<void> {
  const partial = partialPathOf(path);
  if ((await stat(partial).catch(() => undefined)) !== undefined) return;
  const published = await stat(path).catch(() => undefined);
  if (published !== undefined && published.size >= resumeAt) await rename(path, partial);
}
