/**
 * ParajobClient's `token` and `ca` (and PARAJOB_TOKEN / PARAJOB_CA) reach the wire for every service
 * it calls, Jobs and Assets alike: against a loopback coordinator with --require-auth, and against one
 * beyond loopback that speaks only TLS (its CA trusted by file or pinned by hash).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ParajobClient, UnauthenticatedError } from '../../src/sdk/index.js';
import { assertBuilt, createToken, killAllCli, spawnCli } from '../helpers/cli-process.js';
import { writeText } from '../helpers/input-files.js';

let root: string;
const clients: ParajobClient[] = [];
const client = (options: ConstructorParameters<typeof ParajobClient>[0]): ParajobClient => {
  const made = new ParajobClient({ deadlineMs: 10_000, ...options });
  clients.push(made);
  return made;
};

beforeAll(async () => {
  assertBuilt();
  root = await mkdtemp(join(tmpdir(), 'parajob-sec-sdk-'));
  await writeText(root, 'hello.yml', 'type: command\nname: hello\ncode: ./src\ncommand: sh hello.sh\n');
  await writeText(root, 'src/hello.sh', 'echo hello\n');
});
afterAll(async () => {
  for (const made of clients.splice(0)) made.close();
  await killAllCli();
  await rm(root, { recursive: true, force: true });
});

async function coordinator(name: string, args: readonly string[]): Promise<string> {
  const cli = spawnCli(['coordinator', '--port', '0', '--data-dir', join(root, name), ...args]);
  const match = await cli.waitFor(/listening on \S+:(\d+)/);
  return `127.0.0.1:${match[1] ?? ''}`;
}

function clientToken(name: string): Promise<string> {
  return createToken(join(root, name), 'client');
}

describe('ParajobClient credentials', () => {
  it('sends its token to Jobs and Assets of a coordinator that requires one', async () => {
    const address = await coordinator('loop', ['--require-auth']);
    const anonymous = client({ address, env: {} });
    await expect(anonymous.jobs.list()).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(anonymous.components.list()).rejects.toBeInstanceOf(UnauthenticatedError);

    const token = await clientToken('loop');
    const withToken = client({ address, token, env: {} });
    expect(await withToken.jobs.list()).toEqual([]);
    const registered = await withToken.components.createOrUpdate(join(root, 'hello.yml'));
    expect(registered).toMatchObject({ name: 'hello', version: '1' });
    // The same token from the environment.
    const fromEnv = client({ address, env: { PARAJOB_TOKEN: token } });
    expect((await fromEnv.components.list()).map((item) => item.name)).toEqual(['hello']);
  });

  it('dials TLS with the CA given by file or by its hash', async () => {
    const dataDir = join(root, 'remote');
    const cli = spawnCli([
      'coordinator',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--host',
      '0.0.0.0',
      '--advertise',
      '127.0.0.1',
    ]);
    const joined = await cli.waitFor(/parajob node --coordinator (\S+) --token \S+ --ca-hash (sha256:[0-9a-f]{64})/);
    const address = joined[1] ?? '';
    const caHash = joined[2] ?? '';
    const token = await clientToken('remote');
    const caFile = join(dataDir, 'pki', 'ca.crt');
    expect((await readFile(caFile, 'utf8')).startsWith('-----BEGIN CERTIFICATE-----')).toBe(true);

    const byFile = client({ address, token, ca: caFile, env: {} });
    expect(await byFile.jobs.list()).toEqual([]);
    expect(await byFile.data.list()).toEqual([]);
    const byHash = client({ address, env: { PARAJOB_TOKEN: token, PARAJOB_CA: caHash } });
    expect(await byHash.components.list()).toEqual([]);
    // TLS but no token: refused, typed.
    await expect(client({ address, ca: caFile, env: {} }).components.list()).rejects.toBeInstanceOf(
      UnauthenticatedError,
    );
  });
});
