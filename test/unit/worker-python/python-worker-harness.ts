/**
 * Test harness for the Python worker: spawns it for real with the protocol channels on fds 3 and 4, speaks
 * frames through encodeFrame/FrameDecoder, and waits on messages with bounded timeouts (no sleeps).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Duplex } from 'node:stream';

import { afterEach } from 'vitest';

import {
  encodeFrame,
  FrameDecoder,
  type HostMessage,
  type InitFailedMessage,
  type InitMessage,
  REPLY_FD,
  REQUEST_FD,
  type ResultMessage,
  type WorkerMessage,
} from '../../../src/worker/protocol.js';
import { findPython, pythonCanImport, pythonWorkerPath } from '../../../src/worker/python/locate.js';

/** How long any one expected message or exit may take before the test fails. */
export const MESSAGE_TIMEOUT_MS = 20_000;

/** A throwaway run folder: the entry script, its logs and its output live under `root`. */
export class Sandbox {
  readonly root = mkdtempSync(join(tmpdir(), 'parajob-pyworker-'));
  readonly logDir = join(this.root, 'logs');
  readonly outputDir = join(this.root, 'outputs');

  /** Writes `text` to `relativePath` under the sandbox and returns the absolute path. */
  write(relativePath: string, text: string): string {
    const path = join(this.root, relativePath);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    return path;
  }

  /** The entry-script log the host would give process `processName` of node `nodeId`. */
  userLogFile(nodeId = '0', processName = 'process000'): string {
    return join(this.logDir, 'user', 'entry_script_log', nodeId, `${processName}.log.txt`);
  }

  /** Where the worker must append init()/run() tracebacks. */
  userErrorFile(nodeId = '0', processName = 'process000'): string {
    return join(this.logDir, 'user', 'error', nodeId, `${processName}.txt`);
  }

  /** An init message for `entryScript` with test defaults; `overrides` win. */
  initMessage(entryScript: string, overrides: Partial<InitMessage> = {}): InitMessage {
    return {
      type: 'init',
      jobId: 'job-1',
      nodeId: '0',
      processName: 'process000',
      entryScript,
      argv: [],
      outputDir: this.outputDir,
      userLogFile: this.userLogFile(),
      loggingLevel: 'INFO',
      appendRow: true,
      inputKind: 'files',
      ...overrides,
    };
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** A running Python worker and everything it said. */
export class PythonWorker {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  /** Resolves with the exit code (or the signal name) once the process has ended. */
  readonly exited: Promise<number | string>;
  private readonly socket: Duplex;
  private readonly inbox: WorkerMessage[] = [];
  private waiter: (() => void) | undefined;

  /** @param env added to the test process's environment */
  constructor(python: string, env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(python, ['-u', pythonWorkerPath()], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (text: string) => (this.stdout += text));
    this.child.stderr!.setEncoding('utf8').on('data', (text: string) => (this.stderr += text));
    this.socket = this.child.stdio[REQUEST_FD] as Duplex;
    const replies = this.child.stdio[REPLY_FD] as Duplex;
    replies.on('error', () => undefined);
    const decoder = new FrameDecoder<WorkerMessage>();
    replies.on('data', (chunk: Buffer) => {
      this.inbox.push(...decoder.push(chunk));
      this.waiter?.();
    });
    // The worker closing its end (exit) must not surface as an unhandled stream error.
    this.socket.on('error', () => undefined);
    this.exited = new Promise((resolveExit) => {
      this.child.on('exit', (code, signal) => {
        resolveExit(code ?? signal ?? 'unknown');
        this.waiter?.();
      });
    });
  }

  /** Messages the worker sent that no `next()` has taken yet. */
  get unread(): readonly WorkerMessage[] {
    return [...this.inbox];
  }

  send(message: HostMessage): void {
    this.socket.write(encodeFrame(message));
  }

  /** The next message from the worker; rejects after MESSAGE_TIMEOUT_MS or if the worker exits first. */
  async next(): Promise<WorkerMessage> {
    const deadline = Date.now() + MESSAGE_TIMEOUT_MS;
    for (;;) {
      const message = this.inbox.shift();
      if (message !== undefined) return message;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(
          `the worker exited (${this.child.exitCode ?? this.child.signalCode}) before answering; stderr:\n${this.stderr}`,
        );
      }
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0)
        throw new Error(`no message from the worker within ${MESSAGE_TIMEOUT_MS} ms; stderr:\n${this.stderr}`);
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, remainingMs);
        this.waiter = () => {
          clearTimeout(timer);
          this.waiter = undefined;
          wake();
        };
      });
    }
  }

  /** Sends `message` and returns the worker's answer. */
  async request(message: HostMessage): Promise<WorkerMessage> {
    this.send(message);
    return this.next();
  }

  /** Ends the protocol socket from the host side, as a dying host would. */
  closeSocket(): void {
    this.socket.end();
  }

  /** Waits for the exit, bounded by MESSAGE_TIMEOUT_MS. */
  async waitForExit(): Promise<number | string> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the worker did not exit within ${MESSAGE_TIMEOUT_MS} ms`)),
        MESSAGE_TIMEOUT_MS,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills the worker if it is still running (test cleanup). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** The interpreter the worker runs on in these tests: $PARAJOB_PYTHON or python3 on PATH. */
export function testPython(): string {
  return findPython();
}

/**
 * An interpreter that can import pandas, or undefined: the default one first, then the system
 * python3 (Debian's python3-pandas installs there, while a pyenv python3 on PATH may lack it).
 */
export function pythonWithPandas(): string | undefined {
  const candidates = [testPython(), '/usr/bin/python3'];
  return candidates.find((python) => pythonCanImport(python, 'pandas'));
}

/**
 * An environment in which `import pandas` fails as it does where pandas is not installed: a folder
 * first on PYTHONPATH whose `pandas` package raises ModuleNotFoundError. It hides an installed pandas
 * (Debian's python3-pandas, as CI has), so the no-pandas path runs everywhere.
 */
export function hidingPandas(sandbox: Sandbox): NodeJS.ProcessEnv {
  sandbox.write(
    'no-pandas/pandas/__init__.py',
    'raise ModuleNotFoundError("No module named \'pandas\' (hidden by the test)", name="pandas")\n',
  );
  return { PYTHONPATH: join(sandbox.root, 'no-pandas') };
}

/** `message` as a run result; throws (failing the test) with the message shown when it is anything else. */
export function asResult(message: WorkerMessage): ResultMessage {
  if (message.type !== 'result') throw new Error(`expected a result, got ${JSON.stringify(message)}`);
  return message;
}

/** `message` as an initFailed answer; throws (failing the test) with the message shown otherwise. */
export function asInitFailed(message: WorkerMessage): InitFailedMessage {
  if (message.type !== 'initFailed') throw new Error(`expected initFailed, got ${JSON.stringify(message)}`);
  return message;
}

/** One sandbox and one worker per test, both cleaned up after each test. */
export interface WorkerFixture {
  /** The current test's sandbox; throws if start() has not been called in this test. */
  readonly sandbox: Sandbox;
  /**
   * A fresh sandbox and a worker on `python` (default testPython()), with the environment `env`
   * returns for the new sandbox added (files it needs must be written before the worker starts).
   */
  start(python?: string, env?: (sandbox: Sandbox) => NodeJS.ProcessEnv): PythonWorker;
}

/**
 * Call at the top of a test file: registers an afterEach that kills the test's worker and removes its
 * sandbox, and returns the fixture the tests start them with.
 */
export function useWorkerFixture(): WorkerFixture {
  let sandbox: Sandbox | undefined;
  let worker: PythonWorker | undefined;
  afterEach(() => {
    worker?.kill();
    worker = undefined;
    sandbox?.remove();
    sandbox = undefined;
  });
  return {
    get sandbox(): Sandbox {
      if (sandbox === undefined) throw new Error('call start() before using the sandbox');
      return sandbox;
    },
    start(python = testPython(), env = () => ({})): PythonWorker {
      sandbox = new Sandbox();
      worker = new PythonWorker(python, env(sandbox));
      return worker;
    },
  };
}
