/**
 * A rerun's parallel step takes over the output of the earlier run it reuses mini-batches of, before
 * it starts: the first `earlierOutputEnd` bytes of the earlier append_row rows (the rows of exactly
 * the mini-batches that succeeded there: recovery and the journal cut them back to that length) are
 * copied into the new step's partial file and synced, and files the earlier run's entry script wrote
 * into its output folders are copied into the new folders. The earlier run failed or was cancelled, so
 * its rows are in its partial file (output/publish-file.ts), not at the output's path (a job journaled
 * before outputs were published by rename wrote them there: read when no partial file exists). An
 * output at the same path as before (an explicit `path:`) is not copied: the step run cuts the partial
 * file they share back to that length itself.
 */
import { constants } from 'node:fs';
import { copyFile, cp, mkdir, open, stat, truncate } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

import type { CompiledParallelStep } from '../../jobspec/model.js';
import type { CarriedMiniBatches } from '../journal/step-run-journal.js';
import { partialPathOf } from '../output/publish-file.js';
import type { CarriedStep } from './rerun-plan.js';

/** Copies what the step reuses (copyCarriedOutputs); resolves with what its journal carries. */
export async function takeOverCarried(carried: CarriedStep, step: CompiledParallelStep): Promise<CarriedMiniBatches> {
  await copyCarriedOutputs(carried, step);
  return {
    miniBatchCount: carried.miniBatchCount,
    succeeded: carried.succeeded,
    itemsSucceeded: carried.itemsSucceeded,
    outputEnd: carried.appendRowFile === undefined ? 0 : carried.earlierOutputEnd,
  };
}

/** The line that says what a rerun's step reuses. */
export function carriedText(carried: CarriedStep): string {
  const again = carried.miniBatchCount - carried.succeededCount;
  return `reusing ${carried.succeededCount} of ${carried.miniBatchCount} mini-batches that succeeded in ${carried.from}; ${again} run again`;
}

/** Copies what `step` reuses of `carried` (see the module comment); throws when the earlier output changed. */
export async function copyCarriedOutputs(carried: CarriedStep, step: CompiledParallelStep): Promise<void> {
  const rowsFile = carried.appendRowFile === undefined ? undefined : resolve(carried.appendRowFile);
  for (const output of step.outputs) {
    const earlier = carried.outputs[output.name];
    if (earlier === undefined || resolve(earlier) === resolve(output.path)) continue;
    const found = await stat(earlier).catch(() => undefined);
    if (!found?.isDirectory()) continue;
    await cp(earlier, output.path, {
      recursive: true,
      // The rows file is copied below, only up to its journaled length.
      filter: (source) =>
        rowsFile === undefined || (resolve(source) !== rowsFile && resolve(source) !== partialPathOf(rowsFile)),
      mode: constants.COPYFILE_FICLONE,
    });
  }
  if (rowsFile === undefined || step.task.appendRowFile === undefined) return;
  if (resolve(step.task.appendRowFile) === rowsFile) return;
  const partial = partialPathOf(rowsFile);
  const earlierRows = (await stat(partial).catch(() => undefined)) === undefined ? rowsFile : partial;
  await copyPrefix(earlierRows, partialPathOf(resolve(step.task.appendRowFile)), carried.earlierOutputEnd);
}

/** Writes the first `length` bytes of `from` to `to` (replacing it) and syncs them. */
async function copyPrefix(from: string, to: string, length: number): Promise<void> {
  const size = (await stat(from).catch(() => undefined))?.size ?? 0;
  if (size < length)
    throw new Error(
      `${from} holds ${size} bytes, fewer than the ${length} its job journaled: it was changed since that job ran`,
    );
  await mkdir(dirname(to), { recursive: true });
  // Rows past the journaled length belong to results that never counted: they are cut off.
  await copyFile(from, to, constants.COPYFILE_FICLONE);
  await truncate(to, length);
  const target = await open(to, 'r+');
  try {
    await target.datasync();
  } finally {
    await target.close();
  }
}
