/**
 * One request must not stall or bloat the coordinator, nor plant files the nodes would run: replayed
 * with a client built from the .proto alone against a real coordinator with a real node attached.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertBuilt, type CliProcess, killAllCli, spawnCli } from '../helpers/cli-process.js';
import { parallelJobYaml } from '../helpers/job-yaml.js';
import { snapshotHash, WireClient } from './wire-client.js';

let root: string;
let dataDir: string;
let coordinator: CliProcess;
let client: WireClient;

beforeAll(async () => {
  assertBuilt();
  root = await mkdtemp(join(tmpdir(), 'parajob-sec-limits-'));
  dataDir = join(root, 'data-dir');
  await mkdir(join(root, 'code'), { recursive: true });
  await mkdir(join(root, 'data'), { recursive: true });
  await writeFile(join(root, 'code', 'list.mjs'), 'export function run(b) { return b; }\n');
  coordinator = spawnCli(['coordinator', '--port', '0', '--data-dir', dataDir]);
  const port = (await coordinator.waitFor(/listening on \S+:(\d+)/))[1];
  const address = `127.0.0.1:${port}`;
  const node = spawnCli(['node', '--coordinator', address, '--name', 'n1', '--cache-dir', join(root, 'cache')]);
  await node.waitFor(/attached to/);
  client = new WireClient(address);
});
afterAll(async () => {
  client?.close();
  await killAllCli();
  await rm(root, { recursive: true, force: true });
});

const specPath = () => join(root, 'job.yml');

describe('limits', () => {
  it('a 24,000-key YAML is refused without stalling: other calls answer, no node is lost', async () => {
    const keys = Array.from({ length: 24_000 }, (_, i) => `k${i}: ${i}`);
    const yaml = `${parallelJobYaml()}${keys.join('\n')}\nk0: again\n`;
    const submitted = client.unary('submit', { specYaml: yaml, specPath: specPath(), code: [] }, 60_000);
    const listed = await client.unary('list', {});
    expect(listed.error).toBeNull();
    const { error } = await submitted;
    expect(error?.code).toBe(status.INVALID_ARGUMENT);
    expect(error?.details).toMatch(/Map keys must be unique \(k0\)/);
    expect(coordinator.output).not.toMatch(/node lost/);
  });

  it('a spec over --max-spec-bytes is refused before it is parsed', async () => {
    const yaml = `${parallelJobYaml()}# ${'x'.repeat(1024 * 1024)}\n`;
    const { error } = await client.unary('submit', { specYaml: yaml, specPath: specPath(), code: [] });
    expect(error?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(error?.details).toMatch(/the spec is 1\.0 MiB; the limit is 1\.0 MiB \(--max-spec-bytes\)/);
  });

  it('a 300 MB message is refused by the transport', async () => {
    const content = Buffer.alloc(300 * 1000 * 1000);
    const { error } = await client.unary(
      'submit',
      {
        specYaml: parallelJobYaml(),
        specPath: specPath(),
        code: [{ hash: '0', sourceDir: '/x', files: [{ path: 'big', mode: 420, content }] }],
      },
      60_000,
    );
    expect(error?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect((await client.unary('list', {})).error).toBeNull();
  });

  it('a setuid file in a code snapshot is refused; a refused snapshot leaves no temp folder', async () => {
    const setuid = [{ path: 'list.mjs', mode: 0o4755, content: Buffer.from('export function run(b) { return b; }\n') }];
    const first = await client.unary('submit', {
      specYaml: parallelJobYaml(),
      specPath: specPath(),
      code: [{ hash: snapshotHash(setuid), sourceDir: join(root, 'code'), files: setuid }],
    });
    expect(first.error?.details).toMatch(/list\.mjs has mode 4755; only 644 and 755 are accepted/);
    const escaping = [
      { path: 'list.mjs', mode: 0o644, content: Buffer.from('x') },
      { path: '../evil.mjs', mode: 0o644, content: Buffer.from('x') },
    ];
    const second = await client.unary('submit', {
      specYaml: parallelJobYaml(),
      specPath: specPath(),
      code: [{ hash: snapshotHash(escaping), sourceDir: join(root, 'code'), files: escaping }],
    });
    expect(second.error?.details).toMatch(/escapes its folder: \.\.\/evil\.mjs/);
    const leftovers = await readdir(join(dataDir, 'code')).catch(() => []);
    expect(leftovers.filter((name) => name.includes('.tmp-'))).toEqual([]);
  });
});
