/**
 * Test helpers for the node's machines: job settings over a temp folder, a silent logger, a job's
 * lease loader, and a recorder of processor notices that tests wait on (bounded) instead of sleeping.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { pino } from 'pino';
import { type AnyActorRef, createActor, fromCallback } from 'xstate';

import {
  type BatchResult,
  JobAssignment,
  type Lease,
  type ProcessorEvent,
} from '../../../src/gen/parajob/v1/parajob.js';
import { compileJobSettings, type JobSettings } from '../../../src/node/job/job-settings.js';
import { batchResultOf } from '../../../src/node/processor/batch-results.js';
import { type LeaseLoader, leaseLoader, withFaultPlan } from '../../../src/node/processor/lease-loader.js';
import {
  type ProcessorNotice as MachineNotice,
  wireProcessorEvent,
} from '../../../src/node/processor/processor-events.js';
import type { ProcessorSink } from '../../../src/node/processor/settle-feed.js';
import type { ReadTableBatch } from '../../../src/node/tabular/table-batches.js';
import { readLeaseTableHere } from '../../../src/node/tabular/table-batches.js';

/**
 * What a processor tells its job, as the coordinator would see it: idle and bounced notices, lifecycle
 * events in their wire form (converted as the job converts them), and its sink's reports with results
 * built as the feed builds them.
 */
export type ProcessorNotice =
  | Extract<MachineNotice, { type: 'processor.idle' | 'processor.bounced' }>
  | { readonly type: 'processor.event'; readonly index: number; readonly event: ProcessorEvent }
  | { readonly type: 'processor.result'; readonly index: number; readonly result: BatchResult }
  | { readonly type: 'processor.released'; readonly index: number; readonly count: number };

export const silentLogger = pino({ level: 'silent' });

/** A temp code folder holding `files`, and job settings for its `entry` script. */
export async function jobWith(
  files: Record<string, string>,
  entry: string,
  assignment: Partial<JobAssignment> = {},
): Promise<{ readonly dir: string; readonly settings: JobSettings }> {
  const dir = await mkdtemp(join(tmpdir(), 'parajob-node-'));
  const codeDir = join(dir, 'code');
  await mkdir(codeDir, { recursive: true });
  for (const [name, content] of Object.entries(files)) await writeFile(join(codeDir, name), content);
  const settings = compileJobSettings(
    JobAssignment.fromPartial({
      jobId: 'job-1',
      entryScript: entry,
      outputDir: join(dir, 'out'),
      logDir: join(dir, 'logs'),
      appendRow: true,
      inputKind: 'files',
      maxConcurrency: 1,
      ...assignment,
    }),
    { cores: 1, codeDir, cacheDir: join(dir, 'cache') },
  );
  return { dir, settings };
}

/** The lease loader a job gives its processors: `read` for tabular rows, the job's fault plan applied. */
export function jobLoader(settings: JobSettings, read: ReadTableBatch): LeaseLoader {
  return withFaultPlan(leaseLoader(settings, read, '/nonexistent-staging'), settings.chaos);
}

/** A lease of `files` for mini-batch `miniBatchId`. */
export function leaseOf(miniBatchId: number, files: string[], token = miniBatchId + 100, attempt = 1): Lease {
  return {
    miniBatchId,
    attempt,
    token,
    files,
    fileUrls: [],
    ranges: [],
    partitionKeyJson: '',
    itemCount: files.length,
  };
}

/** Records notices; `waitFor` resolves with the first (new or past) notice matching a predicate. */
export class NoticeRecorder {
  readonly notices: { readonly at: number; readonly notice: ProcessorNotice }[] = [];
  /** Errors of the actor under test (none expected). */
  readonly failures: unknown[] = [];
  private readonly waiters = new Set<() => void>();

  readonly report = (notice: ProcessorNotice): void => {
    this.notices.push({ at: Date.now(), notice });
    for (const wake of [...this.waiters]) wake();
  };

  /** Stands in for the job's feed: give it to a processor as its `sink`. */
  readonly sink: ProcessorSink = {
    result: (index, end) => this.report({ type: 'processor.result', index, result: batchResultOf(end) }),
    released: (index, count) => this.report({ type: 'processor.released', index, count }),
  };

  /** An actor standing in for the job: give it to a processor as its `parent`. */
  readonly parent: AnyActorRef = createActor(
    fromCallback<MachineNotice>(({ receive }) => {
      receive((notice) => {
        if (notice.type === 'processor.idle' || notice.type === 'processor.bounced') this.report(notice);
        else this.report({ type: 'processor.event', index: notice.index, event: wireProcessorEvent('job-1', notice) });
      });
    }),
  ).start();

  /** Waits for the `nth` (1-based) notice matching `match`, at most `timeoutMs`. */
  async waitFor<T extends ProcessorNotice>(
    match: (notice: ProcessorNotice) => notice is T,
    nth = 1,
    timeoutMs = 15_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.notices.map((entry) => entry.notice).filter(match);
      if (found.length >= nth) return found[nth - 1] as T;
      if (Date.now() > deadline) {
        throw new Error(
          `timed out waiting for notice #${nth}; got ${JSON.stringify(this.notices.map((e) => (e.notice.type === 'processor.event' ? e.notice.event.kind : e.notice.type)))}`,
        );
      }
      await new Promise<void>((resolvePromise) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolvePromise();
        };
        const timer = setTimeout(wake, Math.max(1, deadline - Date.now()));
        this.waiters.add(wake);
      });
    }
  }

  /** Times of the notices matching `match`. */
  timesOf(match: (notice: ProcessorNotice) => boolean): number[] {
    return this.notices.filter((entry) => match(entry.notice)).map((entry) => entry.at);
  }
}

/** Matchers for notices. */
export const isEvent =
  (kind: number) =>
  (notice: ProcessorNotice): notice is Extract<ProcessorNotice, { type: 'processor.event' }> =>
    notice.type === 'processor.event' && notice.event.kind === kind;
export const isResult = (notice: ProcessorNotice): notice is Extract<ProcessorNotice, { type: 'processor.result' }> =>
  notice.type === 'processor.result';
export const isIdle = (notice: ProcessorNotice): notice is Extract<ProcessorNotice, { type: 'processor.idle' }> =>
  notice.type === 'processor.idle';
export const isReleased = (
  notice: ProcessorNotice,
): notice is Extract<ProcessorNotice, { type: 'processor.released' }> => notice.type === 'processor.released';
export const isBounced = (notice: ProcessorNotice): notice is Extract<ProcessorNotice, { type: 'processor.bounced' }> =>
  notice.type === 'processor.bounced';

/** The processor machine's input for processor 0 of node-a, reporting to `recorder`. */
export function processorInput(settings: JobSettings, recorder: NoticeRecorder) {
  return {
    index: 0,
    nodeId: 'node-a',
    settings,
    gpus: 0,
    logger: silentLogger,
    parent: recorder.parent,
    sink: recorder.sink,
    loader: jobLoader(settings, readLeaseTableHere),
  };
}
