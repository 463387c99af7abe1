/**
 * Input files over the wire (issue 17): a node that does not see the inputs' paths fetches them from
 * the coordinator (Inputs.Read) into its bounded cache and hands run() the cached copies; and the
 * coordinator serves a node only files under the inputs of a job it serves. Real processes; the node
 * is made blind to the inputs by declaring `--shared-fs` an unrelated prefix (only declared prefixes
 * are read in place).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertBuilt, createToken, killAllCli, runCli, spawnCli, startCoordinatorCli } from '../helpers/cli-process.js';
import { makeTempDir, writeText } from '../helpers/input-files.js';
import { parallelJobYaml } from '../helpers/job-yaml.js';
import { tabularJobYaml } from '../helpers/tabular-job.js';
import { HandNode, WireClient } from '../security/wire-client.js';

const SMALL_FILES = 40;
const SMALL_BYTES = 256 * 1024;
/** Larger than one chunk (1 MiB): arrives in several. */
const LARGE_BYTES = 3 * 1024 * 1024 + 17;
const CACHE_MAX_BYTES = 4 * 1024 * 1024;

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** Bytes of every file under `dir` (0 when it does not exist). */
async function bytesUnder(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  let total = 0;
  for (const entry of entries) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

let root: string;
beforeAll(async () => {
  assertBuilt();
  root = await makeTempDir('parajob-remote-inputs-');
});
afterAll(async () => {
  await killAllCli();
  await rm(root, { recursive: true, force: true });
});

describe('a node that does not see the inputs', () => {
  it('fetches every file over gRPC into its bounded cache: every row once, run() given cached copies', async () => {
    const dir = join(root, 'job');
    const data = join(dir, 'data');
    await mkdir(data, { recursive: true });
    const expected = new Map<string, string>();
    for (let i = 0; i < SMALL_FILES; i++) {
      const content = randomBytes(SMALL_BYTES);
      const name = `part-${String(i).padStart(3, '0')}.bin`;
      await writeFile(join(data, name), content);
      expected.set(name, sha256(content));
    }
    const large = randomBytes(LARGE_BYTES);
    await writeFile(join(data, 'large.bin'), large);
    expected.set('large.bin', sha256(large));

    const cacheDir = join(dir, 'node-cache');
    const inputsCache = join(cacheDir, 'inputs');
    await writeText(
      dir,
      'code/hash.mjs',
      `import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
export function run(batch) {
  return batch.map((file) => {
    const where = file.startsWith(${JSON.stringify(inputsCache + '/')}) ? 'cached' : 'in-place';
    return basename(file) + ' ' + createHash('sha256').update(readFileSync(file)).digest('hex') + ' ' + where;
  });
}
`,
    );
    await writeText(
      dir,
      'job.yml',
      parallelJobYaml({
        miniBatchSize: '"1"',
        maxConcurrencyPerInstance: 2,
        entryScript: 'hash.mjs',
        appendRowFile: './out/rows.txt',
      }),
    );

    const { address } = await startCoordinatorCli(join(dir, 'coordinator'));
    const node = spawnCli([
      'node',
      '--coordinator',
      address,
      '--name',
      'blind',
      '--compute',
      'cpu',
      '--cache-dir',
      cacheDir,
      '--shared-fs',
      join(root, 'nothing-of-the-inputs'),
      '--cache-max-bytes',
      String(CACHE_MAX_BYTES),
    ]);
    await node.waitFor(/attached to/);

    const create = await runCli(['job', 'create', '--file', join(dir, 'job.yml'), '--coordinator', address]);
    expect(create.exit?.code, create.describeOutput()).toBe(0);
    const jobId = create.stdoutLines.at(-1) ?? '';
    const stream = await runCli(['job', 'stream', jobId, '--coordinator', address], { timeoutMs: 120_000 });
    expect(stream.exit?.code, stream.describeOutput()).toBe(0);

    const rows = (await readFile(join(dir, 'out', 'rows.txt'), 'utf8')).split('\n').filter(Boolean);
    expect(rows).toHaveLength(expected.size);
    expect([...rows].sort()).toEqual([...expected].map(([name, hash]) => `${name} ${hash} cached`).sort());

    // The inputs (13 MiB) outgrew the cache: it evicted down to its bound, and holds no more now.
    expect(SMALL_FILES * SMALL_BYTES + LARGE_BYTES).toBeGreaterThan(CACHE_MAX_BYTES);
    const held = await bytesUnder(inputsCache);
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(CACHE_MAX_BYTES);
  });
});

describe('a node that does not see a table', () => {
  it('reads each mini-batch from staged copies of its byte ranges and header: every row once, Path the original', async () => {
    const dir = join(root, 'table-job');
    const table = join(dir, 'table');
    await writeText(
      dir,
      'table/MLTable',
      'paths:\n  - pattern: ./*.csv\ntransformations:\n  - read_delimited: {header: all_files_same_headers, include_path_column: true}\n',
    );
    const expected: string[] = [];
    for (const [name, rows] of [
      ['a.csv', 300],
      ['b.csv', 120],
    ] as const) {
      const lines = ['id,label'];
      for (let i = 0; i < rows; i++) {
        lines.push(`${name}-${i},row-${i}`);
        expected.push(`${join(table, name)} ${name}-${i} row-${i}`);
      }
      await writeText(dir, `table/${name}`, `${lines.join('\n')}\n`);
    }
    await writeText(
      dir,
      'code/rows.mjs',
      'export function run(rows) { return rows.map((r) => [r.Path, r.id, r.label]); }\n',
    );
    await writeText(
      dir,
      'job.yml',
      tabularJobYaml({ miniBatchSize: '"2KB"', maxConcurrencyPerInstance: 2, entryScript: 'rows.mjs' }),
    );
    const { address } = await startCoordinatorCli(join(dir, 'coordinator'));
    const cacheDir = join(dir, 'node-cache');
    const node = spawnCli([
      'node',
      '--coordinator',
      address,
      '--name',
      'blind',
      '--compute',
      'cpu',
      '--cache-dir',
      cacheDir,
      '--shared-fs',
      join(root, 'nothing-of-the-inputs'),
    ]);
    await node.waitFor(/attached to/);
    const create = await runCli(['job', 'create', '--file', join(dir, 'job.yml'), '--coordinator', address]);
    expect(create.exit?.code, create.describeOutput()).toBe(0);
    const stream = await runCli(['job', 'stream', create.stdoutLines.at(-1) ?? '', '--coordinator', address], {
      timeoutMs: 120_000,
    });
    expect(stream.exit?.code, stream.describeOutput()).toBe(0);

    const rows = (await readFile(join(dir, 'out', 'result.txt'), 'utf8')).split('\n').filter(Boolean);
    expect([...rows].sort()).toEqual([...expected].sort());
    // The worker read copies staged in the processors' folders (the last lease of each stays until the next).
    const staged = (await readdir(join(cacheDir, 'work'), { recursive: true })).filter((path) => path.endsWith('.csv'));
    expect(staged.length).toBeGreaterThan(0);
    for (const path of staged) expect(path).toMatch(/input\/p\d+\/\d+\/[ab]\.csv$/);
  });
});

describe('Inputs.Read', () => {
  it('serves a node only files under the inputs of a job it serves; anything else is PERMISSION_DENIED', async () => {
    const dir = join(root, 'guard');
    const data = join(dir, 'data');
    await mkdir(data, { recursive: true });
    await writeFile(join(data, 'a.txt'), 'alpha bravo charlie');
    await writeFile(join(data, 'empty.txt'), '');
    const big = randomBytes(1536 * 1024 + 3);
    await writeFile(join(data, 'big.bin'), big);
    await writeFile(join(dir, 'secret.txt'), 'not an input');
    await symlink(join(dir, 'secret.txt'), join(data, 'link-out.txt'));
    await writeText(dir, 'code/list.mjs', 'export function run(batch) { return batch; }\n');
    await writeText(dir, 'job.yml', parallelJobYaml({ miniBatchSize: '"1"' }));

    const dataDir = join(dir, 'coordinator');
    const coordinator = spawnCli([
      'coordinator',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--require-auth',
      '--allow-path',
      dir,
    ]);
    const address = `127.0.0.1:${(await coordinator.waitFor(/listening on \S+:(\d+)/))[1]}`;
    const token = (role: string): Promise<string> => createToken(dataDir, role);

    const nodeClient = new WireClient(address, { token: await token('node') });
    const otherNode = new WireClient(address, { token: await token('node') });
    const client = new WireClient(address, { token: await token('client') });
    const hand = await HandNode.attach(nodeClient, { name: 'hand', compute: 'cpu', cores: 1, host: 'test', pid: 1 });
    try {
      const create = await runCli(['job', 'create', '--file', join(dir, 'job.yml'), '--coordinator', address], {
        env: { PARAJOB_TOKEN: await token('client') },
      });
      expect(create.exit?.code, create.describeOutput()).toBe(0);
      const assign = (await hand.waitFor((message) => message.assign !== undefined)).assign as { jobId: string };
      const read = (who: WireClient, path: string, more: object = {}) =>
        who.readInput({ nodeId: hand.nodeId, jobId: assign.jobId, path, ...more });

      const whole = await read(nodeClient, join(data, 'a.txt'));
      expect(whole.error).toBeUndefined();
      expect(whole.data.toString()).toBe('alpha bravo charlie');
      const range = await read(nodeClient, join(data, 'a.txt'), { start: 6, end: 11 });
      expect(range.data.toString()).toBe('bravo');

      const refused = [
        await read(nodeClient, join(dir, 'secret.txt')),
        await read(nodeClient, join(data, '..', 'secret.txt')),
        await read(nodeClient, join(data, 'link-out.txt')),
        await read(nodeClient, '/etc/hostname'),
        await read(nodeClient, 'a.txt'),
        await nodeClient.readInput({ nodeId: hand.nodeId, jobId: 'no-such-job', path: join(data, 'a.txt') }),
        // Another node credential naming this node's id, and a client credential.
        await read(otherNode, join(data, 'a.txt')),
        await read(client, join(data, 'a.txt')),
      ];
      for (const outcome of refused) {
        expect(outcome.error?.code).toBe(status.PERMISSION_DENIED);
        expect(outcome.data.length).toBe(0);
      }

      // ReadFiles: many files in one call, in order, a large one in parts, a cached copy revalidated.
      const wanted = (path: string, cached: { size: number; mtimeMs: number } | undefined = undefined) => ({
        path,
        cachedSize: cached?.size ?? 0,
        cachedMtimeMs: cached?.mtimeMs ?? 0,
      });
      const readFiles = (who: WireClient, files: object[], jobId = assign.jobId) =>
        who.readInputFiles({ nodeId: hand.nodeId, jobId, files });
      const aStat = await stat(join(data, 'a.txt'));
      const many = await readFiles(nodeClient, [
        wanted(join(data, 'big.bin')),
        wanted(join(data, 'empty.txt')),
        wanted(join(data, 'a.txt')),
        wanted(join(data, 'a.txt'), { size: aStat.size, mtimeMs: aStat.mtimeMs }),
      ]);
      expect(many.error).toBeUndefined();
      expect(many.files.get(0)?.data.equals(big)).toBe(true);
      expect(many.files.get(1)).toEqual({ data: Buffer.alloc(0), unchanged: false });
      expect(many.files.get(2)).toEqual({ data: Buffer.from('alpha bravo charlie'), unchanged: false });
      expect(many.files.get(3)).toEqual({ data: Buffer.alloc(0), unchanged: true });

      // One file the job may not read refuses the whole call.
      const refusedMany = [
        await readFiles(nodeClient, [wanted(join(data, 'a.txt')), wanted(join(data, 'link-out.txt'))]),
        await readFiles(nodeClient, [wanted(join(data, '..', 'secret.txt'))]),
        await readFiles(nodeClient, [wanted(join(data, 'a.txt'))], 'no-such-job'),
        await readFiles(otherNode, [wanted(join(data, 'a.txt'))]),
        await readFiles(client, [wanted(join(data, 'a.txt'))]),
      ];
      for (const outcome of refusedMany) expect(outcome.error?.code).toBe(status.PERMISSION_DENIED);
    } finally {
      hand.stop();
      nodeClient.close();
      otherNode.close();
      client.close();
    }
  });
});
