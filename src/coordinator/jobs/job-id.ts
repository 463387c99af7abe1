/** Job ids: readable, sortable by time, unique enough without coordination. */
import { randomBytes } from 'node:crypto';

/** Ids clients may choose: letters, digits, `.`, `_`, `-` (no `:`, which separates pipeline steps). */
const CLIENT_JOB_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * `<name>-<yyyymmdd-hhmmss>-<4 hex>` in UTC, e.g. `iris-score-20261126-070102-3fa9`. The name is
 * lower-cased, runs of other characters become `-`, and it is cut to 40 characters; `job` without one.
 */
export function makeJobId(
  name: string | undefined,
  at: Date = new Date(),
  random: () => string = () => randomBytes(2).toString('hex'),
): string {
  const base =
    (name ?? '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40)
      .replace(/-+$/, '') || 'job';
  const iso = at.toISOString(); // 2026-11-26T07:01:02.345Z
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
  return `${base}-${stamp}-${random()}`;
}

/** undefined when `id` is an acceptable client-chosen job id, else what is wrong with it. */
export function checkClientJobId(id: string): string | undefined {
  if (CLIENT_JOB_ID.test(id)) return undefined;
  return `job_id "${id}" is not valid: use 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit`;
}

/** The wire job id of a step: the job id for a one-step job, `<jobId>:<step>` in a pipeline of several. */
export function stepRunId(jobId: string, stepName: string, stepCount: number): string {
  return stepCount === 1 ? jobId : `${jobId}:${stepName}`;
}
