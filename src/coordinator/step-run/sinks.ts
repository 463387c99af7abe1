/**
 * Where a step run writes while it runs: the append_row output, the processed mini-batches CSV and
 * the progress overview; and, at the end, the result files. The machine talks to the StepSinks
 * interface only, so tests can use an in-memory one.
 */
import { mkdir, writeFile } from 'node:fs/promises';

import type { CompiledParallelStep } from '../../jobspec/model.js';
import { runDirLayout } from '../../log/layout.js';
import { partialPathOf, publishPartial, reclaimPartial } from '../output/publish-file.js';
import { publishRemoteOutputs } from '../output/publish-outputs.js';
import { SerialFileWriter } from '../output/serial-file-writer.js';
import { StagedOutputs } from '../output/staged-outputs.js';
import { type AttemptRow, csvAttemptLine, csvHeaderLine } from '../reports/processed-mini-batches-csv.js';
import { overviewLine } from '../reports/progress-overview.js';
import { logsReadmeText } from '../reports/readme.js';
import type { AttemptsLedger } from '../reports/rebuild-attempts-csv.js';
import { type ReconciledReports, reconcileReportsOnResume } from '../reports/reconcile-on-resume.js';
import { stagedOutputsOf } from './assignment.js';
import { type StepReport, writeStepReports } from './report.js';

/** The files a running step writes (see the module comment); never blocks the machine. */
export interface StepSinks {
  /** Queues one accepted result's rows ("\n"-terminated lines) for the append_row file, as one write. */
  appendRows(rows: Uint8Array): void;
  /** Queues one CSV row (the writer coalesces rows into few writes). */
  recordAttempt(row: AttemptRow): void;
  /** Appends a line to job_progress_overview.txt. */
  overview(text: string, atMs: number): void;
  /** Hands queued report lines to the files (not waiting for them). */
  flushReports(): void;
  /**
   * Attempt staging of the outputs the scripts write themselves (staged-outputs.ts): `accept` before
   * the completion goes to the journal, `commitWhen` with the promise of its durability, `discard` for
   * an attempt that will never count, `recover` once a resumed run's ledger is known.
   */
  readonly staged: Pick<StagedOutputs, 'accept' | 'commitWhen' | 'discard' | 'recover'>;
  /** The append_row output's length once every queued row is written (0 without an output). */
  readonly outputEnd: number;
  /** Writes the queued rows of the append_row output and makes them durable (fdatasync). */
  syncOutput(): Promise<void>;
  /** The first write error of the append_row output: the job cannot succeed after it. */
  readonly outputError: Error | undefined;
  /**
   * True while the files' write queues are too long (the disk lags the results): the run grants no
   * new lease until `onDrained` listeners hear they shrank. Bounds the coordinator's write buffers.
   */
  readonly backlogged: boolean;
  /** Calls `listener` each time a backlog ends; returns its removal. */
  onDrained(listener: () => void): () => void;
  /**
   * Flushes everything, fsyncs the append_row output, closes the files; for a succeeded step publishes
   * the append_row output (its partial file renamed over it, publish-file.ts) and then the
   * object-storage outputs (publish-outputs.ts); then writes the result files.
   */
  finish(report: StepReport): Promise<void>;
  /** A step run resumed after a coordinator restart: what reconciling its reports with the journal changed. */
  readonly reconciled?: ReconciledReports;
}

/** The staging of a step without staged outputs (and of in-memory sinks in tests): nothing to do. */
export const NO_STAGING: StepSinks['staged'] = {
  accept: () => undefined,
  commitWhen: () => undefined,
  discard: () => undefined,
  recover: () => undefined,
};

/** Bytes queued for one file (not yet written) at which the run stops granting leases. */
export const BACKLOG_HIGH_BYTES = 32 * 1024 * 1024;
/** ... and below which it grants again. */
export const BACKLOG_LOW_BYTES = 8 * 1024 * 1024;

/**
 * Creates the run directory's log folder and readme, and opens the files a running step writes. The
 * append_row output is written to its partial file (publish-file.ts), created empty; an existing output
 * stays as it is until the step succeeds. A step run resumed after a coordinator restart
 * (`resumeOutputAt`) cuts the partial file back to its journaled length, and appends to the reports,
 * first reconciled with its journaled ledger (`resumeLedger`: reconcile-on-resume.ts). A rerun that
 * carries mini-batches passes `resumeOutputAt` alone.
 */
export async function openStepSinks(
  step: CompiledParallelStep,
  jobId: string,
  resumeOutputAt?: number,
  resumeLedger?: AttemptsLedger,
): Promise<StepSinks> {
  const layout = runDirLayout(step.runDir);
  const resuming = resumeOutputAt !== undefined;
  await mkdir(layout.logs, { recursive: true });
  await writeFile(layout.readme, logsReadmeText(jobId));
  const reconciled = resumeLedger === undefined ? undefined : await reconcileReportsOnResume(step.runDir, resumeLedger);
  const appendRowFile = step.task.appendRowFile;
  if (appendRowFile !== undefined && resumeOutputAt !== undefined) await reclaimPartial(appendRowFile, resumeOutputAt);
  const output =
    appendRowFile === undefined
      ? undefined
      : await SerialFileWriter.open(partialPathOf(appendRowFile), { resumeAt: resumeOutputAt });
  const staged = await StagedOutputs.open(stagedOutputsOf(step), resuming, jobId);
  const csv = await SerialFileWriter.open(layout.processedMiniBatchesCsv, { truncate: !resuming });
  const overview = await SerialFileWriter.open(layout.progressOverview, { truncate: !resuming });
  if (!resuming || csv.endOffset === 0) csv.write(csvHeaderLine());
  let backlogged = false;
  const drainListeners = new Set<() => void>();
  // After a write: a queue past the high mark starts a backlog, which ends when every queue is
  // below the low mark (or its writer failed: a failed output fails the job elsewhere).
  const checkBacklog = () => {
    if (backlogged || ((output?.pendingBytes ?? 0) < BACKLOG_HIGH_BYTES && csv.pendingBytes < BACKLOG_HIGH_BYTES))
      return;
    backlogged = true;
    void Promise.all([output?.whenPendingBelow(BACKLOG_LOW_BYTES), csv.whenPendingBelow(BACKLOG_LOW_BYTES)]).then(
      () => {
        backlogged = false;
        for (const listener of drainListeners) listener();
      },
    );
  };
  const flushCsv = () => {
    void csv.flush().catch(() => undefined); // a failed CSV write surfaces in finish()
  };
  return {
    ...(reconciled === undefined ? {} : { reconciled }),
    appendRows(rows) {
      output?.write(rows);
      checkBacklog();
    },
    recordAttempt(row) {
      // Straight into the writer's slab: no per-row Buffer, no long concatenated string to flatten.
      csv.write(csvAttemptLine(row));
      checkBacklog();
    },
    overview(text, atMs) {
      overview.write(overviewLine(atMs, text));
    },
    flushReports: flushCsv,
    get outputEnd() {
      return output?.endOffset ?? 0;
    },
    staged,
    // Accepted attempts' staged files are marked (and fsynced) with the rows, before their completions are journaled.
    syncOutput: async () => {
      await Promise.all([output?.sync(), staged.mark()]);
    },
    get outputError() {
      return output?.error ?? staged.error;
    },
    get backlogged() {
      return backlogged;
    },
    onDrained(listener) {
      drainListeners.add(listener);
      return () => drainListeners.delete(listener);
    },
    async finish(report) {
      // Close everything even when one fails; a failed output fsync must turn success into failure
      // (the caller rewrites the result files then), so the result files are written last.
      const closed = await Promise.allSettled([
        output?.close({ fsync: true }),
        csv.close(),
        overview.close(),
        staged.close(),
      ]);
      const failure = closed.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failure !== undefined) throw failure.reason;
      // Outputs are published only once the step's results are all in and accepted: the local file
      // first, since an object-storage output uploads from it.
      if (report.outcome.state === 'succeeded') {
        if (appendRowFile !== undefined) await publishPartial(appendRowFile);
        await publishRemoteOutputs(step.outputs);
      }
      await writeStepReports(report);
    },
  };
}
