/**
 * stageRanges: a range of a table the node does not see, staged from an Inputs service into a sparse
 * copy, reads as the original does: the header record found past 64 KiB of blank lines (the probe
 * doubles), the bytes between the header and the range left as zeros, Path the original.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { credentials, Server, ServerCredentials } from '@grpc/grpc-js';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { inputsService, InputsWireService } from '../../../src/coordinator/inputs/input-service.js';
import { InputsClient } from '../../../src/gen/parajob/v1/parajob.js';
import { readTableBatch } from '../../../src/input/tabular/read-table-batch.js';
import { stageRanges } from '../../../src/node/inputs/stage-ranges.js';
import { delimited, makeTempDir, removeDir } from '../input/helpers.js';

let dir: string;
let server: Server;
let client: InputsClient;
beforeAll(async () => {
  dir = await makeTempDir();
  server = new Server();
  server.addService(
    InputsWireService,
    inputsService(
      { inputRootsServedTo: () => [dir], stagedOutputsServedTo: () => undefined },
      pino({ level: 'silent' }),
    ),
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  client = new InputsClient(`127.0.0.1:${port}`, credentials.createInsecure());
});
afterAll(async () => {
  client.close();
  server.forceShutdown();
  await removeDir(dir);
});

describe('stageRanges', () => {
  it('stages a range and the header record past 64 KiB into a sparse copy that reads as the original', async () => {
    const path = join(dir, 'table.csv');
    const blank = '\n'.repeat(70_000);
    const rows = Array.from({ length: 3000 }, (_, i) => `${i},label-${String(i).padStart(40, '.')}\n`);
    await writeFile(path, `${blank}id,label\n${rows.join('')}`);
    const headerEnd = blank.length + 'id,label\n'.length;
    const start = headerEnd + rows.slice(0, 2000).join('').length;
    const end = start + rows.slice(2000, 2100).join('').length;
    const reader = delimited({ header: 'all_files_same_headers', includePathColumn: true });

    const staged = await stageRanges(
      client,
      { jobId: 'job', nodeId: 'node' },
      [{ path, start, end }],
      () => false,
      reader,
      join(dir, 'staging'),
      new AbortController().signal,
    );
    const [range] = staged;
    expect(range).toMatchObject({ start, end, sourcePath: path });
    expect(range?.path).not.toBe(path);
    expect((await stat(range?.path ?? '')).size).toBe((await stat(path)).size);
    // The header probe fetched the first 128 KiB (64 KiB held no header record); after it, only the range.
    const probed = 128 * 1024;
    expect(start).toBeGreaterThan(probed);
    const copy = await readFile(range?.path ?? '');
    expect(copy.subarray(probed, start).every((byte) => byte === 0)).toBe(true);
    expect(copy.subarray(start, end).equals((await readFile(path)).subarray(start, end))).toBe(true);

    const fromCopy = await readTableBatch(staged, reader, []);
    const fromOriginal = await readTableBatch([{ path, start, end }], reader, []);
    expect(fromCopy).toEqual(fromOriginal);
    expect(fromCopy.rows).toHaveLength(100);
  });
});
