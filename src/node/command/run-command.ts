/**
 * Runs one command step's command as a process tree the node can kill: `/bin/sh -c <command>` in its
 * own process group (detached), in a fresh working directory, with stdout and stderr sharing one file
 * descriptor on `<log dir>/std_log.txt` so that they interleave exactly as written (Azure's
 * `user_logs/std_log.txt`). A timeout or a cancel kills the whole group: SIGTERM, then SIGKILL after a
 * grace; whatever the group left behind when the shell exits is killed too, so nothing outlives the step.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';

/** How a command ended. */
export interface CommandExit {
  /** -1 when a signal ended it or it never started. */
  readonly exitCode: number;
  readonly signal: string;
  readonly timedOut: boolean;
  readonly cancelled: boolean;
  /** Set when the process could not be started. */
  readonly spawnError: string;
  readonly startedAtMs: number;
  readonly endedAtMs: number;
}

export interface RunCommandOptions {
  readonly command: string;
  readonly cwd: string;
  /** Added to the node's own environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly logFile: string;
  /** 0 or undefined: no limit. */
  readonly timeoutMs: number | undefined;
  /** Between SIGTERM and SIGKILL of the group. */
  readonly killGraceMs: number;
}

/** A started command: wait for `exited`, or `cancel()` or `kill()` it (which still resolves `exited`). */
export interface RunningCommand {
  readonly pid: number | undefined;
  readonly exited: Promise<CommandExit>;
  /** SIGTERM to the group, SIGKILL after the grace. */
  cancel(): void;
  /** SIGKILL to the group now: the run is fenced off (it runs elsewhere), no grace to give. */
  kill(): void;
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** Starts the command (see the module comment). */
export function runCommand(options: RunCommandOptions): RunningCommand {
  const startedAtMs = Date.now();
  mkdirSync(join(options.logFile, '..'), { recursive: true });
  const logFd = openSync(options.logFile, 'a');
  const child = spawn('/bin/sh', ['-c', options.command], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', logFd, logFd],
    detached: true,
  });
  closeSync(logFd);
  let timedOut = false;
  let cancelled = false;
  let killTimer: NodeJS.Timeout | undefined;
  const terminate = (): void => {
    if (killTimer !== undefined) return;
    killGroup(child.pid, 'SIGTERM');
    killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), options.killGraceMs);
  };
  const timeout =
    options.timeoutMs !== undefined && options.timeoutMs > 0
      ? setTimeout(() => {
          timedOut = true;
          terminate();
        }, options.timeoutMs)
      : undefined;
  const exited = new Promise<CommandExit>((resolvePromise) => {
    let ended = false;
    const end = (exitCode: number, signal: string, spawnError: string): void => {
      if (ended) return;
      ended = true;
      if (timeout !== undefined) clearTimeout(timeout);
      if (killTimer !== undefined) clearTimeout(killTimer);
      // Background processes the command left in its group end with it.
      killGroup(child.pid, 'SIGKILL');
      resolvePromise({ exitCode, signal, timedOut, cancelled, spawnError, startedAtMs, endedAtMs: Date.now() });
    };
    child.once('error', (error) => end(-1, '', error.message));
    child.once('exit', (code, signal) => end(code ?? -1, signal ?? '', ''));
  });
  return {
    pid: child.pid,
    exited,
    cancel: () => {
      cancelled = true;
      terminate();
    },
    kill: () => {
      cancelled = true;
      killGroup(child.pid, 'SIGKILL');
    },
  };
}
