/**
 * Snapshot files of the journal: the state as of a log sequence number, so replay starts there instead
 * of at the first record. Layout (little-endian):
 *   magic "PJSNAP01" | lsn u64 | chainCrc u32 | payloadLength u64 | payload | crc u32 (of all before it)
 * `lsn` is the first record NOT covered; `chainCrc` is the journal's chain value there (the seed of the
 * segment that starts at `lsn`). A snapshot is written to a temporary name, synced, renamed into place and
 * its directory synced, so a snapshot file under its final name is always whole: a bad one is corruption.
 */
import { crc32 } from 'node:zlib';

import { readU64, writeU64 } from './frame.js';

const SNAPSHOT_MAGIC = Buffer.from('PJSNAP01', 'latin1');
const SNAPSHOT_HEADER_BYTES = 28;
const SNAPSHOT_TRAILER_BYTES = 4;

/** A snapshot's content and where in the log it stands. */
export interface SnapshotContent {
  /** The first log sequence number the snapshot does not cover. */
  readonly lsn: number;
  /** The journal's chain CRC at `lsn`. */
  readonly chainCrc: number;
  readonly payload: Uint8Array;
}

/** The bytes of a snapshot file, as a list to write in order (the payload parts are not copied). */
export function encodeSnapshot(lsn: number, chainCrc: number, payload: readonly Uint8Array[]): Buffer[] {
  const payloadLength = payload.reduce((total, part) => total + part.byteLength, 0);
  const header = Buffer.alloc(SNAPSHOT_HEADER_BYTES);
  SNAPSHOT_MAGIC.copy(header, 0);
  writeU64(header, 8, lsn);
  header.writeUInt32LE(chainCrc >>> 0, 16);
  writeU64(header, 20, payloadLength);
  let crc = crc32(header);
  for (const part of payload) crc = crc32(part, crc);
  const trailer = Buffer.alloc(SNAPSHOT_TRAILER_BYTES);
  trailer.writeUInt32LE(crc, 0);
  return [header, ...payload.map((part) => Buffer.from(part.buffer, part.byteOffset, part.byteLength)), trailer];
}

/** Reads a snapshot file's bytes; a string says why they are not a whole snapshot. */
export function decodeSnapshot(bytes: Buffer): SnapshotContent | string {
  if (bytes.length < SNAPSHOT_HEADER_BYTES + SNAPSHOT_TRAILER_BYTES)
    return `snapshot cut short (${bytes.length} bytes)`;
  if (!bytes.subarray(0, 8).equals(SNAPSHOT_MAGIC)) return 'not a parajob journal snapshot (bad magic)';
  const payloadLength = readU64(bytes, 20);
  const end = SNAPSHOT_HEADER_BYTES + payloadLength;
  if (end + SNAPSHOT_TRAILER_BYTES !== bytes.length)
    return `snapshot length mismatch (header says ${payloadLength} payload bytes, file has ${bytes.length - SNAPSHOT_HEADER_BYTES - SNAPSHOT_TRAILER_BYTES})`;
  if (crc32(bytes.subarray(0, end)) !== bytes.readUInt32LE(end)) return 'snapshot checksum mismatch';
  return {
    lsn: readU64(bytes, 8),
    chainCrc: bytes.readUInt32LE(16),
    payload: bytes.subarray(SNAPSHOT_HEADER_BYTES, end),
  };
}
