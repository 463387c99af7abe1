/**
 * A pool of threads that read tabular leases (table-read-thread.ts), one per core offered by the
 * node: parsing rows is the node's heaviest work in a tabular job, and on one thread it would cap a
 * node at one core's parse rate however many processors it runs. Reads are answered in the JSON the
 * worker's `run` frame carries (LoadedTable), parsed and encoded off the main thread.
 *
 * Threads start on the first read (file jobs never start one) and are unref'd: they never keep a
 * node process alive. A thread that dies fails the read it had and is replaced on demand. A read
 * whose caller gives up (its AbortSignal: task_overhead_timeout, a revoke, a stop) leaves the queue,
 * or ends its thread if it is being read, so stuck reads (a hung network filesystem) cannot hold the
 * pool.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

import { InputError, ParajobError } from '../../errors.js';
import type { Lease } from '../../gen/parajob/v1/parajob.js';
import { packageRoot } from '../../worker/python/locate.js';
import type { LoadedTable, ReadTableBatch } from './table-batches.js';
import type { TableReadReply, TableReadRequest } from './table-read-thread.js';

/** The compiled thread body (`npm run build` produces it). */
export function tableReadThreadPath(): string {
  return join(packageRoot(), 'dist', 'src', 'node', 'tabular', 'table-read-thread.js');
}

interface PendingRead {
  readonly request: TableReadRequest;
  readonly resolve: (table: LoadedTable) => void;
  readonly reject: (error: Error) => void;
}

/** See the module comment. */
export class TableReadPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, PendingRead>();
  private readonly waiting: PendingRead[] = [];
  private started = 0;
  private nextId = 1;
  private closed = false;

  /** `size`: most threads at once (the node's cores). */
  constructor(
    private readonly size: number,
    private readonly threadFile: string = tableReadThreadPath(),
  ) {}

  /** Reads one lease's rows on a thread (a ReadTableBatch). */
  readonly read: ReadTableBatch = (settings: unknown, lease: Lease, signal?: AbortSignal) =>
    new Promise<LoadedTable>((resolve, reject) => {
      if (this.closed) {
        reject(new ParajobError('the node is stopping: tabular reads are closed'));
        return;
      }
      if (signal?.aborted === true) {
        reject(new ParajobError('the read was abandoned'));
        return;
      }
      const pending: PendingRead = { request: { id: this.nextId++, settings, lease }, resolve, reject };
      signal?.addEventListener('abort', () => this.abandon(pending), { once: true });
      this.waiting.push(pending);
      this.dispatch();
    });

  /** Threads started and not ended (for tests). */
  get threads(): number {
    return this.started;
  }

  /** Ends every thread; reads still waiting fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.waiting.splice(0)) pending.reject(new ParajobError('the node is stopping'));
    const threads = [...this.idle.splice(0), ...this.busy.keys()];
    await Promise.all(threads.map((thread) => thread.terminate()));
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      let thread: Worker | undefined;
      try {
        thread = this.idle.pop() ?? this.spawn();
      } catch (error) {
        // No thread can start (the build is incomplete): every waiting read fails with the reason.
        for (const pending of this.waiting.splice(0)) pending.reject(error as Error);
        return;
      }
      if (thread === undefined) return;
      const pending = this.waiting.shift() as PendingRead;
      this.busy.set(thread, pending);
      thread.postMessage(pending.request);
    }
  }

  private spawn(): Worker | undefined {
    if (this.started >= this.size) return undefined;
    if (!existsSync(this.threadFile))
      throw new ParajobError(
        `the table reader ${this.threadFile} is missing; run \`npm run build\` in the parajob package`,
      );
    const thread = new Worker(this.threadFile);
    thread.unref();
    this.started++;
    thread.on('message', (reply: TableReadReply) => this.answer(thread, reply));
    // A thread that dies (out of memory, a bug) fails its read; another is started for the next.
    const lost = (error: Error): void => this.forget(thread, error);
    thread.on('error', lost);
    thread.on('exit', (code) => this.forget(thread, new ParajobError(`a table-reading thread exited (code ${code})`)));
    return thread;
  }

  private answer(thread: Worker, reply: TableReadReply): void {
    const pending = this.busy.get(thread);
    this.busy.delete(thread);
    this.idle.push(thread);
    if (pending !== undefined && pending.request.id === reply.id) {
      if ('error' in reply) {
        // The reader's InputError (bad data, a missing file) keeps its kind: it names the file and row.
        const error =
          reply.error.name === 'InputError'
            ? new InputError(reply.error.message)
            : new ParajobError(reply.error.message);
        pending.reject(error);
      } else {
        pending.resolve({ rowCount: reply.rowCount, json: reply.json });
      }
    }
    this.dispatch();
  }

  /** The caller gave up on `pending`: dequeue it, or end the thread reading it (started anew on demand). */
  private abandon(pending: PendingRead): void {
    const queued = this.waiting.indexOf(pending);
    if (queued >= 0) this.waiting.splice(queued, 1);
    for (const [thread, busy] of this.busy) {
      if (busy !== pending) continue;
      this.forget(thread, new ParajobError('the read was abandoned'));
      void thread.terminate();
    }
    pending.reject(new ParajobError('the read was abandoned'));
  }

  private forget(thread: Worker, error: Error): void {
    const wasIdle = this.idle.indexOf(thread);
    if (wasIdle >= 0) this.idle.splice(wasIdle, 1);
    const pending = this.busy.get(thread);
    if (!this.busy.delete(thread) && wasIdle < 0) return;
    this.started--;
    pending?.reject(error);
    if (!this.closed) this.dispatch();
  }
}
