/**
 * The step run's ledger opening and its overview lines, for the step-run machine's named actions:
 * the ledger is created (or reopened from the journal after a coordinator restart) once the input is
 * cut, and progress is written to the overview while running and once at the end. Each function
 * changes `context.run` in place (see context.ts) and writes through the sinks and the logger.
 */
import { createLedger, finishedCount, MiniBatchState } from '../ledger/ledger.js';
import { itemCountOf, knownItemsTotal } from '../partition/partition-input.js';
import { NO_TASK_PROCESSED_TEXT, processedText, schedulingFinishedText } from '../reports/progress-overview.js';
import { stepMessage, type StepRunContext, type StepRunMessage } from './context.js';
import { awaitJournaledLeases, resumedText } from './lease-reclaim.js';

/**
 * Creates the run's ledger, or reopens it from the journal (its live leases then wait for their nodes:
 * lease-reclaim.ts); says so in the overview and the log.
 */
export function openRunLedger(context: StepRunContext): void {
  const partition = context.partition;
  if (partition === undefined) return;
  // Rows of a table cut by size are counted as workers read them: the ledger's total starts at 0
  // and itemCount grows (see itemsTotalOf in report.ts for what progress shows meanwhile).
  const itemsTotal = knownItemsTotal(partition);
  const shape = { miniBatchCount: partition.miniBatchCount, maxRetries: context.step.maxRetries };
  const itemCount = (id: number) => itemCountOf(partition, id);
  const opened = context.deps.journal?.openLedger(shape, itemCount);
  const ledger = opened?.ledger ?? createLedger({ ...shape, itemCount });
  context.run.ledger = ledger;
  context.run.resumedOnRestart = opened?.resumed === true;
  const nowMs = Date.now();
  context.run.scheduledAtMs = nowMs;
  const text = schedulingFinishedText(partition.miniBatchCount, nowMs - context.run.startedAtMs, itemsTotal);
  context.sinks?.overview(text, nowMs);
  context.deps.logger.info(
    { miniBatches: partition.miniBatchCount, items: itemsTotal ?? 'counted as read', input: partition.kind },
    'scheduling finished',
  );
  if (context.run.resumedOnRestart) {
    // Staged files of completions the journal kept are committed; the rest are removed (staged-outputs.ts).
    context.sinks?.staged.recover((id) => ledger.states[id] === MiniBatchState.succeeded);
    const running = awaitJournaledLeases(context);
    context.sinks?.overview(resumedText(context) ?? '', nowMs);
    // What the reports held beyond the journal (reconciled when the step run's files were opened).
    const reports = context.sinks?.reconciled;
    context.deps.logger.warn({ finished: finishedCount(ledger), running, reports }, 'step run resumed');
  }
}

/** The Watch line of a run reopened from the journal; undefined for a fresh run. */
export function resumedMessage(context: StepRunContext): StepRunMessage | undefined {
  const text = resumedText(context);
  return text === undefined ? undefined : stepMessage('warn', text);
}

/** The periodic overview line: mini-batches processed, elapsed time and the estimated time left. */
export function writeProgressOverview(context: StepRunContext): void {
  const { run, sinks } = context;
  if (run.ledger === undefined || sinks === undefined) return;
  const nowMs = Date.now();
  const finished = finishedCount(run.ledger);
  run.rate.sample(nowMs, finished);
  const eta = run.rate.etaMs(nowMs, finished, run.ledger.miniBatchCount - finished);
  const text =
    finished === 0
      ? NO_TASK_PROCESSED_TEXT
      : processedText(finished, run.ledger.miniBatchCount, nowMs - run.startedAtMs, eta);
  sinks.overview(text, nowMs);
  sinks.flushReports();
}

/** The last overview line, once leasing has ended. */
export function writeFinalOverview(context: StepRunContext): void {
  const { run, sinks } = context;
  if (run.ledger === undefined || sinks === undefined) return;
  const nowMs = Date.now();
  const finished = finishedCount(run.ledger);
  sinks.overview(processedText(finished, run.ledger.miniBatchCount, nowMs - run.startedAtMs, undefined), nowMs);
}
