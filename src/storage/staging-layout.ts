/**
 * Where an attempt's output files live until the coordinator accepts the attempt (proto `StagedOutput`).
 * Every output an entry script writes itself has a staging root: a hidden folder beside the output, on
 * the same filesystem, so that each step of a commit is a rename.
 *
 *   <stage root>/live/<node>/<process>/   what the worker's script sees as the output, emptied before
 *                                         each run() and renamed away after it
 *   <stage root>/<mini batch>-<token>/    one attempt's files, as its worker left them
 *   <stage root>/accepted/<mb>-<token>/   an accepted attempt's files, renamed there before its
 *                                         completion is journaled (so a restart knows which to commit)
 *   <stage root>/.parajob-stage-id        the step run's wire id: a node that reads it sees the folder
 *                                         (else it stages locally and ships attempts over gRPC)
 *
 * Pure path functions, shared by the coordinator (commits) and the node (writes); the lease token in
 * the name makes attempt folders unique across retries and coordinator restarts.
 */
import { basename, dirname, join } from 'node:path';

/** The staging root of the output at `path` (a folder, or the file of a uri_file). */
export function stageRootOf(path: string): string {
  return join(dirname(path), `.${basename(path)}.parajob-staging`);
}

/** The folder name of one attempt (mini-batch id and lease token). */
export function attemptKey(miniBatchId: number, token: number): string {
  return `${miniBatchId}-${token}`;
}

/** The folder an attempt's files are renamed to when its run() ends. */
export function attemptFolder(stageRoot: string, key: string): string {
  return join(stageRoot, key);
}

/** The folder an accepted attempt's files wait in until its completion is durable. */
export function acceptedFolder(stageRoot: string, key: string): string {
  return join(stageRoot, 'accepted', key);
}

/** The folder a worker's script writes an output in (node ids and process names are folder-safe). */
export function liveFolder(stageRoot: string, nodeId: string, processName: string): string {
  return join(stageRoot, 'live', nodeId, processName);
}

/** Where the script sees the output: the live folder itself, or for a uri_file the file in it. */
export function livePathOf(output: { readonly path: string; readonly isFile: boolean }, live: string): string {
  return output.isFile ? join(live, basename(output.path)) : live;
}

/** The file holding the step run's id in a staging root (see the module comment). */
export function stageMarkerOf(stageRoot: string): string {
  return join(stageRoot, '.parajob-stage-id');
}
