/**
 * Tabular input a node does not see: a lease's byte ranges fetched from the coordinator (Inputs.Read
 * with a range) into sparse local copies of their files, at the same offsets, so that the worker reads
 * the copies exactly as it would the originals. Besides the ranges, each copy gets what a reader needs
 * of the rest of the file: a delimited file's header record (read from the start of the file until the
 * header record is whole) and a parquet file's footer. The copies go to the processor's own folder,
 * replaced at each load (a processor runs one loaded lease at a time).
 */
import { type FileHandle, mkdir, open, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';

import { ParajobError } from '../../errors.js';
import type { InputChunk, InputsClient } from '../../gen/parajob/v1/parajob.js';
import type { TabularReader } from '../../input/mltable/model.js';
import { fileHasHeader, RecordCursor } from '../../input/tabular/index.js';
import type { ByteRangeItem } from '../../worker/protocol.js';
import type { FetchTarget } from './fetch-files.js';

/** Bytes of a file's start fetched first for its header record; doubled until the record is whole. */
const HEADER_PROBE_BYTES = 64 * 1024;

/** Parquet's trailer: a 4-byte footer length, then the magic `PAR1`. */
const PARQUET_TRAILER_BYTES = 8;

/** One remote file being copied: where, and its size once known. */
interface Copy {
  readonly path: string;
  readonly localPath: string;
  readonly file: FileHandle;
  size: number | undefined;
}

/**
 * Stages `ranges` under `dir` (see the module comment); resolves with the ranges as the worker should
 * read them (local paths, same offsets). `seen` ranges are left as they are.
 */
export async function stageRanges(
  client: InputsClient,
  target: FetchTarget,
  ranges: readonly ByteRangeItem[],
  seen: (path: string) => boolean,
  reader: TabularReader,
  dir: string,
  signal: AbortSignal,
): Promise<ByteRangeItem[]> {
  await rm(dir, { recursive: true, force: true });
  const copies = new Map<string, Copy>();
  try {
    for (const range of ranges) {
      if (seen(range.path)) continue;
      if (reader.format === 'delimited' && reader.header === 'from_first_file' && reader.headerFile !== range.path) {
        const headerFile = reader.headerFile ?? range.path;
        if (!seen(headerFile)) {
          throw new ParajobError(
            `read_delimited.header from_first_file: this node does not see ${headerFile} (declare it with --shared-fs)`,
          );
        }
      }
      let copy = copies.get(range.path);
      if (copy === undefined) {
        const localPath = join(dir, String(copies.size), basename(range.path) || 'data');
        await mkdir(join(localPath, '..'), { recursive: true });
        copy = { path: range.path, localPath, file: await open(localPath, 'w+'), size: undefined };
        copies.set(range.path, copy);
        await fetchInto(client, target, copy, 0, 1, signal); // its first byte, to learn its size
        await stageWhatReadersNeed(client, target, copy, reader, signal);
      }
      await fetchInto(client, target, copy, range.start, range.end, signal);
    }
  } finally {
    for (const copy of copies.values()) await copy.file.close();
  }
  return ranges.map((range) => {
    const copy = copies.get(range.path);
    return copy === undefined ? range : { ...range, path: copy.localPath, sourcePath: range.path };
  });
}

async function stageWhatReadersNeed(
  client: InputsClient,
  target: FetchTarget,
  copy: Copy,
  reader: TabularReader,
  signal: AbortSignal,
): Promise<void> {
  const size = copy.size ?? 0;
  if (reader.format === 'parquet' && size >= PARQUET_TRAILER_BYTES) {
    await fetchInto(client, target, copy, size - PARQUET_TRAILER_BYTES, size, signal);
    const trailer = Buffer.alloc(4);
    await copy.file.read(trailer, 0, 4, size - PARQUET_TRAILER_BYTES);
    const footerStart = Math.max(0, size - PARQUET_TRAILER_BYTES - trailer.readUInt32LE(0));
    await fetchInto(client, target, copy, footerStart, size - PARQUET_TRAILER_BYTES, signal);
    return;
  }
  if (reader.format !== 'delimited' || !fileHasHeader(reader, copy.path)) return;
  // The header record is whole once it ends inside the bytes fetched (the rest of the copy is zeros,
  // which end no record) or the whole file is here.
  for (let fetched = 0, want = HEADER_PROBE_BYTES; fetched < size; want *= 2) {
    const end = Math.min(size, want);
    await fetchInto(client, target, copy, fetched, end, signal);
    fetched = end;
    const { cursor, header } = await RecordCursor.open(copy.localPath, { ...reader, header: 'all_files_same_headers' });
    await cursor.close();
    if (header !== undefined && header.end < fetched) return;
  }
}

/** Fetches `[start, end)` of `copy.path` into its copy at the same offsets; learns and sets its size. */
async function fetchInto(
  client: InputsClient,
  target: FetchTarget,
  copy: Copy,
  start: number,
  end: number,
  signal: AbortSignal,
): Promise<void> {
  signal.throwIfAborted();
  if (end <= start) return; // on the wire, end 0 means "to the end of the file"
  const call = client.read({ ...target, path: copy.path, start, end, cachedSize: 0, cachedMtimeMs: 0 });
  const abort = (): void => call.cancel();
  signal.addEventListener('abort', abort);
  let position = start;
  try {
    for await (const chunk of call as AsyncIterable<InputChunk>) {
      if (copy.size === undefined) {
        copy.size = chunk.size;
        await copy.file.truncate(chunk.size);
      }
      if (chunk.data.length > 0) {
        await copy.file.write(chunk.data, 0, chunk.data.length, position);
        position += chunk.data.length;
      }
    }
  } catch (error) {
    signal.throwIfAborted();
    throw new ParajobError(`cannot fetch input ${copy.path} from the coordinator: ${(error as Error).message}`);
  } finally {
    signal.removeEventListener('abort', abort);
  }
  const wanted = Math.min(end, copy.size ?? 0) - start;
  if (position - start < wanted) {
    throw new ParajobError(
      `input ${copy.path} [${start}, ${end}) arrived with ${position - start} bytes (changed while read?)`,
    );
  }
}
