/**
 * The end-of-step files: `logs/job_result.txt` (one sentence, and on failure the reason and where to
 * look first), `logs/job_error.txt` (when there were errors) and `logs/sys/job_report/summary.json`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

import { failureKindToJSON } from '../../gen/parajob/v1/parajob.js';
import { runDirLayout } from '../../log/layout.js';
import { isLedgerComplete, type LedgerCounts } from '../ledger/ledger.js';
import { partialPathOf } from '../output/publish-file.js';
import { knownItemsTotal } from '../partition/partition-input.js';
import type { ErrorDigest } from '../reports/error-digest.js';
import { formatDuration } from '../reports/progress-overview.js';
import type { StepRunContext } from './context.js';
import type { StepOutcome } from './outcome.js';

/** Everything the end-of-step files say. */
export interface StepReport {
  /** The wire job id of the step run. */
  readonly jobId: string;
  readonly stepName: string;
  readonly runDir: string;
  readonly outcome: StepOutcome;
  readonly startedAtMs: number;
  readonly endedAtMs: number;
  /** undefined when the job ended before partitioning. */
  readonly miniBatchCount: number | undefined;
  /** undefined before partitioning, and while rows counted as they are read were not all read. */
  readonly itemsTotal: number | undefined;
  readonly counts: LedgerCounts | undefined;
  /** Nodes that served the step at some point. */
  readonly nodes: readonly string[];
  /** The append_row output, if any. */
  readonly appendRowFile: string | undefined;
  readonly errors: ErrorDigest;
  /** Results dropped by fencing (late results of revoked or superseded leases). */
  readonly droppedResults?: number;
}

/** The text of job_result.txt. */
export function jobResultText(report: StepReport): string {
  const { outcome } = report;
  const took = formatDuration(report.endedAtMs - report.startedAtMs);
  if (outcome.state === 'succeeded') {
    const counts = report.counts;
    const total = report.miniBatchCount ?? 0;
    if (counts !== undefined && (counts.failed > 0 || counts.itemsFailed > 0)) {
      return (
        `Job ${report.jobId} succeeded with errors in ${took}: ${counts.succeeded} of ${total} mini batches succeeded, ` +
        `${counts.failed} failed; ${counts.itemsFailed} of ${report.itemsTotal ?? 0} items failed (within the error thresholds). ` +
        `See job_error.txt.\n`
      );
    }
    const more = report.errors.itemCountWarnings('more');
    const warning =
      more.miniBatches > 0
        ? ` Warning: ${more.miniBatches} run() call(s) returned more items than given (${more.items} extra, capped); see job_error.txt.`
        : '';
    return `Job ${report.jobId} succeeded: all ${total} mini batches (${report.itemsTotal ?? 0} items) processed in ${took}.${warning}\n`;
  }
  const unpublished =
    report.appendRowFile === undefined
      ? ''
      : ` The output ${report.appendRowFile} was left as it was; the rows accepted are in ${partialPathOf(report.appendRowFile)}.`;
  if (outcome.state === 'cancelled')
    return `Job ${report.jobId} was cancelled after ${took}: ${outcome.reason}${unpublished}\n`;
  const lookAt = outcome.lookFirstAt ? ` Look first at logs/${outcome.lookFirstAt}.` : '';
  return (
    `Job ${report.jobId} failed after ${took} (${failureKindToJSON(outcome.failureKind)}): ${outcome.reason}${lookAt} ` +
    `Please check logs for details. You can check logs/readme.txt for the layout of logs.${unpublished}\n`
  );
}

/** The machine-readable summary (summary.json). */
export function summaryJson(report: StepReport): unknown {
  return {
    jobId: report.jobId,
    step: report.stepName,
    state: report.outcome.state,
    failureKind: failureKindToJSON(report.outcome.failureKind),
    reason: report.outcome.reason,
    startedAt: new Date(report.startedAtMs).toISOString(),
    endedAt: new Date(report.endedAtMs).toISOString(),
    durationSeconds: (report.endedAtMs - report.startedAtMs) / 1000,
    miniBatches: {
      total: report.miniBatchCount ?? 0,
      succeeded: report.counts?.succeeded ?? 0,
      failed: report.counts?.failed ?? 0,
    },
    items: {
      // null: not known (see itemsTotal).
      total: report.itemsTotal ?? null,
      succeeded: report.counts?.itemsSucceeded ?? 0,
      failed: report.counts?.itemsFailed ?? 0,
    },
    failedAttempts: report.counts?.failedAttempts ?? 0,
    retries: report.counts?.retries ?? 0,
    returnedLeases: report.counts?.returned ?? 0,
    initFailures: report.errors.initFailures,
    attemptFailuresByKind: report.errors.attemptFailuresByKind(),
    fewerItems: report.errors.itemCountWarnings('fewer'),
    tooManyItems: report.errors.itemCountWarnings('more'),
    droppedResults: report.droppedResults ?? 0,
    nodes: report.nodes,
    appendRowFile: report.appendRowFile ?? null,
    // A step that did not succeed leaves its append_row output as it was: its rows are here.
    unpublishedRows:
      report.appendRowFile === undefined || report.outcome.state === 'succeeded'
        ? null
        : partialPathOf(report.appendRowFile),
  };
}

/** Writes job_result.txt, summary.json and (when there were errors) job_error.txt. */
export async function writeStepReports(report: StepReport): Promise<void> {
  const layout = runDirLayout(report.runDir);
  await mkdir(dirname(layout.summaryJson), { recursive: true });
  const writes = [
    writeFile(layout.jobResult, jobResultText(report)),
    writeFile(layout.summaryJson, `${JSON.stringify(summaryJson(report), null, 2)}\n`),
  ];
  if (report.errors.hasErrors) writes.push(writeFile(layout.jobError, report.errors.render(report.jobId)));
  await Promise.all(writes);
}

/** The end-of-step report from the run's state (the outcome must be decided). */
export function buildReport(context: StepRunContext): StepReport {
  const { run } = context;
  if (run.outcome === undefined) throw new Error('buildReport before the outcome was decided');
  return {
    jobId: context.jobId,
    stepName: context.step.name,
    runDir: context.step.runDir,
    outcome: run.outcome,
    startedAtMs: run.startedAtMs,
    endedAtMs: Date.now(),
    miniBatchCount: run.ledger?.miniBatchCount,
    itemsTotal: itemsTotalOf(context),
    counts: run.ledger === undefined ? undefined : { ...run.ledger.counts },
    nodes: [...run.everServed],
    appendRowFile: context.step.task.appendRowFile,
    errors: run.errors,
    droppedResults: run.droppedResults,
  };
}

/**
 * Items in the step's input as far as honestly known: the partition's total when it was known at cut
 * time (files, rows of a rows/parquet cut); for rows counted as they are read (a table cut by size, or
 * by key), the rows counted once every mini-batch finished; undefined before that.
 */
export function itemsTotalOf(context: StepRunContext): number | undefined {
  const { partition } = context;
  const ledger = context.run.ledger;
  if (partition === undefined || ledger === undefined) return undefined;
  const known = knownItemsTotal(partition);
  if (known !== undefined) return known;
  return isLedgerComplete(ledger) ? ledger.counts.itemsSucceeded + ledger.counts.itemsFailed : undefined;
}
