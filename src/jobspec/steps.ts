/** Small questions about compiled steps that callers of every kind ask. */
import type { CompiledJob, CompiledParallelStep, CompiledStep } from './model.js';

/** The step's absolute code folder: `task.code` of a parallel step, `code` of a command step (may be none). */
export function stepCodeFolder(step: CompiledStep): string | undefined {
  return step.kind === 'parallel' ? step.task.code : step.code;
}

/** Every distinct code folder of the job, in step order. */
export function jobCodeFolders(job: CompiledJob): string[] {
  const folders = new Set<string>();
  for (const step of job.steps) {
    const folder = stepCodeFolder(step);
    if (folder !== undefined) folders.add(folder);
  }
  return [...folders];
}

export function isParallelStep(step: CompiledStep): step is CompiledParallelStep {
  return step.kind === 'parallel';
}
