/**
 * Test harness: runs the compiled JS worker (dist/, build first) as a real child process and talks
 * frames with it on fds 3 and 4, the way a node's processor does.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Duplex } from 'node:stream';

import {
  encodeFrame,
  FrameDecoder,
  type HostMessage,
  type InitMessage,
  REPLY_FD,
  REQUEST_FD,
  type WorkerMessage,
} from '../../../src/worker/protocol.js';
import { assertBuilt } from '../../helpers/cli-process.js';

export const JS_WORKER = resolve(import.meta.dirname, '../../../dist/src/worker/js-worker.js');

/** Fails loudly when the worker has not been compiled. */
export function requireBuiltWorker(): void {
  if (!existsSync(JS_WORKER)) throw new Error(`${JS_WORKER} is missing: run \`npm run build\` before these tests`);
  assertBuilt();
}

/** A temp folder with the given files (name → content). */
export async function scriptDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'parajob-worker-'));
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
  return dir;
}

export class WorkerUnderTest {
  readonly child: ChildProcess;
  private readonly socket: Duplex;
  private readonly decoder = new FrameDecoder<WorkerMessage>();
  private readonly inbox: WorkerMessage[] = [];
  private waiter: (() => void) | undefined;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout = '';
  stderr = '';

  constructor() {
    this.child = spawn(process.execPath, [JS_WORKER], { stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'] });
    this.socket = this.child.stdio[REQUEST_FD] as Duplex;
    const replies = this.child.stdio[REPLY_FD] as Duplex;
    replies.on('error', () => undefined);
    replies.on('data', (chunk: Buffer) => {
      this.inbox.push(...this.decoder.push(chunk));
      this.waiter?.();
    });
    this.socket.on('error', () => undefined);
    this.child.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolvePromise) =>
      this.child.once('exit', (code, signal) => resolvePromise({ code, signal })),
    );
  }

  send(message: HostMessage): void {
    this.socket.write(encodeFrame(message));
  }

  /** The next message from the worker (bounded wait). */
  async next(timeoutMs = 10_000): Promise<WorkerMessage> {
    const deadline = Date.now() + timeoutMs;
    while (this.inbox.length === 0) {
      if (Date.now() > deadline)
        throw new Error(`no message from the worker within ${timeoutMs} ms; stderr: ${this.stderr}`);
      await new Promise<void>((resolvePromise) => {
        const timer = setTimeout(resolvePromise, Math.max(1, deadline - Date.now()));
        this.waiter = () => {
          clearTimeout(timer);
          resolvePromise();
        };
      });
      this.waiter = undefined;
    }
    return this.inbox.shift() as WorkerMessage;
  }

  /** Closes the host end of the protocol socket (EOF for the worker). */
  closeSocket(): void {
    this.socket.end();
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

/** An init message for `entryScript` with logs under `logs`. */
export function initFor(entryScript: string, logs: string, overrides: Partial<InitMessage> = {}): InitMessage {
  return {
    type: 'init',
    jobId: 'job-1',
    nodeId: 'node-a',
    processName: 'process000',
    entryScript,
    argv: ['--logging_level', 'INFO', '--model', 'm1'],
    outputDir: join(logs, 'out'),
    userLogFile: join(logs, 'user', 'entry_script_log', 'node-a', 'process000.log.txt'),
    loggingLevel: 'INFO',
    appendRow: true,
    inputKind: 'files',
    ...overrides,
  };
}
