/**
 * The lines of `logs/job_progress_overview.txt`, in Azure's wording (SPEC.md 6.2) so that users and
 * their scripts recognise them. Each line is prefixed with its UTC time.
 */

/** `h:mm:ss` (hours not padded, like Python's timedelta) for a duration in milliseconds. */
export function formatDuration(ms: number): string {
  const totalSeconds = Math.max(0, Math.round(ms / 1000));
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  return `${hours}:${String(minutes).padStart(2, '0')}:${String(seconds).padStart(2, '0')}`;
}

/** A line with its time prefix, "\n"-terminated. */
export function overviewLine(atMs: number, text: string): string {
  return `${new Date(atMs).toISOString()} ${text}\n`;
}

/**
 * "Scheduling finished. Scheduled N mini batches in S seconds. There are N tasks with M items." When
 * the item count is not known yet (`items` undefined: rows of a table cut by size, counted as they are
 * read), the last sentence says so instead of giving a number.
 */
export function schedulingFinishedText(miniBatches: number, elapsedMs: number, items: number | undefined): string {
  const seconds = Math.round(elapsedMs / 1000);
  const head = `Scheduling finished. Scheduled ${miniBatches} mini batches in ${seconds} seconds.`;
  if (items === undefined) return `${head} There are ${miniBatches} tasks; their rows are counted as they are read.`;
  return `${head} There are ${miniBatches} tasks with ${items} items.`;
}

/** "No task has been processed yet." */
export const NO_TASK_PROCESSED_TEXT = 'No task has been processed yet.';

/**
 * "Processed X of N mini batches in h:mm:ss. Estimated remaining time h:mm:ss." The estimate is left
 * out while there is no rate to base it on, and when everything is processed.
 */
export function processedText(
  processed: number,
  total: number,
  elapsedMs: number,
  remainingMs: number | undefined,
): string {
  const head = `Processed ${processed} of ${total} mini batches in ${formatDuration(elapsedMs)}.`;
  if (processed >= total || remainingMs === undefined) return head;
  return `${head} Estimated remaining time ${formatDuration(remainingMs)}.`;
}
