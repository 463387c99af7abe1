/**
 * Committing the outputs a step's scripts write themselves (uri_folder, mltable, a uri_file that is
 * not append_row_to). Each attempt's worker leaves its files in `<stage root>/<mb>-<token>`
 * (src/storage/staging-layout.ts); this module decides their fate on the coordinator:
 *
 *   accepted  → queued; before the completion is journaled (the journal's output sync, `mark()`) the
 *               folder is renamed to `accepted/` and its files fsynced; once the completion is durable
 *               (`commitWhen`) each file is renamed into the output and the folder removed.
 *   not accepted (failed, revoked, fenced, late) → the folder is removed (`discard`).
 *   step end  → queued work finishes, then the staging roots go (what a lost node's worker left there).
 *
 * A coordinator restart (`recover`): folders in `accepted/` whose mini-batch the journal counts as
 * succeeded are committed (the crash fell between journal and rename: renaming again is idempotent,
 * file by file), every other folder is removed. Only one attempt per mini-batch can be in `accepted/`:
 * the ledger accepts one completion, and a restart clears what the journal did not keep.
 *
 * Every filesystem step runs on one chain, in order, off the machine's path.
 */
import { mkdir, open, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import type { StagedOutput } from '../../gen/parajob/v1/parajob.js';
import { listFolderFiles } from '../../input/files.js';
import { acceptedFolder, attemptFolder, attemptKey, stageMarkerOf } from '../../storage/staging-layout.js';

/** Rejections of the chain are kept here (the step's outcome reports them); the chain goes on. */
export class StagedOutputs {
  private chain: Promise<void> = Promise.resolve();
  /** Accepted attempts not yet marked, and not yet committed. */
  private readonly toMark = new Set<string>();
  private toCommit: string[] = [];
  private readonly pending = new Set<Promise<void>>();
  private firstError: Error | undefined;

  private constructor(private readonly outputs: readonly StagedOutput[]) {}

  /**
   * Opens the staging of `outputs`. A fresh step run (`resuming` false) starts from empty staging
   * roots; a resumed one keeps them for `recover`.
   */
  static async open(outputs: readonly StagedOutput[], resuming: boolean, jobId: string): Promise<StagedOutputs> {
    for (const output of outputs) {
      if (!resuming) await rm(output.stageRoot, { recursive: true, force: true });
      await mkdir(join(output.stageRoot, 'accepted'), { recursive: true });
      // A node that reads this back sees the folder itself; any other ships its attempts (Inputs.WriteOutput).
      await writeFile(stageMarkerOf(output.stageRoot), jobId);
    }
    return new StagedOutputs(outputs);
  }

  /** True when the step has staged outputs at all. */
  get active(): boolean {
    return this.outputs.length > 0;
  }

  /** The first failed commit or removal, if any. */
  get error(): Error | undefined {
    return this.firstError;
  }

  /** The attempt (mini-batch, token) was accepted: call before its completion is handed to the journal. */
  accept(miniBatchId: number, token: number): void {
    if (!this.active) return;
    const key = attemptKey(miniBatchId, token);
    this.toMark.add(key);
    this.toCommit.push(key);
  }

  /**
   * Renames the folders of attempts accepted so far to `accepted/` and fsyncs their files and the
   * folder: the journal calls it (with the output's sync) before it records their completions, and
   * records none of them when it rejects.
   */
  mark(): Promise<void> {
    const keys = [...this.toMark];
    this.toMark.clear();
    if (keys.length === 0) return Promise.resolve();
    return this.enqueue(async () => {
      for (const output of this.outputs) {
        for (const key of keys) {
          const marked = acceptedFolder(output.stageRoot, key);
          const moved = await rename(attemptFolder(output.stageRoot, key), marked).then(() => true, ignoreMissing);
          if (moved) await syncTree(marked);
        }
        await syncFolder(join(output.stageRoot, 'accepted'));
      }
    });
  }

  /**
   * Commits the attempts accepted before this call once `durable` resolves (their completions are in
   * the journal, or there is no journal); nothing when it rejects (a restart sorts them out).
   */
  commitWhen(durable: () => Promise<void>): void {
    const keys = this.toCommit.splice(0);
    if (keys.length === 0) return;
    this.track(
      durable().then(
        () => this.enqueue(async () => this.commit(keys)),
        () => undefined,
      ),
    );
  }

  /** Removes the folder of an attempt that will never count. */
  discard(miniBatchId: number, token: number): void {
    if (!this.active) return;
    const key = attemptKey(miniBatchId, token);
    // A duplicate of an accepted result (re-sent after a lost ack) is fenced: its folder is the accepted one.
    if (this.toMark.has(key)) return;
    this.track(
      this.enqueue(async () => {
        for (const output of this.outputs)
          await rm(attemptFolder(output.stageRoot, key), { recursive: true, force: true });
      }),
    );
  }

  /** After a coordinator restart: commits what the journal counted, removes the rest (module comment). */
  recover(succeeded: (miniBatchId: number) => boolean): void {
    if (!this.active) return;
    this.track(
      this.enqueue(async () => {
        for (const output of this.outputs) {
          const accepted = await readdir(join(output.stageRoot, 'accepted')).catch(() => [] as string[]);
          for (const key of accepted) {
            if (succeeded(Number(key.split('-')[0]))) await this.commitOne(output, key);
            else await rm(acceptedFolder(output.stageRoot, key), { recursive: true, force: true });
          }
          for (const entry of await readdir(output.stageRoot)) {
            if (entry !== 'accepted' && entry !== basename(stageMarkerOf(output.stageRoot)))
              await rm(join(output.stageRoot, entry), { recursive: true, force: true });
          }
        }
      }),
    );
  }

  /** Waits for every queued commit and removal, then removes the staging roots. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.pending]);
    await this.enqueue(async () => {
      for (const output of this.outputs) await rm(output.stageRoot, { recursive: true, force: true });
    });
  }

  private async commit(keys: readonly string[]): Promise<void> {
    // Without a journal nothing marks them: they are committed from where their workers left them.
    for (const key of keys) this.toMark.delete(key);
    for (const output of this.outputs) for (const key of keys) await this.commitOne(output, key);
  }

  /** Moves one accepted attempt's files into the output (marked or, without a journal, as left). */
  private async commitOne(output: StagedOutput, key: string): Promise<void> {
    let from = acceptedFolder(output.stageRoot, key);
    let files = await listFolderFiles(from).catch(ignoreMissing);
    if (files === false) {
      from = attemptFolder(output.stageRoot, key);
      files = await listFolderFiles(from).catch(ignoreMissing);
      if (files === false) return;
    }
    // A uri_file output is the one file of its name; anything else the script left beside it is not the output.
    const kept = output.isFile ? files.filter((relative) => relative === basename(output.path)) : files;
    for (const relative of kept) {
      const target = output.isFile ? output.path : join(output.path, relative);
      await mkdir(dirname(target), { recursive: true });
      await rename(join(from, relative), target);
    }
    await rm(from, { recursive: true, force: true });
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.chain.then(step);
    // A failure is reported by the promise the caller holds; the chain itself goes on.
    this.chain = next.catch((error: unknown) => {
      this.firstError ??= error instanceof Error ? error : new Error(String(error));
    });
    return next;
  }

  private track(work: Promise<void>): void {
    const settled = work.catch(() => undefined);
    this.pending.add(settled);
    void settled.finally(() => this.pending.delete(settled));
  }
}

/** `false` for a missing path (nothing was staged there); rethrows anything else. */
function ignoreMissing(error: unknown): false {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
  throw error;
}

async function syncFolder(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsyncs every file under `folder` and the folder itself: the attempt's files survive a power loss. */
async function syncTree(folder: string): Promise<void> {
  for (const relative of await listFolderFiles(folder)) await syncFolder(join(folder, relative));
  await syncFolder(folder);
}
