/**
 * The processor ⇄ worker protocol: length-prefixed JSON frames; the worker reads the host's requests
 * on file descriptor 3 and writes its replies on file descriptor 4. It is language-neutral on purpose:
 * the Python worker speaks it too, with nothing but its standard library. stdout and stderr stay free
 * for the user's prints.
 *
 * Two one-way channels, not one socket both ways, because a Unix socket closed with unread data in it
 * resets its peer: a worker killed while pipelined runs wait unread would make the host's reads fail
 * (ECONNRESET) and lose the results the worker wrote just before. The reply channel never holds
 * anything unread on the worker's side, so the host always reads every reply, then end-of-file.
 *
 * Frame: 4-byte unsigned big-endian length of the body, then the body: one UTF-8 JSON object with a
 * `type` field. The host sends `init` and waits for `ready` (or `initFailed`); then it may send several
 * `run`s ahead (pipelining): the worker handles them strictly one after another and writes each
 * `result` before it reads the next `run`, so the first run without a result is the one a dead or hung
 * worker was in. `shutdown` (after the last run) ends it (`shutdownDone`).
 */
import type { RunFault } from '../chaos/model.js';

/**
 * A half-open byte range `[start, end)` of one data file: where a tabular mini-batch's rows were read
 * from (a file-list mini-batch's items are plain paths).
 */
export interface ByteRangeItem {
  /** Absolute path of the data file. */
  readonly path: string;
  /** First byte (0-based, inclusive). */
  readonly start: number;
  /** One past the last byte. */
  readonly end: number;
  /** The file's path as the input names it, when `path` is a local copy (ByteRange.sourcePath). */
  readonly sourcePath?: string;
}

export interface InitMessage {
  readonly type: 'init';
  readonly jobId: string;
  readonly nodeId: string;
  /** `process000`, `process001`, ...: stable across restarts of the same processor. */
  readonly processName: string;
  /** Absolute path of the entry script (inside the node's cached code snapshot). */
  readonly entryScript: string;
  /** Arguments after the script name: system arguments then user program arguments. */
  readonly argv: readonly string[];
  readonly outputDir: string;
  /** Absolute path of this process's entry-script log file. */
  readonly userLogFile: string;
  readonly loggingLevel: 'DEBUG' | 'INFO' | 'WARNING';
  /** True when run()'s returns are appended to an output (rows are sent back with each result). */
  readonly appendRow: boolean;
  readonly inputKind: 'files' | 'tabular';
  /** MLTable read settings for tabular input (shape owned by src/input). */
  readonly tabularReader?: unknown;
  /** Live folders of the staged outputs (src/storage/staging-layout.ts): made before init(). */
  readonly stageLive?: readonly string[];
}

/**
 * One staged output of an attempt: the worker empties `live` before run() and renames it to `attempt`
 * after run() ends (however it ends), before it writes the result, then makes `live` again.
 */
export interface StageFolders {
  readonly live: string;
  readonly attempt: string;
}

export interface RunMessage {
  readonly type: 'run';
  readonly miniBatchId: number;
  readonly attempt: number;
  /** File input: absolute paths. */
  readonly files?: readonly string[];
  /**
   * Tabular input the worker reads itself: byte ranges of the table's files, read with the `init`
   * frame's tabularReader (reader, transforms, schema) and, when set, kept to `partitionKeyValue`'s rows.
   */
  readonly ranges?: readonly ByteRangeItem[];
  /** Tabular input the node read (parquet for a Python worker): the rows of the mini-batch. */
  readonly table?: TableBatch;
  /** partition_keys: the mini-batch's key values. */
  readonly partitionKeyValue?: Readonly<Record<string, unknown>>;
  /**
   * Fault injection (src/chaos): instead of a normal call, `hang` never returns from run(), `throw`
   * raises `message`, `fewer` drops `drop` items from what run() returned, `crash` kills the worker
   * process (SIGKILL to itself) inside run(). Absent in normal runs.
   */
  readonly fault?: RunFault;
  /** The attempt's staged outputs (absent when the step has none). */
  readonly stage?: readonly StageFolders[];
}

export interface ShutdownMessage {
  readonly type: 'shutdown';
}

export type HostMessage = InitMessage | RunMessage | ShutdownMessage;

export interface WireError {
  /** The error's class name (`TypeError`, `ValueError`, ...). */
  readonly kind: string;
  readonly message: string;
  readonly stack?: string;
}

export interface ReadyMessage {
  readonly type: 'ready';
  readonly pid: number;
}

export interface InitFailedMessage {
  readonly type: 'initFailed';
  readonly error: WireError;
  /** True when retrying cannot help: the script is missing, does not load, or has no `run`. */
  readonly invalidEntryScript: boolean;
}

export interface ResultMessage {
  readonly type: 'result';
  readonly miniBatchId: number;
  readonly attempt: number;
  /** Items given to run(). */
  readonly total: number;
  /** Items run() returned (before capping at total). */
  readonly returned: number;
  /** min(returned, total). */
  readonly succeeded: number;
  /** append_row lines, each ending in "\n" (empty string when appendRow is false or nothing returned). */
  readonly rows: string;
  readonly rowCount: number;
  /** Wall time of run(), in milliseconds, fractional (to the microsecond); the host rounds it for the wire. */
  readonly runMs: number;
  /** Set when run() threw or returned something that is not a list: the attempt failed. */
  readonly error?: WireError;
}

export interface ShutdownDoneMessage {
  readonly type: 'shutdownDone';
  readonly error?: WireError;
}

export type WorkerMessage = ReadyMessage | InitFailedMessage | ResultMessage | ShutdownDoneMessage;

/** The worker reads the host's frames from this file descriptor. */
export const REQUEST_FD = 3;

/** The worker writes its frames to this file descriptor. */
export const REPLY_FD = 4;

/** Encodes one message as a frame. */
export function encodeFrame(message: HostMessage | WorkerMessage): Buffer {
  const json = JSON.stringify(message);
  // One allocation per frame: the body is written in place after its length.
  const length = Buffer.byteLength(json, 'utf8');
  const frame = Buffer.allocUnsafe(4 + length);
  frame.writeUInt32BE(length, 0);
  frame.write(json, 4, length, 'utf8');
  return frame;
}

/**
 * Encodes a `run` message whose `table` is already JSON (the node reads tables on threads that hand
 * back the encoded TableBatch): the bytes are spliced in, not parsed and re-serialised. `message`
 * must not have a `table` of its own.
 */
export function encodeRunFrame(message: RunMessage, tableJson: Uint8Array): Buffer {
  const head = JSON.stringify(message);
  // `{...}` → `{...,"table":<tableJson>}`
  const prefix = `${head.slice(0, -1)},"table":`;
  const prefixLength = Buffer.byteLength(prefix, 'utf8');
  const length = prefixLength + tableJson.byteLength + 1;
  const frame = Buffer.allocUnsafe(4 + length);
  frame.writeUInt32BE(length, 0);
  frame.write(prefix, 4, prefixLength, 'utf8');
  frame.set(tableJson, 4 + prefixLength);
  frame[4 + length - 1] = 0x7d; // '}'
  return frame;
}

/**
 * Reassembles frames from a byte stream that may split or merge them arbitrarily.
 * Feed it every chunk; it returns the complete messages decoded so far.
 */
export class FrameDecoder<T> {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): T[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const messages: T[] = [];
    let offset = 0;
    while (this.pending.length - offset >= 4) {
      const length = this.pending.readUInt32BE(offset);
      if (this.pending.length - offset - 4 < length) break;
      const body = this.pending.toString('utf8', offset + 4, offset + 4 + length);
      messages.push(JSON.parse(body) as T);
      offset += 4 + length;
    }
    this.pending = offset === this.pending.length ? Buffer.alloc(0) : this.pending.subarray(offset);
    return messages;
  }
}

/**
 * A tabular mini-batch as src/input's reader gives it: the rows the node sends when it reads a
 * lease, and what the JS worker reads from a `run`'s ranges.
 */
export interface TableBatch {
  readonly columns: readonly string[];
  /** Rows as arrays in `columns` order; values are JSON (string, number, boolean, null). */
  readonly rows: readonly (readonly unknown[])[];
  /** Where the rows came from. */
  readonly source: readonly ByteRangeItem[];
}
