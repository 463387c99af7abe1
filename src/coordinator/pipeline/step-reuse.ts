/**
 * Reuse at run time: the reuse key of a step about to start (src/jobspec/reuse-key.ts, over the step
 * bound to its producers' outputs, its code snapshot hash and its data inputs' content hashes, each
 * unchanged file's digest remembered by the index's ContentHasher), looked
 * up in the coordinator's reuse index; a succeeded step's outputs are recorded under its key.
 */
import type { CompiledSettings, CompiledStep } from '../../jobspec/model.js';
import { reuseKey } from '../../jobspec/reuse-key.js';
import { isS3Uri } from '../../storage/s3-location.js';
import type { ReuseEntry, ReuseIndex } from './reuse-index.js';

export interface ReuseLookup {
  /** undefined: the step is never reused (is_deterministic false, force_rerun). */
  readonly key: string | undefined;
  readonly entry: ReuseEntry | undefined;
}

/** The step's key and, when an earlier run with that key succeeded and its outputs exist, that run. */
export async function findReusable(
  step: CompiledStep,
  codeHash: string,
  settings: CompiledSettings,
  index: ReuseIndex,
): Promise<ReuseLookup> {
  if (!step.isDeterministic || settings.forceRerun) return { key: undefined, entry: undefined };
  // Object-storage inputs are not hashed (that would read every object): such a step always runs.
  if (step.inputs.some((input) => input.kind === 'data' && isS3Uri(input.path))) {
    return { key: undefined, entry: undefined };
  }
  const inputHashes: Record<string, string> = {};
  for (const input of step.inputs) {
    if (input.kind === 'data') inputHashes[input.name] = await index.contents.hash(input.path);
  }
  index.contents.save();
  const key = reuseKey(step, { codeHash: codeHash || undefined, inputHashes }, settings);
  return { key, entry: key === undefined ? undefined : index.find(key) };
}

/** Remembers a succeeded step run under its key (no key: nothing to remember). */
export function recordReusable(
  index: ReuseIndex,
  key: string | undefined,
  stepRun: string,
  outputs: Readonly<Record<string, string>>,
): void {
  if (key === undefined) return;
  index.record(key, { stepRun, outputs, atMs: Date.now() });
}
