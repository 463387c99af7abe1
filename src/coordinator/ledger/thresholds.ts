/**
 * The error thresholds of a step (SPEC.md 4.1, 4.3): the job aborts when ANY of them is exceeded.
 * - `mini_batch_error_threshold`: failed mini-batches allowed (-1 = ignore);
 * - `--error_threshold`: failed items allowed (-1 = ignore);
 * - `--allowed_failed_percent`: failed mini-batches allowed as a percentage of all (100 = ignore).
 *   Azure starts that check once every mini-batch is scheduled; parajob schedules them all at
 *   partitioning, so it applies from the first result.
 */
import type { FailedMiniBatch, LedgerCounts } from './ledger.js';

/** The threshold settings of a step, as in CompiledParallelStep. */
export interface ErrorThresholds {
  readonly miniBatchErrorThreshold: number;
  readonly errorThreshold: number;
  readonly allowedFailedPercent: number;
}

/** The thresholds of a compiled step (mini_batch_error_threshold and the predefined arguments). */
export function thresholdsOf(step: {
  readonly miniBatchErrorThreshold: number;
  readonly predefined: { readonly errorThreshold: number; readonly allowedFailedPercent: number };
}): ErrorThresholds {
  return {
    miniBatchErrorThreshold: step.miniBatchErrorThreshold,
    errorThreshold: step.predefined.errorThreshold,
    allowedFailedPercent: step.predefined.allowedFailedPercent,
  };
}

/** A threshold that was exceeded: its name as the user wrote it, its value, and the count over it. */
export interface ThresholdBreach {
  readonly name: 'mini_batch_error_threshold' | 'error_threshold' | 'allowed_failed_percent';
  readonly limit: number;
  /** The count (or, for allowed_failed_percent, the percentage) that exceeded it. */
  readonly actual: number;
  /** What is counted: "failed mini-batches", "failed items", "% of mini-batches failed". */
  readonly counted: string;
}

/** The first exceeded threshold (in the order listed above), or undefined. O(1). */
export function findThresholdBreach(
  counts: Pick<LedgerCounts, 'failed' | 'itemsFailed'>,
  miniBatchCount: number,
  thresholds: ErrorThresholds,
): ThresholdBreach | undefined {
  const { miniBatchErrorThreshold, errorThreshold, allowedFailedPercent } = thresholds;
  if (miniBatchErrorThreshold >= 0 && counts.failed > miniBatchErrorThreshold) {
    return {
      name: 'mini_batch_error_threshold',
      limit: miniBatchErrorThreshold,
      actual: counts.failed,
      counted: 'failed mini-batches',
    };
  }
  if (errorThreshold >= 0 && counts.itemsFailed > errorThreshold) {
    return { name: 'error_threshold', limit: errorThreshold, actual: counts.itemsFailed, counted: 'failed items' };
  }
  if (allowedFailedPercent < 100 && miniBatchCount > 0) {
    const percent = (counts.failed * 100) / miniBatchCount;
    if (percent > allowedFailedPercent) {
      return {
        name: 'allowed_failed_percent',
        limit: allowedFailedPercent,
        actual: Number(percent.toFixed(2)),
        counted: '% of mini-batches failed',
      };
    }
  }
  return undefined;
}

/**
 * One paragraph for job_result.txt and the job's state reason: which threshold, its value, the count
 * that exceeded it, and the first failed mini-batches with their errors.
 */
export function describeBreach(breach: ThresholdBreach, firstFailures: readonly FailedMiniBatch[]): string {
  const unit = breach.name === 'allowed_failed_percent' ? '%' : '';
  const head =
    `The ${breach.name} of ${breach.limit}${unit} was exceeded: ${breach.actual}${breach.name === 'allowed_failed_percent' ? '' : ' '}` +
    `${breach.counted}.`;
  if (firstFailures.length === 0)
    return `${head} Some mini-batches returned fewer results than the items they were given.`;
  const examples = firstFailures
    .map(
      (failure) =>
        `mini-batch ${failure.miniBatchId} (attempt ${failure.attempt}): ${failure.errorKind}: ${firstLine(failure.errorMessage)}`,
    )
    .join('; ');
  return `${head} First failed mini-batches: ${examples}.`;
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
