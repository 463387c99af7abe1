/** Where a step's files go in the job's run directory. */
import { join } from 'node:path';

/**
 * A step's run directory: the job's `runDir` itself for a one-step job, `<runDir>/steps/<stepName>`
 * when the job has several steps (a scoped name `outer/inner` nests).
 */
export function stepRunDir(runDir: string, stepName: string, stepCount: number): string {
  return stepCount <= 1 ? runDir : join(runDir, 'steps', ...stepName.split('/'));
}
