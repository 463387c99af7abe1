/** The hand-written InputFileParts encoder writes what the generated decoder reads. */
import { describe, expect, it } from 'vitest';

import { encodeFileParts, partMessage } from '../../../src/coordinator/inputs/file-parts-encoding.js';
import { InputFileParts } from '../../../src/gen/parajob/v1/parajob.js';

describe('encodeFileParts', () => {
  it('round-trips through the generated decoder: defaults, big sizes, unchanged, empty and binary data', () => {
    const parts = [
      { index: 0, size: 0, mtimeMs: 0, unchanged: false, data: new Uint8Array(0) },
      { index: 1, size: 3, mtimeMs: 1_764_000_000_123.25, unchanged: false, data: Uint8Array.from([0, 255, 128]) },
      { index: 300, size: 6 * 2 ** 40 + 5, mtimeMs: 7, unchanged: true, data: new Uint8Array(0) },
      { index: 2 ** 31, size: 200, mtimeMs: 1, unchanged: false, data: new Uint8Array(200).fill(9) },
    ];
    const decoded = InputFileParts.decode(encodeFileParts(parts));
    expect(decoded.parts.map((part) => ({ ...part, data: [...part.data] }))).toEqual(
      parts.map((part) => ({ ...part, data: [...part.data] })),
    );
  });

  it('partMessage leaves room for data read in place', () => {
    const header = { index: 4, size: 1000, mtimeMs: 12.5, unchanged: false };
    const { message, dataOffset } = partMessage(header, 130);
    message.fill(7, dataOffset);
    expect(message.length - dataOffset).toBe(130);
    const [part] = InputFileParts.decode(message).parts;
    expect(part).toMatchObject(header);
    expect([...(part?.data ?? [])]).toEqual(new Array(130).fill(7));
  });
});
