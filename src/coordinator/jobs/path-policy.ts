/**
 * Which paths on the coordinator host a submission may name. A client's inputs are read, its outputs
 * and run directory written, by the coordinator's user: with credentials required, they must lie
 * under an allowed root (`--allow-path`, plus the data dir). Without credentials (the loopback
 * default) anyone local may already run code as the node's user, so no roots are enforced there.
 * Always: an entry script stays inside its code folder, and a run directory that already holds a run
 * is not reused. An existing output file is no reason to refuse: nothing truncates it, the step writes
 * beside it and replaces it only when it succeeds (output/publish-file.ts).
 */
import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

import type { CompiledJob } from '../../jobspec/model.js';
import { runDirLayout } from '../../log/layout.js';
import { isS3Uri } from '../../storage/s3-location.js';

/** The roots a submission's paths must lie under; undefined: no roots enforced. */
export interface PathPolicy {
  readonly allowedRoots: readonly string[] | undefined;
}

/** True when `path` is `root` or inside it (both absolute). */
export function isWithin(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** `path` with symlinks of its longest existing prefix resolved (a link inside a root may point out). */
export function realPathOfNearest(path: string): string {
  const absolute = resolve(path);
  if (existsSync(absolute)) return realpathSync(absolute);
  const parent = dirname(absolute);
  return parent === absolute ? absolute : join(realPathOfNearest(parent), basename(absolute));
}

/**
 * Every path of the job the coordinator host touches, with what it is (for messages): files and
 * folders, and `s3://` locations it reads or publishes to with its credentials.
 */
function hostPaths(job: CompiledJob, runDir: string): { what: string; path: string }[] {
  const paths = [{ what: 'run_dir', path: runDir }];
  for (const step of job.steps) {
    for (const input of step.inputs)
      if (input.kind === 'data') paths.push({ what: `step '${step.name}' input '${input.name}'`, path: input.path });
    for (const output of step.outputs) {
      paths.push({ what: `step '${step.name}' output '${output.name}'`, path: output.path });
      if (output.remote !== undefined)
        paths.push({ what: `step '${step.name}' output '${output.name}'`, path: output.remote });
    }
    if (step.kind === 'parallel' && step.task.appendRowFile !== undefined)
      paths.push({ what: `step '${step.name}' append_row_to file`, path: step.task.appendRowFile });
  }
  return paths;
}

/**
 * The policy's refusals of `job` (empty: accepted), one message per offending path. `takenOver`:
 * output files a rerun continues from the job it reruns, which exist by design.
 */
export function pathRefusals(
  job: CompiledJob,
  runDir: string,
  policy: PathPolicy,
  takenOver: readonly string[] = [],
): string[] {
  const refusals: string[] = [];
  for (const step of job.steps) {
    // A command step's command runs in a copy of its code folder; only an entry script can point out of one.
    if (step.kind !== 'parallel') continue;
    const code = resolve(step.task.code);
    if (!isWithin(resolve(code, step.task.entryScript), code))
      refusals.push(`step '${step.name}': entry_script ${step.task.entryScript} leaves its code folder ${code}`);
  }
  if (policy.allowedRoots !== undefined) {
    // Object storage is allowed by s3://bucket/prefix roots, matched on whole key segments.
    const objectRoots = policy.allowedRoots.filter(isS3Uri).map((root) => root.replace(/\/*$/, '/'));
    const roots = policy.allowedRoots.filter((root) => !isS3Uri(root)).map((root) => realPathOfNearest(root));
    const shown = [...roots, ...objectRoots].join(', ');
    for (const { what, path } of hostPaths(job, runDir)) {
      const allowed = isS3Uri(path)
        ? objectRoots.some((root) => `${path.replace(/\/*$/, '')}/`.startsWith(root))
        : roots.some((root) => isWithin(realPathOfNearest(path), root));
      if (!allowed) refusals.push(`${what}: ${path} is outside the allowed paths (${shown}); see --allow-path`);
    }
  }
  if (existsSync(runDirLayout(runDir).specCopy))
    refusals.push(`run_dir ${runDir} already holds a run: choose another --run-dir`);
  return refusals;
}

/** The files and folders a job writes (its outputs), to keep two live jobs from sharing one. */
export function outputPathsOf(job: CompiledJob): string[] {
  return job.steps.flatMap((step) => [
    ...step.outputs.map((output) => resolve(output.path)),
    ...(step.kind !== 'parallel' || step.task.appendRowFile === undefined ? [] : [resolve(step.task.appendRowFile)]),
  ]);
}
