/**
 * The node's side of one worker child process: spawns it with its stdout/stderr appended to the
 * user's log files and the frame protocol (src/worker/protocol.ts) on fds 3 and 4, and reports its messages
 * and its exit. It knows nothing of leases or retries: the processor machine decides those.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import type { Duplex } from 'node:stream';

import { ParajobError } from '../../errors.js';
import {
  encodeFrame,
  FrameDecoder,
  type HostMessage,
  REPLY_FD,
  REQUEST_FD,
  type WorkerMessage,
} from '../../worker/protocol.js';
import { findPython, pythonWorkerPath } from '../../worker/python/locate.js';
import { jsWorkerPath } from '../package-root.js';

/** How long after a worker's exit its reply channel may take to deliver its last bytes. */
const EXIT_CLOSE_GRACE_MS = 1_000;

/** How to start one worker. */
export interface WorkerLaunch {
  /** Absolute path of the entry script: `.py` picks the Python worker, anything else the JS worker. */
  readonly entryScript: string;
  /** Python interpreter for `.py` scripts (the node's --python); undefined: $PARAJOB_PYTHON, then python3. */
  readonly python?: string;
  /** The complete environment of the child. */
  readonly env: NodeJS.ProcessEnv;
  /** Working directory of the child (created if missing). */
  readonly cwd: string;
  /** Files the child's stdout and stderr are appended to (folders created). */
  readonly stdoutFile: string;
  readonly stderrFile: string;
}

/** How a worker process ended: exit code or signal, or the spawn error when it never started. */
export interface WorkerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly spawnError?: Error;
}

/** Callbacks of a running worker; none is called after `onExit`. */
export interface WorkerCallbacks {
  readonly onSpawn: (pid: number) => void;
  /** The messages decoded from one read of the reply channel, in order (one call per read). */
  readonly onMessages: (messages: readonly WorkerMessage[]) => void;
  readonly onExit: (exit: WorkerExit) => void;
}

/** The command line that runs a worker for `entryScript`. Throws ParajobError when it cannot exist. */
export function workerCommand(
  entryScript: string,
  python?: string,
): { readonly command: string; readonly args: readonly string[] } {
  if (extname(entryScript).toLowerCase() === '.py') {
    return { command: findPython(python), args: ['-u', pythonWorkerPath()] };
  }
  const script = jsWorkerPath();
  if (!existsSync(script))
    throw new ParajobError(`the JS worker ${script} is missing; run \`npm run build\` in the parajob package`);
  return { command: process.execPath, args: [script] };
}

/** One live worker process. */
export class WorkerProcess {
  private readonly decoder = new FrameDecoder<WorkerMessage>();
  private exited = false;

  private constructor(
    private readonly child: ChildProcess | undefined,
    private readonly requests: Duplex | undefined,
    private readonly replies: Duplex | undefined,
  ) {}

  /**
   * Spawns a worker. Never throws: a launch that cannot start (no interpreter, no worker script)
   * ends in `onExit` with `spawnError`, on a later tick, like a process that died at once.
   */
  static launch(launch: WorkerLaunch, callbacks: WorkerCallbacks): WorkerProcess {
    let stdout: number | undefined;
    let stderr: number | undefined;
    try {
      const { command, args } = workerCommand(launch.entryScript, launch.python);
      stdout = openAppend(launch.stdoutFile);
      stderr = openAppend(launch.stderrFile);
      mkdirSync(launch.cwd, { recursive: true });
      // fd 3 carries requests to the worker, fd 4 its replies (src/worker/protocol.ts says why two).
      const child = spawn(command, [...args], {
        cwd: launch.cwd,
        env: launch.env,
        stdio: ['ignore', stdout, stderr, 'pipe', 'pipe'],
      });
      const requests = child.stdio[REQUEST_FD] as Duplex | null;
      const replies = child.stdio[REPLY_FD] as Duplex | null;
      const worker = new WorkerProcess(child, requests ?? undefined, replies ?? undefined);
      worker.wire(callbacks);
      return worker;
    } catch (error) {
      const worker = new WorkerProcess(undefined, undefined, undefined);
      setImmediate(() => worker.finish(callbacks, { code: null, signal: null, spawnError: error as Error }));
      return worker;
    } finally {
      // The child holds its own copies of the log descriptors.
      if (stdout !== undefined) closeSync(stdout);
      if (stderr !== undefined) closeSync(stderr);
    }
  }

  /** The OS process id, once spawned. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** True once the process has exited (or never started). */
  get hasExited(): boolean {
    return this.exited;
  }

  /** Sends one frame; ignored once the process is gone. */
  send(message: HostMessage): void {
    this.sendAll([message]);
  }

  /**
   * Sends frames in order with one write: pipelined runs reach the worker in one system call and
   * wake it once. A Uint8Array is a frame encoded already (encodeRunFrame).
   */
  sendAll(messages: readonly (HostMessage | Uint8Array)[]): void {
    if (messages.length === 0 || this.exited || this.requests === undefined || this.requests.destroyed) return;
    const frames = messages.map((message) => (message instanceof Uint8Array ? message : encodeFrame(message)));
    this.requests.write(frames.length === 1 ? (frames[0] as Uint8Array) : Buffer.concat(frames));
  }

  /** Kills the process (SIGKILL by default: a hung run() cannot be interrupted any other way). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.exited) this.child?.kill(signal);
  }

  private wire(callbacks: WorkerCallbacks): void {
    const child = this.child as ChildProcess;
    child.once('spawn', () => {
      if (!this.exited && child.pid !== undefined) callbacks.onSpawn(child.pid);
    });
    this.replies?.on('data', (chunk: Buffer) => {
      if (this.exited) return;
      const messages = this.decoder.push(chunk);
      if (messages.length > 0) callbacks.onMessages(messages);
    });
    // A broken channel is followed by the exit, which is what gets reported. (Writing to a worker that
    // died with runs unread resets the request channel; the reply channel still yields every reply.)
    this.requests?.on('error', () => undefined);
    this.replies?.on('error', () => undefined);
    child.once('error', (error) => this.finish(callbacks, { code: null, signal: null, spawnError: error }));
    // 'exit' can precede the last protocol bytes; 'close' waits for stdio to drain, so a final result
    // or shutdownDone written just before exiting is delivered first.
    child.once('close', (code, signal) => this.finish(callbacks, { code, signal }));
    // ...unless a grandchild inherited the socket and keeps it open: then the exit is enough.
    child.once('exit', (code, signal) => {
      setTimeout(() => this.finish(callbacks, { code, signal }), EXIT_CLOSE_GRACE_MS).unref();
    });
  }

  private finish(callbacks: WorkerCallbacks, exit: WorkerExit): void {
    if (this.exited) return;
    this.exited = true;
    callbacks.onExit(exit);
  }
}

function openAppend(file: string): number {
  mkdirSync(dirname(file), { recursive: true });
  return openSync(file, 'a');
}
