/**
 * Log lines of fenced (dropped) results, bounded: one warn line per dropped result up to
 * `budget` per window, then the rest only counted and reported in one line when the window turns
 * over. A node replaying forged or stale results cannot flood the coordinator's log.
 */
import type { Logger } from 'pino';

export const FENCING_LOG_BUDGET = 100;
export const FENCING_LOG_WINDOW_MS = 60_000;

export class FencingLog {
  private windowStartMs = 0;
  private logged = 0;
  private suppressed = 0;

  constructor(
    private readonly budget = FENCING_LOG_BUDGET,
    private readonly windowMs = FENCING_LOG_WINDOW_MS,
  ) {}

  /** One dropped result. */
  dropped(logger: Logger, fields: Record<string, unknown>, nowMs = Date.now()): void {
    if (nowMs - this.windowStartMs >= this.windowMs) {
      if (this.suppressed > 0)
        logger.warn(
          { suppressed: this.suppressed },
          `${this.suppressed} more late results dropped (fencing), not logged one by one`,
        );
      this.windowStartMs = nowMs;
      this.logged = 0;
      this.suppressed = 0;
    }
    if (this.logged < this.budget) {
      this.logged += 1;
      logger.warn(fields, 'late result dropped (fencing)');
    } else this.suppressed += 1;
  }
}
