/**
 * Follows one job to its end over `Jobs.Watch`, feeding a progress display, and returns its last
 * status. A watch stream that ends before the job does (coordinator restart, network cut) is re-opened
 * a few times; the status is then re-read with `Get`. Every watch starts with the job's messages so
 * far (a late follower sees each step's start and end); those already shown are not shown again.
 */
import { setTimeout as delay } from 'node:timers/promises';

import type { JobMessage, JobStatus } from '../gen/parajob/v1/parajob.js';
import { isUnreachable, type JobsApi } from '../rpc/jobs-client.js';
import { isTerminal } from './job-state.js';

/** What follows a job's progress (the CLI's progress display, or a caller's callbacks). */
export interface FollowDisplay {
  /** A new status of the job (called on every change). */
  update(status: JobStatus): void;
  /** A message worth the user's attention. */
  message(message: JobMessage): void;
}

/** Back-off step between re-opened watches after the coordinator was unreachable, in milliseconds. */
const RECONNECT_BACKOFF_MS = 500;

/** Options of followJob. */
export interface FollowJobOptions {
  /** Where progress goes; undefined: nowhere. */
  readonly display?: FollowDisplay;
  /** Stops following (the job itself is not touched); the last status seen is returned. */
  readonly signal?: AbortSignal;
  /** Times a watch that ended early is re-opened before giving up. @default 5 */
  readonly maxReconnects?: number;
  /** Receives command steps' output as it is written (asks the coordinator for it). */
  readonly onLog?: (stepName: string, text: string) => void;
}

/**
 * Resolves with the job's terminal status, or with the last status seen when `signal` aborted.
 * Rejects when the job is unknown or the coordinator stays unreachable.
 */
export async function followJob(
  api: Pick<JobsApi, 'watch' | 'get'>,
  jobId: string,
  options: FollowJobOptions = {},
): Promise<JobStatus> {
  const { display, signal } = options;
  const maxReconnects = options.maxReconnects ?? 5;
  let last: JobStatus | undefined;
  const shown = new Set<string>();
  for (let attempt = 0; ; attempt++) {
    try {
      for await (const event of api.watch(jobId, signal, options.onLog !== undefined)) {
        if (event.kind?.$case === 'status') {
          last = event.kind.value;
          display?.update(last);
          if (isTerminal(last.state)) return last;
        } else if (event.kind?.$case === 'message') {
          // A re-opened watch starts with the job's messages so far: show each once.
          const key = `${event.kind.value.atMs} ${event.kind.value.text}`;
          if (shown.has(key)) continue;
          shown.add(key);
          display?.message(event.kind.value);
        } else if (event.kind?.$case === 'stepLog') {
          options.onLog?.(event.kind.value.stepName, event.kind.value.text);
        }
      }
    } catch (error) {
      if (!isUnreachable(error) || attempt >= maxReconnects) throw error;
      // The coordinator may be restarting: back off a little, then watch again.
      await delay(RECONNECT_BACKOFF_MS * (attempt + 1), undefined, { signal }).catch(() => undefined);
      if (!signal?.aborted) continue;
    }
    if (signal?.aborted) return last ?? (await api.get(jobId));
    // The stream ended without a terminal status: ask directly, then watch again if still going.
    const current = await api.get(jobId);
    display?.update(current);
    last = current;
    if (isTerminal(current.state)) return current;
    if (attempt >= maxReconnects) {
      throw new Error(`the coordinator ended the watch of job ${jobId} ${maxReconnects + 1} times before it finished`);
    }
  }
}
