/**
 * The byte layout of journal segments: a segment header, then records framed with a length and a
 * chained CRC. Pure functions over buffers (no I/O), so every torn or corrupt case is testable.
 *
 * Segment header (SEGMENT_HEADER_BYTES, little-endian):
 *   magic "PJWAL001" | firstLsn u64 | seed u32 (the chain CRC before this segment's first record) | headerCrc u32
 * Record frame:
 *   bodyLength u32 | crc u32 | headerCrc u32 | body = type u8 + payload
 * `crc` is CRC-32 of the body continued from the previous record's `crc` (the segment's `seed` for its
 * first record), so a record copied from elsewhere, dropped or reordered breaks the chain as surely as a
 * flipped bit. `headerCrc` covers the 8 bytes before it: a damaged length is caught before it is used to
 * find the next record (a bad length would otherwise look like a torn tail and silently cut the rest).
 *
 * CRC-32 is zlib's (node:zlib crc32, native; it takes the running value, which is what chaining needs).
 */
import { crc32 } from 'node:zlib';

/** Bytes of a segment header. */
export const SEGMENT_HEADER_BYTES = 24;
/** Bytes of a record frame before its body. */
export const FRAME_HEADER_BYTES = 12;
/** The largest record body accepted (type byte + payload): a larger length is corruption, not a record. */
export const MAX_BODY_BYTES = 256 * 1024 * 1024;

const SEGMENT_MAGIC = Buffer.from('PJWAL001', 'latin1');
const TWO_POW_32 = 2 ** 32;

/** One record as stored: a type byte (1..255, the caller's enumeration) and an opaque payload. */
export interface JournalRecord {
  readonly type: number;
  readonly payload: Uint8Array;
}

/** A record read back, with its log sequence number (0 for the first record ever written). */
export interface JournalEntry extends JournalRecord {
  readonly lsn: number;
}

/** Continues CRC-32 `previous` over `data`. */
export function chainCrc(data: Uint8Array, previous: number): number {
  return crc32(data, previous);
}

/** The header of a segment whose first record has `firstLsn` and whose chain starts at `seed`. */
export function encodeSegmentHeader(firstLsn: number, seed: number): Buffer {
  const header = Buffer.alloc(SEGMENT_HEADER_BYTES);
  SEGMENT_MAGIC.copy(header, 0);
  writeU64(header, 8, firstLsn);
  header.writeUInt32LE(seed >>> 0, 16);
  header.writeUInt32LE(crc32(header.subarray(0, 20)), 20);
  return header;
}

/** A segment header read back, or why it cannot be. */
export type SegmentHeader =
  | { readonly ok: true; readonly firstLsn: number; readonly seed: number }
  | { readonly ok: false; readonly torn: boolean; readonly reason: string };

/** Reads a segment header; `torn` when the file is too short to hold one or holds only zeros. */
export function decodeSegmentHeader(bytes: Uint8Array): SegmentHeader {
  const buffer = asBuffer(bytes);
  if (buffer.length < SEGMENT_HEADER_BYTES)
    return { ok: false, torn: true, reason: `segment header cut short (${buffer.length} bytes)` };
  if (!buffer.subarray(0, 8).equals(SEGMENT_MAGIC)) {
    return { ok: false, torn: isAllZero(buffer, 0), reason: 'not a parajob journal segment (bad magic)' };
  }
  if (buffer.readUInt32LE(20) !== crc32(buffer.subarray(0, 20)))
    return { ok: false, torn: false, reason: 'segment header checksum mismatch' };
  return { ok: true, firstLsn: readU64(buffer, 8), seed: buffer.readUInt32LE(16) };
}

/** The frame of one record whose chain continues from `previousCrc`; its `crc` is the next link. */
export function encodeFrame(record: JournalRecord, previousCrc: number): { frame: Buffer; crc: number } {
  const payload = record.payload;
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 1 + payload.length);
  frame[FRAME_HEADER_BYTES] = record.type;
  frame.set(payload, FRAME_HEADER_BYTES + 1);
  const crc = crc32(frame.subarray(FRAME_HEADER_BYTES), previousCrc);
  frame.writeUInt32LE(1 + payload.length, 0);
  frame.writeUInt32LE(crc, 4);
  frame.writeUInt32LE(crc32(frame.subarray(0, 8)), 8);
  return { frame, crc };
}

/** How the records of a segment ended. */
export type SegmentEnd =
  /** Every byte belongs to a good record. */
  | { readonly kind: 'clean' }
  /** The file ends inside a record (or in zeros after a crash): everything from `offset` on is dropped. */
  | { readonly kind: 'torn'; readonly offset: number; readonly reason: string }
  /** A damaged record with data after it: the journal cannot be trusted past `offset`. */
  | { readonly kind: 'corrupt'; readonly offset: number; readonly reason: string };

/** The records of one segment, read by {@link scanSegment}. */
export interface SegmentScan {
  readonly firstLsn: number;
  readonly seed: number;
  /** Records in order; payloads are views on the scanned buffer. */
  readonly entries: JournalEntry[];
  /** The chain CRC after the last good record (the seed when there is none). */
  readonly endCrc: number;
  /** The byte offset just past the last good record. */
  readonly endOffset: number;
  readonly end: SegmentEnd;
}

/**
 * Reads every record of a segment whose header is good. Stops at the first bad record and says whether
 * it is a torn tail (the file ends inside it, or only zeros follow: a crash while writing) or corruption
 * (a complete record that fails its checks with data after it). Never throws: the caller decides what a
 * bad end means for this segment (torn is fine only in the last one).
 */
export function scanSegment(bytes: Uint8Array, header: { firstLsn: number; seed: number }): SegmentScan {
  const buffer = asBuffer(bytes);
  const entries: JournalEntry[] = [];
  let offset = SEGMENT_HEADER_BYTES;
  let crc = header.seed;
  let end: SegmentEnd = { kind: 'clean' };
  while (offset < buffer.length) {
    const problem = checkFrame(buffer, offset, crc);
    if (typeof problem !== 'number') {
      end = problem;
      break;
    }
    const bodyLength = buffer.readUInt32LE(offset);
    const body = buffer.subarray(offset + FRAME_HEADER_BYTES, offset + FRAME_HEADER_BYTES + bodyLength);
    entries.push({ lsn: header.firstLsn + entries.length, type: body[0] as number, payload: body.subarray(1) });
    crc = problem;
    offset += FRAME_HEADER_BYTES + bodyLength;
  }
  return { firstLsn: header.firstLsn, seed: header.seed, entries, endCrc: crc, endOffset: offset, end };
}

/** The frame at `offset` checked against the chain: its crc (the next link) when good, else why not. */
function checkFrame(buffer: Buffer, offset: number, previousCrc: number): number | SegmentEnd {
  const remaining = buffer.length - offset;
  if (remaining < FRAME_HEADER_BYTES)
    return { kind: 'torn', offset, reason: `record header cut short (${remaining} of ${FRAME_HEADER_BYTES} bytes)` };
  if (buffer.readUInt32LE(offset + 8) !== crc32(buffer.subarray(offset, offset + 8))) {
    return isAllZero(buffer, offset)
      ? { kind: 'torn', offset, reason: 'zeros where a record should start' }
      : { kind: 'corrupt', offset, reason: 'record header checksum mismatch' };
  }
  const bodyLength = buffer.readUInt32LE(offset);
  if (bodyLength < 1 || bodyLength > MAX_BODY_BYTES)
    return { kind: 'corrupt', offset, reason: `record length ${bodyLength} out of range` };
  const frameEnd = offset + FRAME_HEADER_BYTES + bodyLength;
  if (frameEnd > buffer.length)
    return { kind: 'torn', offset, reason: `record cut short (${remaining} of ${frameEnd - offset} bytes)` };
  const crc = crc32(buffer.subarray(offset + FRAME_HEADER_BYTES, frameEnd), previousCrc);
  if (crc === buffer.readUInt32LE(offset + 4)) return crc;
  // The last record of the file, or one followed only by zeros, was being written when the process or
  // machine died; a bad record with real data after it was damaged later.
  return frameEnd === buffer.length || isAllZero(buffer, frameEnd)
    ? { kind: 'torn', offset, reason: 'last record checksum mismatch (unfinished write)' }
    : { kind: 'corrupt', offset, reason: 'record checksum mismatch (chained CRC)' };
}

function isAllZero(buffer: Buffer, from: number): boolean {
  for (let index = from; index < buffer.length; index++) if (buffer[index] !== 0) return false;
  return true;
}

/** Writes a non-negative integer below 2^53 as a little-endian u64. */
export function writeU64(buffer: Buffer, offset: number, value: number): void {
  buffer.writeUInt32LE(value % TWO_POW_32, offset);
  buffer.writeUInt32LE(Math.floor(value / TWO_POW_32), offset + 4);
}

/** Reads a little-endian u64 written by writeU64. */
export function readU64(buffer: Buffer, offset: number): number {
  return buffer.readUInt32LE(offset) + buffer.readUInt32LE(offset + 4) * TWO_POW_32;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
