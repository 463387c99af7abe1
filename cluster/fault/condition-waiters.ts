/**
 * Bounded waits on a changing object (a job's status, a process's output): each waiter's condition is
 * re-checked whenever the owner calls `notify()`, so nothing polls or sleeps.
 */

/** What one wait checks: its value once satisfied, or the reason it can never be. */
export type WaitCheck<T> = () => { readonly done: T } | { readonly failed: string } | undefined;

/** The waiters of one owner. */
export class ConditionWaiters {
  private readonly waiters = new Set<() => void>();

  /** Re-checks every wait (the owner calls it after each change). */
  notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /**
   * Resolves with the check's value once it is done; rejects with its reason when it failed, or with
   * `timeoutMessage` after `timeoutMs`. Checked at once, then on every notify().
   */
  waitFor<T>(check: WaitCheck<T>, timeoutMs: number, timeoutMessage: () => string): Promise<T> {
    return new Promise((resolve, reject) => {
      const recheck = (): void => {
        const outcome = check();
        if (outcome === undefined) return;
        done();
        if ('done' in outcome) resolve(outcome.done);
        else reject(new Error(outcome.failed));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(timeoutMessage()));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(recheck);
      };
      this.waiters.add(recheck);
      recheck();
    });
  }
}
