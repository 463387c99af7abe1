/**
 * Bounds on what one submission may ask of the coordinator and the nodes, each refused with a message
 * naming the value, the limit and the flag that raises it. The spec's size is checked before it is
 * parsed; the code's size on the coordinator (the client's own check can be skipped by any client).
 */
import type { SubmitJobRequest } from '../../gen/parajob/v1/parajob.js';
import type { CompiledJob } from '../../jobspec/model.js';

export interface SubmitLimits {
  /** Bytes of spec YAML. */
  readonly maxSpecBytes: number;
  /** Bytes of all code snapshots of one submission. */
  readonly maxCodeBytes: number;
  /** `retry_settings.max_retries` of any step. */
  readonly maxRetries: number;
  /** `max_concurrency_per_instance` of any step (worker processes per node). */
  readonly maxProcessesPerNode: number;
}

const MIB = 1024 * 1024;

export const DEFAULT_SUBMIT_LIMITS: SubmitLimits = {
  maxSpecBytes: 1 * MIB,
  maxCodeBytes: 64 * MIB,
  maxRetries: 100,
  maxProcessesPerNode: 256,
};

/** Largest message the coordinator accepts: one submission at its limits, plus framing room. */
export function maxReceiveBytes(limits: SubmitLimits): number {
  return limits.maxSpecBytes + limits.maxCodeBytes + 4 * MIB;
}

function size(bytes: number): string {
  return bytes >= MIB ? `${(bytes / MIB).toFixed(1)} MiB` : `${bytes} bytes`;
}

/** Refusals of the request itself (before anything is parsed). */
export function requestLimitRefusals(request: SubmitJobRequest, limits: SubmitLimits): string[] {
  const refusals: string[] = [];
  const specBytes = Buffer.byteLength(request.specYaml, 'utf8');
  if (specBytes > limits.maxSpecBytes)
    refusals.push(`the spec is ${size(specBytes)}; the limit is ${size(limits.maxSpecBytes)} (--max-spec-bytes)`);
  let codeBytes = 0;
  for (const snapshot of request.code) for (const file of snapshot.files) codeBytes += file.content.length;
  if (codeBytes > limits.maxCodeBytes)
    refusals.push(
      `the code snapshots are ${size(codeBytes)}; the limit is ${size(limits.maxCodeBytes)}: move data out of task.code into an input`,
    );
  return refusals;
}

/** Refusals of the compiled job's settings. */
export function jobLimitRefusals(job: CompiledJob, limits: SubmitLimits): string[] {
  const refusals: string[] = [];
  for (const step of job.steps) {
    // A command step runs one process on one node: nothing of it to bound here.
    if (step.kind !== 'parallel') continue;
    if (step.maxRetries > limits.maxRetries)
      refusals.push(
        `step '${step.name}': retry_settings.max_retries ${step.maxRetries} is above the limit ${limits.maxRetries} (--max-retries)`,
      );
    const processes = step.maxConcurrencyPerInstance;
    if (processes !== undefined && processes > limits.maxProcessesPerNode)
      refusals.push(
        `step '${step.name}': max_concurrency_per_instance ${processes} is above the limit ${limits.maxProcessesPerNode} (--max-processes-per-node)`,
      );
  }
  return refusals;
}
