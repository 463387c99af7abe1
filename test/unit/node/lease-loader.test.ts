import { describe, expect, it } from 'vitest';

import type { Lease } from '../../../src/gen/parajob/v1/parajob.js';
import { leaseLoader, runFrame } from '../../../src/node/processor/lease-loader.js';
import type { ReadTableBatch } from '../../../src/node/tabular/table-batches.js';

const lease: Lease = {
  miniBatchId: 3,
  attempt: 1,
  token: 7,
  files: [],
  fileUrls: [],
  ranges: [{ path: '/data/t.csv', start: 10, end: 90 }],
  partitionKeyJson: '{"region":"north"}',
  itemCount: 0,
};
const held = { lease, receivedAtMs: 0 };
const csv = { reader: { format: 'delimited' }, transforms: [], schema: { inferredTypes: {} } };
const parquet = { reader: { format: 'parquet', includePathColumn: false }, transforms: [] };
const reads: Lease[] = [];
const read: ReadTableBatch = (_settings, readLease) => {
  reads.push(readLease);
  return Promise.resolve({ rowCount: 2, json: new TextEncoder().encode('{"columns":[],"rows":[[],[]],"source":[]}') });
};

describe('leaseLoader: who reads a tabular lease', () => {
  it('a JS or Python worker reads delimited ranges itself: the run carries them and the node loads nothing', async () => {
    for (const entryScript of ['/code/score.js', '/code/score.py']) {
      const loader = leaseLoader(
        { inputKind: 'tabular', tabularReader: csv, entryScript },
        read,
        '/nonexistent-staging',
      );
      expect(loader.needsLoading(held)).toBe(false);
      expect(loader.runMessage(held)).toEqual({
        type: 'run',
        miniBatchId: 3,
        attempt: 1,
        ranges: [{ path: '/data/t.csv', start: 10, end: 90 }],
        partitionKeyValue: { region: 'north' },
      });
    }
    expect(reads).toEqual([]);
  });

  it('the node reads parquet for a Python worker and splices the rows into the run frame, without ranges', async () => {
    const loader = leaseLoader(
      { inputKind: 'tabular', tabularReader: parquet, entryScript: '/code/score.py' },
      read,
      '/nonexistent-staging',
    );
    expect(loader.needsLoading(held)).toBe(true);
    const table = await loader.load(lease, new AbortController().signal);
    expect(reads).toEqual([lease]);
    const frame = runFrame(loader, { held, table });
    const body = JSON.parse(
      Buffer.from(frame as Uint8Array)
        .subarray(4)
        .toString('utf8'),
    ) as Record<string, unknown>;
    expect(body['ranges']).toBeUndefined();
    expect(body['table']).toEqual({ columns: [], rows: [[], []], source: [] });
    // A JS worker reads parquet itself (hyparquet).
    const js = leaseLoader(
      { inputKind: 'tabular', tabularReader: parquet, entryScript: '/code/score.js' },
      read,
      '/nonexistent-staging',
    );
    expect(js.needsLoading(held)).toBe(false);
  });
});

describe('leaseLoader: files the node does not see', () => {
  it('fetches only the unseen files, hands run() their local copies, and releases them at the next load', async () => {
    const fetched: string[][] = [];
    const released: string[][] = [];
    const prefetched: string[][] = [];
    const inputs = {
      sees: (path: string) => path.startsWith('/shared/'),
      prefetch: (paths: readonly string[]) => void prefetched.push([...paths]),
      stageRanges: () => Promise.reject(new Error('no tabular leases here')),
      fetch: (paths: readonly string[]) => {
        fetched.push([...paths]);
        return Promise.resolve(paths.map((path) => `/cache${path}`));
      },
      release: (paths: readonly string[]) => {
        released.push([...paths]);
        return Promise.resolve();
      },
    };
    const loader = leaseLoader(
      { inputKind: 'files', tabularReader: csv, entryScript: '/code/list.mjs' },
      read,
      '/nonexistent-staging',
      inputs,
    );
    const fileLease = (token: number, files: string[]): Lease => ({ ...lease, token, ranges: [], files });
    const seen = { lease: fileLease(1, ['/shared/a']), receivedAtMs: 0 };
    expect(loader.needsLoading(seen)).toBe(false);
    // Queued leases: only what the node does not see is prefetched.
    loader.prefetch([seen, { lease: fileLease(4, ['/shared/x', '/elsewhere/y']), receivedAtMs: 0 }]);
    expect(prefetched).toEqual([['/elsewhere/y']]);
    expect(loader.runMessage(seen)).toMatchObject({ files: ['/shared/a'] });

    const mixed = { lease: fileLease(2, ['/shared/a', '/elsewhere/b']), receivedAtMs: 0 };
    expect(loader.needsLoading(mixed)).toBe(true);
    await loader.load(mixed.lease, new AbortController().signal);
    expect(fetched).toEqual([['/elsewhere/b']]);
    expect(loader.runMessage(mixed)).toMatchObject({ files: ['/shared/a', '/cache/elsewhere/b'] });

    const next = { lease: fileLease(3, ['/elsewhere/c']), receivedAtMs: 0 };
    await loader.load(next.lease, new AbortController().signal);
    expect(released).toEqual([['/cache/elsewhere/b']]);
    expect(loader.runMessage(next)).toMatchObject({ files: ['/cache/elsewhere/c'] });
  });
});
