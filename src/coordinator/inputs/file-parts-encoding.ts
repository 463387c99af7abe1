/**
 * The wire bytes of an `InputFileParts` message (proto/parajob/v1/parajob.proto), written straight
 * into one Buffer. The generated encoder copies a part's data three times (into its growing buffer,
 * out of it, into a Buffer) and moves it once more for the nested length prefix; here the data is
 * copied once, or not at all: a large file's bytes are read from disk straight into the message
 * (`partMessage`). The generated decoder reads what this writes (test/unit/coordinator).
 */

/** One part of a file, as InputFilePart. */
export interface FilePartHeader {
  readonly index: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly unchanged: boolean;
}

/** A part with its bytes. */
export interface FilePart extends FilePartHeader {
  readonly data: Uint8Array;
}

// Tags: (field number << 3) | wire type (0 varint, 1 fixed64, 2 length-delimited).
const PARTS_TAG = (1 << 3) | 2;
const INDEX_TAG = (1 << 3) | 0;
const SIZE_TAG = (2 << 3) | 0;
const MTIME_TAG = (3 << 3) | 1;
const UNCHANGED_TAG = (4 << 3) | 0;
const DATA_TAG = (5 << 3) | 2;

/** Bytes of `value` (a non-negative safe integer) as a varint. */
function varintBytes(value: number): number {
  let bytes = 1;
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 0x80)) bytes++;
  return bytes;
}

function writeVarint(buffer: Buffer, offset: number, value: number): number {
  let rest = value;
  let at = offset;
  while (rest >= 0x80) {
    buffer[at++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  buffer[at++] = rest;
  return at;
}

/** Bytes of a part's fields, data excluded (proto3: fields at their defaults are left out). */
function headerBytes(part: FilePartHeader, dataLength: number): number {
  return (
    (part.index === 0 ? 0 : 1 + varintBytes(part.index)) +
    (part.size === 0 ? 0 : 1 + varintBytes(part.size)) +
    (part.mtimeMs === 0 ? 0 : 9) +
    (part.unchanged ? 2 : 0) +
    (dataLength === 0 ? 0 : 1 + varintBytes(dataLength) + dataLength)
  );
}

/** Writes one part's header (and the data's tag and length); returns the offset where its data goes. */
function writePart(buffer: Buffer, offset: number, part: FilePartHeader, dataLength: number): number {
  let at = writeVarint(buffer, offset, PARTS_TAG);
  at = writeVarint(buffer, at, headerBytes(part, dataLength));
  if (part.index !== 0) at = writeVarint(buffer, writeVarint(buffer, at, INDEX_TAG), part.index);
  if (part.size !== 0) at = writeVarint(buffer, writeVarint(buffer, at, SIZE_TAG), part.size);
  if (part.mtimeMs !== 0) at = buffer.writeDoubleLE(part.mtimeMs, writeVarint(buffer, at, MTIME_TAG));
  if (part.unchanged) at = writeVarint(buffer, writeVarint(buffer, at, UNCHANGED_TAG), 1);
  if (dataLength !== 0) at = writeVarint(buffer, writeVarint(buffer, at, DATA_TAG), dataLength);
  return at;
}

function partBytes(part: FilePartHeader, dataLength: number): number {
  const inner = headerBytes(part, dataLength);
  return 1 + varintBytes(inner) + inner;
}

/** An InputFileParts message of `parts`, their data copied once. */
export function encodeFileParts(parts: readonly FilePart[]): Buffer {
  const buffer = Buffer.allocUnsafe(parts.reduce((sum, part) => sum + partBytes(part, part.data.length), 0));
  let at = 0;
  for (const part of parts) {
    at = writePart(buffer, at, part, part.data.length);
    buffer.set(part.data, at);
    at += part.data.length;
  }
  return buffer;
}

/**
 * An InputFileParts message of one part whose `dataLength` bytes are not written yet: the caller fills
 * `message[dataOffset, dataOffset + dataLength)` (a read from disk) and sends `message` (a read that
 * came short is re-encoded with `encodeFileParts` instead).
 */
export function partMessage(
  part: FilePartHeader,
  dataLength: number,
): { readonly message: Buffer; readonly dataOffset: number } {
  const message = Buffer.allocUnsafe(partBytes(part, dataLength));
  return { message, dataOffset: writePart(message, 0, part, dataLength) };
}
