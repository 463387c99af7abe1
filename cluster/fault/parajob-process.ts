/**
 * One `parajob` CLI process (`node bin/parajob.js <args>`) started by the fault harness: its output
 * is kept in memory and teed to a log file, it can be waited on (a pattern in its output, its exit;
 * always bounded) and hit with real signals: SIGKILL for a crash, SIGSTOP/SIGCONT for a process that
 * hangs and comes back (a zombie).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ConditionWaiters } from './condition-waiters.js';

/** The repository root: the folder holding bin/parajob.js (this file runs from cluster/ or dist/cluster/). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'bin', 'parajob.js')) && existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find bin/parajob.js above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** How a process ended. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running `parajob` process; see the module comment. */
export class ParajobProcess {
  private text = '';
  private readonly waiters = new ConditionWaiters();
  private readonly log: WriteStream;
  readonly child: ChildProcess;
  readonly exited: Promise<ProcessExit>;
  exit: ProcessExit | undefined;

  /**
   * Starts `parajob <args>`; stdout and stderr go to memory and to `logFile`.
   * @param name for messages ("coordinator", "node n1")
   */
  constructor(
    readonly name: string,
    readonly args: readonly string[],
    readonly logFile: string,
    env: NodeJS.ProcessEnv = {},
  ) {
    this.log = createWriteStream(logFile, { flags: 'a' });
    this.child = spawn(process.execPath, [join(repoRoot(), 'bin', 'parajob.js'), ...args], {
      cwd: repoRoot(),
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const received = (chunk: Buffer): void => {
      this.text += chunk.toString('utf8');
      this.log.write(chunk);
      this.waiters.notify();
    };
    this.child.stdout?.on('data', received);
    this.child.stderr?.on('data', received);
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        this.exit = { code, signal };
        this.log.end();
        this.waiters.notify();
        resolve(this.exit);
      });
    });
  }

  /** The OS process id. */
  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Everything the process wrote so far (stdout and stderr interleaved as they arrived). */
  get output(): string {
    return this.text;
  }

  /**
   * Resolves with the first match of `pattern` in the output; rejects after `timeoutMs`, or when the
   * process exits without writing it.
   */
  waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    return this.waiters.waitFor<RegExpMatchArray>(
      () => {
        const match = this.text.match(pattern);
        if (match) return { done: match };
        if (this.exit)
          return {
            failed: `${this.name} exited (${JSON.stringify(this.exit)}) without writing ${pattern}; log ${this.logFile}`,
          };
        return undefined;
      },
      timeoutMs,
      () => `timed out after ${timeoutMs} ms waiting for ${pattern} from ${this.name}; log ${this.logFile}`,
    );
  }

  /** Sends `signal` if the process still runs (SIGKILL: a crash; SIGSTOP/SIGCONT: a hang and its end). */
  signal(signal: NodeJS.Signals): void {
    if (this.exit === undefined) this.child.kill(signal);
  }

  /** Ends the process: SIGTERM, then SIGKILL after `graceMs`; resolves once it exited. */
  async stop(graceMs = 5_000): Promise<ProcessExit> {
    if (this.exit !== undefined) return this.exit;
    this.signal('SIGCONT');
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
