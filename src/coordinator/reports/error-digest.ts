/**
 * Errors of a step run summarised by kind (`logs/job_error.txt`): how many attempts failed with each
 * error kind, how many mini-batches failed for good, and the first few examples of each, plus init()
 * failures and run() calls that returned fewer items (failed items, not retried) or more items (capped)
 * than they were given. Memory stays bounded however many errors there are.
 */

/** Examples kept per error kind. */
export const EXAMPLES_PER_KIND = 3;

/** Where one error happened and what it said. */
export interface ErrorExample {
  /** undefined for init() failures. */
  readonly miniBatchId?: number;
  readonly attempt?: number;
  readonly nodeId: string;
  readonly processName: string;
  readonly message: string;
}

/** run() returned fewer items than it was given, or more. */
export type ItemCountWarning = 'fewer' | 'more';

interface ItemCountTally {
  miniBatches: number;
  /** Items missing (fewer) or in excess (more). */
  items: number;
  readonly examples: ErrorExample[];
}

interface KindTally {
  attempts: number;
  miniBatchesFailed: number;
  readonly examples: ErrorExample[];
}

/** Bounded error counts and examples of one step run, rendered as job_error.txt. */
export class ErrorDigest {
  private readonly byKind = new Map<string, KindTally>();
  private initFailureCount = 0;
  private readonly initExamples: ErrorExample[] = [];
  private readonly itemCounts: Record<ItemCountWarning, ItemCountTally> = {
    fewer: { miniBatches: 0, items: 0, examples: [] },
    more: { miniBatches: 0, items: 0, examples: [] },
  };

  /** Counts a failed attempt; `final` when it was the mini-batch's last allowed attempt. */
  recordAttemptFailure(kind: string, example: ErrorExample, final: boolean): void {
    let tally = this.byKind.get(kind);
    if (tally === undefined) {
      tally = { attempts: 0, miniBatchesFailed: 0, examples: [] };
      this.byKind.set(kind, tally);
    }
    tally.attempts += 1;
    if (final) tally.miniBatchesFailed += 1;
    if (tally.examples.length < EXAMPLES_PER_KIND) tally.examples.push(example);
  }

  /** Counts an init() failure of a processor. */
  recordInitFailure(example: ErrorExample): void {
    this.initFailureCount += 1;
    if (this.initExamples.length < EXAMPLES_PER_KIND) this.initExamples.push(example);
  }

  /**
   * Counts a completed run() that returned fewer items than given (`items` = the failed ones) or more
   * (`items` = the excess, not counted as succeeded).
   */
  recordItemCountWarning(kind: ItemCountWarning, example: ErrorExample, items: number): void {
    const tally = this.itemCounts[kind];
    tally.miniBatches += 1;
    tally.items += items;
    if (tally.examples.length < EXAMPLES_PER_KIND) tally.examples.push(example);
  }

  /** Mini-batches whose run() returned fewer / more items than given, and those items. */
  itemCountWarnings(kind: ItemCountWarning): { readonly miniBatches: number; readonly items: number } {
    const { miniBatches, items } = this.itemCounts[kind];
    return { miniBatches, items };
  }

  /** Failed attempts by error kind (Exception, Timeout, WorkerCrashed, LoadTimeout, ...). */
  attemptFailuresByKind(): Record<string, number> {
    return Object.fromEntries([...this.byKind].map(([kind, tally]) => [kind, tally.attempts]));
  }

  /** init() failures so far. */
  get initFailures(): number {
    return this.initFailureCount;
  }

  /** The first init() failure, if any. */
  get firstInitFailure(): ErrorExample | undefined {
    return this.initExamples[0];
  }

  /** True when anything was recorded. */
  get hasErrors(): boolean {
    return (
      this.byKind.size > 0 ||
      this.initFailureCount > 0 ||
      this.itemCounts.fewer.miniBatches > 0 ||
      this.itemCounts.more.miniBatches > 0
    );
  }

  /** The text of job_error.txt (kinds by descending attempt count). */
  render(jobId: string): string {
    const lines = [`Errors of job ${jobId}, by kind. Full stack traces: logs/user/error/<node>/<process>.txt.`, ''];
    if (this.initFailureCount > 0) {
      lines.push(`init() failures: ${this.initFailureCount}`);
      for (const example of this.initExamples) lines.push(`  - ${where(example)}: ${firstLines(example.message)}`);
      lines.push('');
    }
    const kinds = [...this.byKind.entries()].sort((a, b) => b[1].attempts - a[1].attempts);
    for (const [kind, tally] of kinds) {
      lines.push(
        `${kind}: ${tally.attempts} failed attempt(s), ${tally.miniBatchesFailed} mini-batch(es) failed after their last attempt`,
      );
      for (const example of tally.examples) lines.push(`  - ${where(example)}: ${firstLines(example.message)}`);
      lines.push('');
    }
    const { fewer, more } = this.itemCounts;
    if (fewer.miniBatches > 0) {
      lines.push(
        `FewerItems: ${fewer.miniBatches} run() call(s) returned fewer items than given: ${fewer.items} failed item(s), not retried`,
      );
      for (const example of fewer.examples) lines.push(`  - ${where(example)}: ${firstLines(example.message)}`);
      lines.push('');
    }
    if (more.miniBatches > 0) {
      lines.push(
        `TooManyItems (warning): ${more.miniBatches} run() call(s) returned more items than given: ${more.items} extra item(s), not counted as succeeded (their rows are kept)`,
      );
      for (const example of more.examples) lines.push(`  - ${where(example)}: ${firstLines(example.message)}`);
      lines.push('');
    }
    return lines.join('\n');
  }
}

function where(example: ErrorExample): string {
  const batch =
    example.miniBatchId === undefined ? '' : `mini-batch ${example.miniBatchId} attempt ${example.attempt ?? '?'}, `;
  return `${batch}node ${example.nodeId} ${example.processName || '(unknown process)'}`;
}

/** The first 5 lines of a message, indented to sit under its bullet. */
function firstLines(message: string): string {
  const lines = message.trimEnd().split('\n');
  const kept = lines.slice(0, 5).join('\n      ');
  return lines.length > 5 ? `${kept}\n      ...` : kept;
}
