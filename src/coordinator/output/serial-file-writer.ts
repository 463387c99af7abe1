/**
 * One file written by one ordered queue: chunks are written in the order given, never interleaved,
 * each chunk contiguous. Used for the append_row output (one chunk per accepted result) and the CSV
 * report, i.e. tens of thousands of small chunks a second on a busy coordinator, so writes are
 * coalesced: small chunks are copied into 64 KiB slabs, and the queue is handed to the OS (one
 * `writev`) at most every {@link COALESCE_MS} ms, or at once when {@link EAGER_BYTES} are queued, or
 * when someone waits (flush, close, whenPendingBelow). An async write costs ~10 µs of the event loop
 * whatever its size, so a write per result would cost more than the result itself.
 *
 * write() never blocks, so the queue grows while the disk lags; its size is {@link pendingBytes} and
 * {@link whenPendingBelow} tells when it shrank, for callers that bound it (step-run/sinks.ts holds
 * back new leases meanwhile).
 */
import { type FileHandle, mkdir, open, stat, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Longest wait (ms) before queued chunks are handed to the OS. */
export const COALESCE_MS = 20;
/** Queued bytes at which they are handed to the OS without waiting for COALESCE_MS. */
export const EAGER_BYTES = 1024 * 1024;
/** Size of the slabs small chunks are copied into (bytes). */
const SLAB_BYTES = 64 * 1024;
/** Chunks from this size on are queued as they are, not copied. */
const COPY_BELOW_BYTES = 8 * 1024;

/** An append-only file written through one ordered queue (see the module comment). */
export class SerialFileWriter {
  private queue: Buffer[] = [];
  /** The slab small chunks are being copied into, and its bytes used (not yet in `queue`). */
  private slab: Buffer | undefined;
  private slabUsed = 0;
  private timer: NodeJS.Timeout | undefined;
  private pumping: Promise<void> | undefined;
  private failure: Error | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private syncedOnClose = false;
  private written = 0;
  private pending = 0;
  private waiters: { readonly belowBytes: number; readonly resolve: () => void }[] = [];

  private constructor(
    /** Absolute path of the file. */
    readonly path: string,
    private readonly handle: FileHandle,
    /** The file's length when opened (0 unless appending or resuming). */
    private readonly startOffset: number,
  ) {}

  /**
   * Opens `path` for writing, creating its folder. `truncate` (default true) empties an existing file;
   * false appends to it. `resumeAt` cuts the file back to that length and appends after it (a step run
   * resumed after a coordinator restart: rows past the journaled end belong to results that never
   * counted); a file shorter than that was changed by someone else, and is refused.
   */
  static async open(
    path: string,
    options: { readonly truncate?: boolean; readonly resumeAt?: number } = {},
  ): Promise<SerialFileWriter> {
    await mkdir(dirname(path), { recursive: true });
    if (options.resumeAt !== undefined) {
      const length = (await stat(path).catch(() => undefined))?.size ?? 0;
      if (length < options.resumeAt) {
        throw new Error(
          `${path} holds ${length} bytes, fewer than the ${options.resumeAt} the journal says were written to it: it was changed while the coordinator was down`,
        );
      }
      await truncate(path, options.resumeAt);
      return new SerialFileWriter(path, await open(path, 'a'), options.resumeAt);
    }
    const append = options.truncate === false;
    const startOffset = append ? ((await stat(path).catch(() => undefined))?.size ?? 0) : 0;
    return new SerialFileWriter(path, await open(path, append ? 'a' : 'w'), startOffset);
  }

  /** The file's length once every chunk queued so far is written. */
  get endOffset(): number {
    return this.startOffset + this.written + this.pending;
  }

  /**
   * Writes everything queued so far and makes it durable (fdatasync); rejects with a write error. After
   * close, resolves once the close is done if it synced (what was queued is then durable), else rejects.
   */
  async sync(): Promise<void> {
    if (this.closing !== undefined) {
      await this.closing;
      if (!this.syncedOnClose) throw new Error(`${this.path}: sync after a close without fsync`);
      return;
    }
    await this.flush();
    await this.handle.datasync();
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
    this.startPump();
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
    if (typeof chunk === 'string') {
      // At most 3 UTF-8 bytes per UTF-16 unit: a short string is encoded straight into the slab.
      if (chunk.length * 3 <= COPY_BELOW_BYTES) {
        const slab = this.slabWithRoom(chunk.length * 3);
        const bytes = slab.write(chunk, this.slabUsed, 'utf8');
        this.slabUsed += bytes;
        this.pending += bytes;
      } else this.enqueue(Buffer.from(chunk, 'utf8'));
    } else if (chunk.byteLength < COPY_BELOW_BYTES) {
      this.slabWithRoom(chunk.byteLength).set(chunk, this.slabUsed);
      this.slabUsed += chunk.byteLength;
      this.pending += chunk.byteLength;
    } else this.enqueue(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.schedule();
  }

  /** Resolves when every chunk queued so far has been handed to the OS; rejects with a write error. */
  async flush(): Promise<void> {
    for (;;) {
      this.startPump();
      if (this.pumping === undefined) break;
      await this.pumping;
    }
    if (this.failure !== undefined) throw this.failure;
  }

  /**
   * Flushes, optionally fsyncs (so the content survives a machine crash), and closes. Idempotent.
   * Rejects with the first write error, after closing the file.
   */
  async close(options: { fsync?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.syncedOnClose = options.fsync === true;
    this.closing = (async () => {
      try {
        await this.flush();
        if (options.fsync) await this.handle.sync();
      } finally {
        this.wakeWaiters();
        await this.handle.close();
      }
    })();
    await this.closing;
  }

  /** The current slab, sealed and replaced first when it has fewer than `bytes` bytes left. */
  private slabWithRoom(bytes: number): Buffer {
    if (this.slab !== undefined && this.slabUsed + bytes <= this.slab.byteLength) return this.slab;
    this.sealSlab();
    this.slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, bytes));
    return this.slab;
  }

  /** Moves the used part of the slab to the queue (the rest of it is dropped). */
  private sealSlab(): void {
    if (this.slab !== undefined && this.slabUsed > 0) this.queue.push(this.slab.subarray(0, this.slabUsed));
    this.slab = undefined;
    this.slabUsed = 0;
  }

  /** Queues a chunk as it is, after what the slab holds (order is kept). */
  private enqueue(buffer: Buffer): void {
    this.sealSlab();
    this.queue.push(buffer);
    this.pending += buffer.byteLength;
  }

  /** Hands the queue to the OS now when it is large, else within COALESCE_MS. */
  private schedule(): void {
    if (this.pumping !== undefined || this.timer !== undefined) return;
    if (this.pending >= EAGER_BYTES) this.startPump();
    else this.timer = setTimeout(() => this.startPump(), COALESCE_MS);
  }

  private startPump(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.pumping === undefined && (this.queue.length > 0 || this.slabUsed > 0)) this.pumping = this.pump();
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        this.sealSlab();
        if (this.queue.length === 0 || this.failure !== undefined) break;
        const batch = this.queue;
        this.queue = [];
        const { bytesWritten } = await this.handle.writev(batch);
        this.written += bytesWritten;
        for (const buffer of batch) this.pending -= buffer.byteLength;
        this.wakeWaiters();
        // What came meanwhile waits for the next window, unless someone waits for it (or it is large).
        if (this.waiters.length === 0 && !this.closed && this.pending < EAGER_BYTES) break;
      }
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
      this.queue = [];
      this.slab = undefined;
      this.slabUsed = 0;
      this.pending = 0;
    } finally {
      this.pumping = undefined;
      this.wakeWaiters();
    }
    if (this.failure === undefined && (this.queue.length > 0 || this.slabUsed > 0)) this.schedule();
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
