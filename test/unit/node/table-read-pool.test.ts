import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdtemp, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { InputError } from '../../../src/errors.js';
import { readLeaseTable } from '../../../src/node/tabular/table-batches.js';
import { TableReadPool } from '../../../src/node/tabular/table-read-pool.js';
import { delimited } from '../input/helpers.js';
import { requireBuiltWorker } from '../worker/worker-harness.js';
import { leaseOf } from './processor-harness.js';

const reader = delimited({ supportMultiLine: true, inferColumnTypes: true });
const settings = { reader, transforms: [] };
const pools: TableReadPool[] = [];

beforeAll(() => requireBuiltWorker());
afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.close();
});

async function csvLease(miniBatchId: number, text: string) {
  const dir = await mkdtemp(join(tmpdir(), 'parajob-pool-'));
  const file = join(dir, 'table.csv');
  await writeFile(file, text);
  const header = text.indexOf('\n') + 1;
  return { ...leaseOf(miniBatchId, []), ranges: [{ path: file, start: header, end: (await stat(file)).size }] };
}

/** A write descriptor of `fifo` once some reader has it open (polled, at most 10 s). */
async function waitForReader(fifo: string): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENXIO' || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

describe('table read pool', () => {
  it('reads leases on threads into exactly the JSON of the rows the node reader gives, several at once', async () => {
    const pool = new TableReadPool(2);
    pools.push(pool);
    const leases = await Promise.all(
      [0, 1, 2, 3, 4].map((id) => csvLease(id, `id,name,note\n${id},"ann ${id}","two\nlines"\n${id + 10},bob,\n`)),
    );
    const loaded = await Promise.all(leases.map((lease) => pool.read(settings, lease)));
    for (const [index, lease] of leases.entries()) {
      const expected = await readLeaseTable(settings, lease);
      expect(loaded[index]?.rowCount).toBe(2);
      expect(JSON.parse(new TextDecoder().decode(loaded[index]?.json))).toEqual(JSON.parse(JSON.stringify(expected)));
    }
  });

  it('fails a read of a missing file with an InputError naming it, and goes on reading', async () => {
    const pool = new TableReadPool(1);
    pools.push(pool);
    const missing = { ...leaseOf(7, []), ranges: [{ path: '/nonexistent/parajob/table.csv', start: 0, end: 10 }] };
    const failure = await pool.read(settings, missing).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(InputError);
    expect(String((failure as Error).message)).toMatch(/\/nonexistent\/parajob\/table\.csv/);
    const ok = await pool.read(settings, await csvLease(8, 'id\n1\n2\n3\n'));
    expect(ok.rowCount).toBe(3);
  });

  it('fails reads, not the node, when its thread cannot start', async () => {
    const pool = new TableReadPool(1, '/nonexistent/parajob/table-read-thread.js');
    pools.push(pool);
    await expect(pool.read(settings, await csvLease(10, 'id\n1\n'))).rejects.toThrow(
      /table reader .*missing; run `npm run build`/,
    );
  });

  it('frees the thread of a read its caller gave up on, so a stuck read cannot hold the pool', async () => {
    const pool = new TableReadPool(1);
    pools.push(pool);
    // Opening a FIFO nobody writes to blocks: a read that never ends, like a hung network filesystem.
    const dir = await mkdtemp(join(tmpdir(), 'parajob-pool-'));
    const fifo = join(dir, 'stuck.csv');
    execFileSync('mkfifo', [fifo]);
    const abandon = new AbortController();
    const stuck = pool.read(
      settings,
      { ...leaseOf(11, []), ranges: [{ path: fifo, start: 0, end: 100 }] },
      abandon.signal,
    );
    // Wait (bounded) until the thread is inside the read: the FIFO then has a reader, and a
    // non-blocking open for writing succeeds. The write end stays open so the read stays stuck.
    const writer = await waitForReader(fifo);
    abandon.abort();
    await expect(stuck).rejects.toThrow(/abandoned/);
    // The one thread was busy with the stuck read; the next read gets a new one.
    const next = await pool.read(settings, await csvLease(12, 'id\n1\n2\n'));
    expect(next.rowCount).toBe(2);
    closeSync(writer);
  });

  it('refuses reads once closed', async () => {
    const pool = new TableReadPool(1);
    await pool.close();
    await expect(pool.read(settings, await csvLease(9, 'id\n1\n'))).rejects.toThrow(/stopping/);
  });
});
