/**
 * What a processor's worker sees of the staged outputs (proto `StagedOutput`,
 * src/storage/staging-layout.ts): each output's path in the argv, AZUREML_BI_OUTPUT_PATH and the
 * script's outputDir is replaced by the processor's live folder, and each attempt's `run` frame names
 * the folder its files are renamed to. Pure functions of the settings and the processor's identity.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { Lease, StagedOutput } from '../../gen/parajob/v1/parajob.js';
import { attemptFolder, attemptKey, liveFolder, livePathOf, stageMarkerOf } from '../../storage/staging-layout.js';
import type { StageFolders } from '../../worker/protocol.js';

/** Who writes: the node and the processor (its `processNNN` name). */
export interface StagingWriter {
  readonly nodeId: string;
  readonly processName: string;
}

/** The live folder of `output` for `writer`. */
function liveOf(output: StagedOutput, writer: StagingWriter): string {
  return liveFolder(output.stageRoot, writer.nodeId, writer.processName);
}

/** The live folders a worker makes before init(). */
export function liveFolders(outputs: readonly StagedOutput[], writer: StagingWriter): string[] {
  return outputs.map((output) => liveOf(output, writer));
}

/**
 * `text` (an argv word or a path) with the first staged output path in it replaced by where `writer`'s
 * script writes that output. A path counts where it is the whole word, or follows `=` (`--out=/x`), and
 * is followed by the end or `/` (a file under a folder output). Longer paths are tried first, so an
 * output nested in another's folder maps to its own live folder.
 */
export function stagedText(text: string, outputs: readonly StagedOutput[], writer: StagingWriter): string {
  const byLength = [...outputs].sort((a, b) => b.path.length - a.path.length);
  for (const output of byLength) {
    let from = text.indexOf(output.path);
    while (from >= 0) {
      const end = from + output.path.length;
      const starts = from === 0 || text[from - 1] === '=';
      const ends = end === text.length || text[end] === '/';
      if (starts && ends)
        return `${text.slice(0, from)}${livePathOf(output, liveOf(output, writer))}${text.slice(end)}`;
      from = text.indexOf(output.path, from + 1);
    }
  }
  return text;
}

/** The staged folders of one attempt of `writer` (the `run` frame's `stage`). */
export function stageFoldersOf(
  outputs: readonly StagedOutput[],
  writer: StagingWriter,
  lease: Pick<Lease, 'miniBatchId' | 'token'>,
): StageFolders[] {
  const key = attemptKey(lease.miniBatchId, lease.token);
  return outputs.map((output) => ({ live: liveOf(output, writer), attempt: attemptFolder(output.stageRoot, key) }));
}

/**
 * The staged outputs as this node writes them: an output whose staging root the node sees (it is
 * under a `--shared-fs` prefix or, without one, holds the file with this step run's id) is written in
 * place; any other gets a local staging root under `localRoot` and is shipped (its name listed in
 * `shipped`). `sees` undefined: the node reads everything itself.
 */
export async function localStaging(
  outputs: readonly StagedOutput[],
  jobId: string,
  localRoot: string,
  sees: ((path: string) => boolean) | undefined,
): Promise<{ readonly outputs: StagedOutput[]; readonly shipped: string[] }> {
  const placed: StagedOutput[] = [];
  const shipped: string[] = [];
  for (const [index, output] of outputs.entries()) {
    const marker = stageMarkerOf(output.stageRoot);
    const seen =
      sees === undefined || (sees(marker) && (await readFile(marker, 'utf8').catch(() => undefined)) === jobId);
    if (seen) {
      placed.push(output);
      continue;
    }
    placed.push({ ...output, stageRoot: join(localRoot, String(index)) });
    shipped.push(output.name);
  }
  return { outputs: placed, shipped };
}
