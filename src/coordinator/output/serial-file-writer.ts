/**
 * One file written by one ordered queue: chunks are written in the order given, never interleaved,
 * each chunk contiguous; chunks queued while a write is in flight go out together in the next
 * `writev`, so thousands of small results per second cost few system calls. Used for the append_row
 * output (one chunk per accepted result) and the CSV report.
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

  /** The first write error, if any: later chunks are discarded once a write failed. */
  get error(): Error | undefined {
    return this.failure;
  }

  /** Queues `chunk` (a string is written as UTF-8). Never blocks; empty chunks are ignored. */
  write(chunk: Uint8Array | string): void {
    if (this.closed) throw new Error(`${this.path}: write after close`);
    if (this.failure !== undefined || chunk.length === 0) return;
    this.queue.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
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
      }
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
      this.queue = [];
    } finally {
      this.pumping = undefined;
    }
  }
}
