/**
 * How a processor gets a lease to its worker: whether the node reads the lease's input first, that
 * read, and the lease's `run` frame. The processor machine uses a LeaseLoader and knows nothing of
 * where input comes from or of injected faults: the job builds its processors' loader, with its fault
 * plan applied (`withFaultPlan`), where it creates them.
 */
import { join } from 'node:path';

import { type ChaosPlan, faultFor, loadFaultFor } from '../../chaos/model.js';
import type { Lease, StagedOutput } from '../../gen/parajob/v1/parajob.js';
import { tabularSettingsOf } from '../../input/tabular/tabular-settings.js';
import { processName } from '../../log/layout.js';
import { type ByteRangeItem, encodeRunFrame, type RunMessage } from '../../worker/protocol.js';
import type { LeaseInputs } from '../inputs/remote-inputs.js';
import { isPythonJob } from '../job/job-python.js';
import type { JobSettings } from '../job/job-settings.js';
import { stageFoldersOf, type StagingWriter } from '../job/staged-outputs.js';
import {
  type LoadedTable,
  nodeReadsTables,
  partitionKeyValueOf,
  rangesOf,
  type ReadTableBatch,
} from '../tabular/table-batches.js';
import type { HeldLease } from './batch-results.js';
import { downloadLeaseFiles, stagedPathsOf } from './fetch-input.js';

export interface LeaseLoader {
  /** The node reads this lease's input before run() (tabular rows the worker does not read): never pipelined. */
  needsLoading(held: HeldLease): boolean;
  /**
   * Reads the input of a lease that `needsLoading` (undefined: nothing to read). Aborting `signal`
   * (leaving `loading`: task_overhead_timeout, a revoke, a stop) abandons the read and frees its thread.
   */
  load(lease: Lease, signal: AbortSignal): Promise<LoadedTable | undefined>;
  /** The `run` message of a lease, without its rows (runFrame splices them in). */
  runMessage(held: HeldLease): RunMessage;
  /** Leases queued behind the current one: input the node fetches starts arriving now (remote-inputs.ts). */
  prefetch(leases: readonly HeldLease[]): void;
}

/**
 * The loader of a processor: file input goes to the worker as paths, tabular input as byte ranges the
 * worker reads itself, except where the node reads it on its threads (parquet for Python:
 * table-batches.ts). Object-storage files (leases with presigned URLs) are downloaded into
 * `stagingDir`, the processor's own folder (fetch-input.ts), and go to the worker as local paths.
 * Files the node does not see (`inputs.sees`) are fetched from the coordinator into the node's input
 * cache (src/node/inputs) and go to the worker as the cached copies' paths, pinned until the
 * processor loads its next lease (a processor runs one loaded lease at a time).
 */
export function leaseLoader(
  settings: Pick<JobSettings, 'inputKind' | 'tabularReader' | 'entryScript'>,
  read: ReadTableBatch,
  stagingDir: string,
  inputs?: LeaseInputs,
): LeaseLoader {
  const nodeReads = nodeReadsTables(settings, isPythonJob(settings));
  const remote = (lease: Lease): boolean => lease.fileUrls.length > 0;
  const fetched = (lease: Lease): boolean =>
    inputs !== undefined && !remote(lease) && lease.files.some((file) => !inputs.sees(file));
  const fetchedRanges = (lease: Lease): boolean =>
    inputs !== undefined && lease.ranges.some((range) => !inputs.sees(range.path));
  /** The staged ranges of this processor's latest lease whose table the node does not see. */
  let staged: { readonly token: number; readonly ranges: readonly ByteRangeItem[] } | undefined;
  /** The local copies handed to this processor's latest fetched lease. */
  let copies: { readonly token: number; readonly files: readonly string[]; readonly pinned: string[] } | undefined;
  return {
    needsLoading: ({ lease }) => nodeReads || remote(lease) || fetched(lease) || fetchedRanges(lease),
    prefetch: (leases) => {
      if (inputs === undefined) return;
      const unseen = leases.flatMap(({ lease }) =>
        fetched(lease) ? lease.files.filter((file) => !inputs.sees(file)) : [],
      );
      if (unseen.length > 0) inputs.prefetch(unseen);
    },
    load: async (lease, signal) => {
      if (remote(lease)) {
        await downloadLeaseFiles(lease, stagingDir, signal);
        return undefined;
      }
      if (inputs !== undefined && fetched(lease)) {
        const previous = copies;
        copies = undefined;
        if (previous !== undefined) await inputs.release(previous.pinned);
        const unseen = lease.files.filter((file) => !inputs.sees(file));
        const local = await inputs.fetch(unseen, signal);
        const byPath = new Map(unseen.map((file, index) => [file, local[index] as string]));
        copies = { token: lease.token, files: lease.files.map((file) => byPath.get(file) ?? file), pinned: local };
        return undefined;
      }
      if (inputs !== undefined && fetchedRanges(lease)) {
        const { reader } = tabularSettingsOf(settings.tabularReader);
        const ranges = await inputs.stageRanges(rangesOf(lease), reader, stagingDir, signal);
        staged = { token: lease.token, ranges };
        if (nodeReads) return read(settings.tabularReader, { ...lease, ranges }, signal);
        return undefined;
      }
      return nodeReads ? read(settings.tabularReader, lease, signal) : undefined;
    },
    runMessage: ({ lease }) => {
      const localFilesOf = (of: Lease): readonly string[] => (copies?.token === of.token ? copies.files : of.files);
      let partitionKeyValue: Readonly<Record<string, unknown>> | undefined;
      try {
        partitionKeyValue = partitionKeyValueOf(lease);
      } catch {
        // A malformed key travels as none; the script sees an undefined partitionKeyValue.
      }
      return {
        type: 'run',
        miniBatchId: lease.miniBatchId,
        attempt: lease.attempt,
        ...(lease.ranges.length > 0
          ? nodeReads
            ? {}
            : { ranges: staged?.token === lease.token ? staged.ranges : rangesOf(lease) }
          : { files: remote(lease) ? stagedPathsOf(lease, stagingDir) : localFilesOf(lease) }),
        ...(partitionKeyValue === undefined ? {} : { partitionKeyValue }),
      };
    },
  };
}

/**
 * `loader` acting out a job's fault plan (src/chaos/model.ts): a planned run fault travels in the
 * attempt's `run` frame (the worker acts it out), and a planned `hang-load` makes loading the attempt
 * never finish (so --task_overhead_timeout fails it). The plain loader when the plan is empty.
 */
export function withFaultPlan(loader: LeaseLoader, plan: ChaosPlan): LeaseLoader {
  if (plan.faults.length === 0) return loader;
  const hangsLoading = (lease: Lease): boolean => loadFaultFor(plan, lease.miniBatchId, lease.attempt) !== undefined;
  return {
    prefetch: (leases) => loader.prefetch(leases),
    needsLoading: (held) => hangsLoading(held.lease) || loader.needsLoading(held),
    load: (lease, signal) =>
      hangsLoading(lease)
        ? new Promise<never>((_, reject) =>
            signal.addEventListener('abort', () => reject(new Error('chaos: hang-load aborted'))),
          )
        : loader.load(lease, signal),
    runMessage: (held) => {
      const message = loader.runMessage(held);
      const fault = faultFor(plan, held.lease.miniBatchId, held.lease.attempt);
      return fault === undefined ? message : { ...message, fault };
    },
  };
}

/**
 * `loader` whose `run` frames name each attempt's staging folders (staged-outputs.ts): the worker
 * hands what the script wrote to the attempt. The plain loader when the job has no staged output.
 */
export function withStagedOutputs(
  loader: LeaseLoader,
  outputs: readonly StagedOutput[],
  writer: StagingWriter,
): LeaseLoader {
  if (outputs.length === 0) return loader;
  return {
    ...loader,
    runMessage: (held) => ({ ...loader.runMessage(held), stage: stageFoldersOf(outputs, writer, held.lease) }),
  };
}

/** The `run` frame of a lease: its message, or with a tabular lease's rows spliced in already encoded. */
export function runFrame(
  loader: LeaseLoader,
  run: { readonly held: HeldLease; readonly table?: LoadedTable | undefined },
): RunMessage | Uint8Array {
  const message = loader.runMessage(run.held);
  return run.table === undefined ? message : encodeRunFrame(message, run.table.json);
}

/**
 * The loader of processor `index` of a job on `nodeId`: input read into its own folder, the job's
 * fault plan acted out, its staged outputs named in each `run` frame.
 */
export function processorLoader(
  settings: Pick<JobSettings, 'inputKind' | 'tabularReader' | 'entryScript' | 'workDir' | 'chaos' | 'stagedOutputs'>,
  read: ReadTableBatch,
  inputs: LeaseInputs | undefined,
  processor: { readonly nodeId: string; readonly index: number },
): LeaseLoader {
  const stagingDir = join(settings.workDir, 'input', `p${processor.index}`);
  const writer = { nodeId: processor.nodeId, processName: processName(processor.index) };
  return withStagedOutputs(
    withFaultPlan(leaseLoader(settings, read, stagingDir, inputs), settings.chaos),
    settings.stagedOutputs,
    writer,
  );
}
