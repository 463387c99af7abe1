/**
 * Turns the bytes of a data file into text in the MLTable's encoding, chunk by chunk, and fails with
 * an InputError naming the file and the byte offset when the bytes are not valid in that encoding
 * (Azure fails such a read too; silently replacing bytes would corrupt the data).
 */
import { InputError } from '../../errors.js';
import type { TextEncoding } from '../mltable/model.js';

/** A streaming decoder for one byte range: feed chunks in order, then call `end()`. */
export interface ChunkDecoder {
  /** Text of `chunk` (a multi-byte character split across chunks is completed by the next call). */
  write(chunk: Buffer): string;
  /** Text still buffered at the end (throws if the range ends inside a character). */
  end(): string;
}

/**
 * A decoder for `encoding`. `file` and `startOffset` (the byte offset of the first chunk in the file)
 * only serve error messages. A byte order mark is not stripped here: the cutters exclude it from
 * every range.
 */
export function createChunkDecoder(encoding: TextEncoding, file: string, startOffset: number): ChunkDecoder {
  let offset = startOffset;
  switch (encoding) {
    case 'latin1':
      return { write: (chunk) => chunk.toString('latin1'), end: () => '' };
    case 'ascii':
      return {
        write(chunk) {
          const bad = chunk.findIndex((byte) => byte > 0x7f);
          if (bad !== -1) throw undecodable(file, offset + bad, 'ascii');
          offset += chunk.length;
          return chunk.toString('latin1');
        },
        end: () => '',
      };
    case 'windows1252':
      return webDecoder(
        'windows-1252',
        file,
        () => offset,
        (n) => (offset += n),
        'windows1252',
      );
    default:
      return webDecoder(
        'utf-8',
        file,
        () => offset,
        (n) => (offset += n),
        encoding,
      );
  }
}

function webDecoder(
  label: string,
  file: string,
  at: () => number,
  consumed: (n: number) => void,
  name: string,
): ChunkDecoder {
  const decoder = new TextDecoder(label, { fatal: true, ignoreBOM: true });
  return {
    write(chunk) {
      try {
        const text = decoder.decode(chunk, { stream: true });
        consumed(chunk.length);
        return text;
      } catch {
        throw undecodable(file, at() + firstInvalidIndex(chunk, label), name);
      }
    },
    end() {
      try {
        return decoder.decode();
      } catch {
        throw new InputError(
          `${file}: the text ends inside a ${name} character (near byte ${at()}); is the encoding right?`,
        );
      }
    },
  };
}

/** Where in `chunk` decoding first fails (approximately: the first replacement character). */
function firstInvalidIndex(chunk: Buffer, label: string): number {
  const text = new TextDecoder(label, { fatal: false, ignoreBOM: true }).decode(chunk);
  const replaced = text.indexOf('\uFFFD');
  return replaced === -1 ? 0 : Buffer.byteLength(text.slice(0, replaced), 'utf8');
}

function undecodable(file: string, byteOffset: number, encoding: string): InputError {
  return new InputError(
    `${file}: byte ${byteOffset} is not valid ${encoding} text; set read_*.encoding to the file's encoding (utf8, utf8bom, ascii, latin1, windows1252)`,
  );
}
