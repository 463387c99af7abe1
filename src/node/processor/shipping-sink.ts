/**
 * A processor sink that ships an attempt's staged outputs before its result (proto Inputs.WriteOutput):
 * for the outputs this node does not see (JobSettings.shippedOutputs), an attempt that run() answered
 * without error has its folder shipped to the coordinator, and only then does its result go on to the
 * feed; a failed upload turns the result into a failed attempt (OutputUploadError: retried like any
 * other), so the coordinator never accepts an attempt whose files it does not hold. An attempt that
 * failed leaves its folder behind unshipped: it is removed. Other results pass straight through.
 */
import { rm } from 'node:fs/promises';

import type { StagedOutput } from '../../gen/parajob/v1/parajob.js';
import { attemptFolder, attemptKey } from '../../storage/staging-layout.js';
import type { NodeInputs } from '../inputs/remote-inputs.js';
import type { JobSettings } from '../job/job-settings.js';
import type { LeaseEnd } from './batch-results.js';
import type { ProcessorSink } from './settle-feed.js';

/** `sink` itself when the job ships nothing. */
export function shippingSink(
  sink: ProcessorSink,
  settings: Pick<JobSettings, 'jobId' | 'stagedOutputs' | 'shippedOutputs'>,
  nodeId: string,
  inputs: NodeInputs | undefined,
): ProcessorSink {
  const shipped = settings.stagedOutputs.filter((output) => settings.shippedOutputs.includes(output.name));
  if (shipped.length === 0 || inputs === undefined) return sink;
  return {
    released: (index, count) => sink.released(index, count),
    result(index, end) {
      if (end.kind !== 'answered') {
        sink.result(index, end);
        return;
      }
      void ship(inputs, shipped, settings.jobId, nodeId, end).then((shippedEnd) => sink.result(index, shippedEnd));
    },
  };
}

async function ship(
  inputs: NodeInputs,
  outputs: readonly StagedOutput[],
  jobId: string,
  nodeId: string,
  end: Extract<LeaseEnd, { kind: 'answered' }>,
): Promise<LeaseEnd> {
  const { miniBatchId, token } = end.held.lease;
  const key = attemptKey(miniBatchId, token);
  const failed = end.answer.error !== undefined;
  try {
    for (const output of outputs) {
      const folder = attemptFolder(output.stageRoot, key);
      if (failed) await rm(folder, { recursive: true, force: true });
      else await inputs.shipOutput({ nodeId, jobId, miniBatchId, token, outputName: output.name }, folder);
    }
    return end;
  } catch (error) {
    const message = `shipping the attempt's output files to the coordinator failed: ${(error as Error).message}`;
    return { ...end, answer: { ...end.answer, error: { kind: 'OutputUploadError', message } } };
  }
}
