/**
 * Mini-batches finished per second over a recent window, for the progress's rate and ETA. Samples are
 * (time, finished count) pairs taken at most once per `sampleEveryMs`; the rate is the slope between
 * the oldest sample inside the window and now.
 */
export class ProgressRate {
  private readonly samples: { atMs: number; finished: number }[] = [];

  constructor(
    private readonly windowMs = 30_000,
    private readonly sampleEveryMs = 1_000,
  ) {}

  /** Records the finished count at `atMs` (ignored when the last sample is more recent than sampleEveryMs). */
  sample(atMs: number, finished: number): void {
    const last = this.samples[this.samples.length - 1];
    if (last !== undefined && atMs - last.atMs < this.sampleEveryMs) return;
    this.samples.push({ atMs, finished });
    while (this.samples.length > 2 && (this.samples[0]?.atMs ?? atMs) < atMs - this.windowMs) this.samples.shift();
  }

  /** Mini-batches per second between the oldest kept sample and (atMs, finished); 0 without history. */
  perSecond(atMs: number, finished: number): number {
    const first = this.samples[0];
    if (first === undefined || atMs - first.atMs < 1) return 0;
    return Math.max(0, ((finished - first.finished) * 1000) / (atMs - first.atMs));
  }

  /** Estimated milliseconds until `remaining` more are finished; undefined without a rate. */
  etaMs(atMs: number, finished: number, remaining: number): number | undefined {
    const rate = this.perSecond(atMs, finished);
    return rate > 0 ? Math.round((remaining / rate) * 1000) : undefined;
  }
}
