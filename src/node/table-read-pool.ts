/**
 * A pool of threads that read tabular leases (table-read-thread.ts), one per core offered by the
 * node: parsing rows is the node's heaviest work in a tabular job, and on one thread it would cap a
 * node at one core's parse rate however many processors it runs. Reads are answered in the JSON the
 * worker's `run` frame carries (LoadedTable), parsed and encoded off the main thread.
 *
 * Threads start on the first read (file jobs never start one) and are unref'd: they never keep a
 * node process alive. A thread that dies fails the read it had and is replaced on demand.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { InputError, ParajobError } from '../errors.js';
import type { Lease } from '../gen/parajob/v1/parajob.js';
import { packageRoot } from '../worker/python/locate.js';
import type { LoadedTable, ReadTableBatch } from './table-batches.js';
import type { TableReadReply, TableReadRequest } from './table-read-thread.js';

/** The compiled thread body (`npm run build` produces it). */
export function tableReadThreadPath(): string {
  return join(packageRoot(), 'dist', 'src', 'node', 'table-read-thread.js');
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
  readonly read: ReadTableBatch = (settings: unknown, lease: Lease) =>
    new Promise<LoadedTable>((resolve, reject) => {
      if (this.closed) {
        reject(new ParajobError('the node is stopping: tabular reads are closed'));
        return;
      }
      this.waiting.push({ request: { id: this.nextId++, settings, lease }, resolve, reject });
      this.dispatch();
    });

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
    if (!existsSync(this.threadFile)) throw new ParajobError(`the table reader ${this.threadFile} is missing; run \`npm run build\` in the parajob package`);
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
        const error = reply.error.name === 'InputError' ? new InputError(reply.error.message) : new ParajobError(reply.error.message);
        pending.reject(error);
      } else {
        pending.resolve({ rowCount: reply.rowCount, json: reply.json });
      }
    }
    this.dispatch();
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
