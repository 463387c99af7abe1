/**
 * `--force-rerun` of `run` and `job create`: the one way to run every step even when an earlier run
 * could be reused is the spec's `settings.force_rerun` (kept with the spec, so a job resumed after a
 * coordinator restart decides as it did); the option adds `--set settings.force_rerun=true`.
 */
export function withForceRerun(sets: readonly string[] | undefined, forceRerun: boolean | undefined): string[] {
  return [...(sets ?? []), ...(forceRerun ? ['settings.force_rerun=true'] : [])];
}
