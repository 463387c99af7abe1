/**
 * The coordinator's state as the web UI reads it (src/web/source.ts): its jobs, its live nodes with
 * their last heartbeat, and samples of its own host (taken when asked, at most once a second).
 */
import { type HostSample, HostSampler } from '../monitor/host-sampler.js';
import type { WebJob, WebNode, WebSource } from '../web/source.js';
import type { CoordinatorCore } from './coordinator-core.js';

/** Samples of the coordinator's host are at least this far apart. */
const OWN_SAMPLE_MIN_MS = 1_000;

/**
 * `journalSyncListeners`: where the journal's group commits report their sync time (undefined: the
 * coordinator keeps no journal, so /metrics has no fsync histogram).
 */
export function coordinatorWebSource(
  core: CoordinatorCore,
  journalSyncListeners?: Set<(seconds: number) => void>,
): WebSource {
  const sampler = new HostSampler();
  let ownSample: HostSample | undefined;
  return {
    jobs: (): readonly WebJob[] => core.allJobs(),
    job: (jobId) => core.job(jobId),
    nodes: (): readonly WebNode[] =>
      core.liveNodes().map((node) => {
        const heartbeat = core.lastHeartbeat(node.nodeId);
        return {
          nodeId: node.nodeId,
          compute: node.compute,
          cores: node.cores,
          gpus: node.gpus,
          host: node.host,
          attachedAtMs: node.attachedAtMs,
          running: heartbeat?.running ?? 0,
          resources: heartbeat?.host,
        };
      }),
    onAttempt: (listener) => core.onAttempt(listener),
    onProcessorRestart: (listener) => core.onProcessorRestart(listener),
    ...(journalSyncListeners === undefined
      ? {}
      : {
          onJournalSync: (listener: (seconds: number) => void) => {
            journalSyncListeners.add(listener);
            return () => journalSyncListeners.delete(listener);
          },
        }),
    // A refusal rejects with its message (the job succeeded, still runs, ...): the API answers 409.
    rerun: async (jobId, fromScratch) => ({ jobId: (await core.rerun(jobId, fromScratch)).jobId }),
    coordinatorResources: () => {
      const now = Date.now();
      if (ownSample === undefined || now - ownSample.atMs >= OWN_SAMPLE_MIN_MS) ownSample = sampler.sample(now);
      return ownSample;
    },
  };
}
