/**
 * One file written by one ordered queue: chunks are written in the order given, never interleaved,
 * each chunk contiguous; chunks queued while a write is in flight go out together in the next
 * `writev`, so thousands of small results per second cost few system calls. Used for the append_row
 * output (one chunk per accepted result) and the CSV report.
 *
 * write() never blocks, so the queue grows while the disk lags; its size is {@link pendingBytes} and
 * {@link whenPendingBelow} tells when it shrank, for callers that bound it (step-run/sinks.ts holds
 * back new leases meanwhile).
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/** An append-only file written through one ordered queue (see the module comment). */
export class SerialFileWriter {
  private queue: Buffer[] = [];
  private pumping: Promise<void> | undefined;
  private failure: Error | undefined;
  private closed = false;
  private written = 0;
  private pending = 0;
  private waiters: { readonly belowBytes: number; readonly resolve: () => void }[] = [];

  private constructor(
    /** Absolute path of the file. */
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  /**
   * Opens `path` for writing, creating its folder. `truncate` (default true) empties an existing file;
   * false appends to it.
   */
  static async open(path: string, options: { truncate?: boolean } = {}): Promise<SerialFileWriter> {
    await mkdir(dirname(path), { recursive: true });
    const handle = await open(path, options.truncate === false ? 'a' : 'w');
    return new SerialFileWriter(path, handle);
  }

  /** Bytes written to the file so far (not counting queued chunks). */
  get bytesWritten(): number {
    return this.written;
  }

  /** Bytes queued and not yet handed to the OS (the batch being written included). */
  get pendingBytes(): number {
    return this.pending;
  }

  /**
   * Resolves once fewer than `belowBytes` bytes are pending (at once if they are already), or the
   * writer failed or closed: it never leaves a caller waiting on a queue that will not move.
   */
  whenPendingBelow(belowBytes: number): Promise<void> {
    if (this.pending < belowBytes || this.failure !== undefined || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ belowBytes, resolve }));
  }

  /** The first write error, if any: later chunks are discarded once a write failed. */
  get error(): Error | undefined {
    return this.failure;
  }

  /** Queues `chunk` (a string is written as UTF-8). Never blocks; empty chunks are ignored. */
  write(chunk: Uint8Array | string): void {
    if (this.closed) throw new Error(`${this.path}: write after close`);
    if (this.failure !== undefined || chunk.length === 0) return;
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.queue.push(buffer);
    this.pending += buffer.byteLength;
    this.pumping ??= this.pump();
  }

  /** Resolves when every chunk queued so far has been handed to the OS; rejects with a write error. */
  async flush(): Promise<void> {
    while (this.pumping !== undefined) await this.pumping;
    if (this.failure !== undefined) throw this.failure;
  }

  /**
   * Flushes, optionally fsyncs (so the content survives a machine crash), and closes. Idempotent.
   * Rejects with the first write error, after closing the file.
   */
  async close(options: { fsync?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.flush();
      if (options.fsync) await this.handle.sync();
    } finally {
      this.wakeWaiters();
      await this.handle.close();
    }
  }

  private async pump(): Promise<void> {
    try {
      while (this.queue.length > 0 && this.failure === undefined) {
        const batch = this.queue;
        this.queue = [];
        const { bytesWritten } = await this.handle.writev(batch);
        this.written += bytesWritten;
        for (const buffer of batch) this.pending -= buffer.byteLength;
        this.wakeWaiters();
      }
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
      this.queue = [];
      this.pending = 0;
    } finally {
      this.pumping = undefined;
      this.wakeWaiters();
    }
  }

  private wakeWaiters(): void {
    if (this.waiters.length === 0) return;
    const done = this.failure !== undefined || this.closed;
    const still: typeof this.waiters = [];
    for (const waiter of this.waiters) {
      if (done || this.pending < waiter.belowBytes) waiter.resolve();
      else still.push(waiter);
    }
    this.waiters = still;
  }
}
