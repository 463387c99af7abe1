/**
 * The live progress of a followed job on stderr (stdout stays for results): a cli-progress bar
 * redrawn in place on a terminal, or, when stderr is not a terminal (CI, pipes, log files), a plain
 * line every `plainIntervalMs` and once at the end. Messages from the coordinator (warnings, what the
 * job waits for) are printed as their own lines in both modes.
 */
import cliProgress from 'cli-progress';

import type { JobMessage, JobStatus } from '../gen/parajob/v1/parajob.js';
import { formatProgressLines, isTerminal, progressFields } from './progress-format.js';

/** What a job follower tells the display. */
export interface ProgressDisplay {
  /** A new status of the job (called on every change). */
  update(status: JobStatus): void;
  /** A message worth the user's attention. */
  message(message: JobMessage): void;
  /** Final redraw; no output after this. */
  stop(): void;
}

export interface ProgressDisplayOptions {
  /** Where to draw. @default process.stderr */
  readonly stream?: NodeJS.WriteStream;
  /** Force a mode; @default stream.isTTY */
  readonly tty?: boolean;
  /** Plain mode: how often the line is printed, in milliseconds. @default 2000 */
  readonly plainIntervalMs?: number;
}

/** Picks the bar on a terminal, plain lines otherwise. */
export function createProgressDisplay(options: ProgressDisplayOptions = {}): ProgressDisplay {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? Boolean(stream.isTTY);
  return tty ? new BarProgressDisplay(stream) : new PlainProgressDisplay(stream, options.plainIntervalMs ?? 2000);
}

/** `[warn] text` (info messages have no prefix). */
export function formatMessage(message: Pick<JobMessage, 'level' | 'text'>): string {
  return message.level && message.level !== 'info' ? `[${message.level}] ${message.text}` : message.text;
}

/** Every step's state, as one comparable string (a step that moves on is worth a line at once). */
function stepStates(status: JobStatus): string {
  return status.steps.map((step) => `${step.stepState}/${step.state}`).join(',');
}

/**
 * Plain mode: a line every interval (only while something is known; for a pipeline, one per running
 * step), a line at once for every message and every change of the state (the job's or a step's) or of
 * what the job waits for, and the last line at stop.
 */
export class PlainProgressDisplay implements ProgressDisplay {
  private last: JobStatus | undefined;
  /** The last line printed by key (the job's is '', a step's its name). */
  private readonly lastPrinted = new Map<string, string>();
  private readonly timer: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    intervalMs: number,
  ) {
    this.timer = setInterval(() => this.print(), intervalMs);
    // The display must never be what keeps the process alive.
    this.timer.unref();
  }

  update(status: JobStatus): void {
    const previous = this.last;
    this.last = status;
    if (!previous || previous.state !== status.state || previous.stateReason !== status.stateReason) this.print();
    else if (stepStates(previous) !== stepStates(status)) this.print();
  }

  message(message: JobMessage): void {
    if (!this.stopped) this.stream.write(`${formatMessage(message)}\n`);
  }

  stop(): void {
    if (this.stopped) return;
    clearInterval(this.timer);
    // The end line, unless that exact line is already the last one printed.
    this.print();
    this.stopped = true;
  }

  private print(): void {
    if (this.stopped || !this.last) return;
    // One line for the job, or one per running step of a pipeline; repeating an unchanged line every
    // 2 s only fills logs.
    for (const { key, line } of formatProgressLines(this.last)) {
      if (line === this.lastPrinted.get(key)) continue;
      this.lastPrinted.set(key, line);
      this.stream.write(`${line}\n`);
    }
  }
}

/** Terminal mode: one cli-progress bar redrawn in place; messages are logged above it. */
export class BarProgressDisplay implements ProgressDisplay {
  private readonly multibar: cliProgress.MultiBar;
  private readonly bar: cliProgress.SingleBar;
  private stopped = false;

  constructor(stream: NodeJS.WriteStream) {
    this.multibar = new cliProgress.MultiBar(
      {
        stream,
        format:
          '{state} [{bar}] {value}/{total} mini-batches | {failed} failed | {running} running | items {items} | {rate} | ETA {etaText} | nodes {nodes}{note}',
        barsize: 24,
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        etaBuffer: 1,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar = this.multibar.create(1, 0, this.payload(undefined));
  }

  update(status: JobStatus): void {
    if (this.stopped) return;
    const fields = progressFields(status);
    // A total of 0 (not partitioned yet) would divide by zero inside the bar.
    if (fields.total > 0) this.bar.setTotal(fields.total);
    this.bar.update(fields.done, this.payload(status));
  }

  message(message: JobMessage): void {
    if (!this.stopped) this.multibar.log(`${formatMessage(message)}\n`);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.multibar.stop();
  }

  private payload(status: JobStatus | undefined): Record<string, string | number> {
    if (!status)
      return {
        state: 'submitted',
        failed: 0,
        running: 0,
        items: '0/0',
        rate: '--',
        etaText: '--',
        nodes: '0/0',
        note: '',
      };
    const f = progressFields(status);
    return {
      state: f.state,
      failed: f.failed,
      running: f.running,
      items: f.items,
      rate: f.rate,
      etaText: f.eta,
      nodes: f.nodes,
      note: f.note && !isTerminal(status.state) ? ` | ${f.note}` : '',
    };
  }
}
