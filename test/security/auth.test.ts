/**
 * Binding, tokens and roles, replayed as an outsider would try them: real `parajob coordinator`
 * processes, a client built from the .proto alone (wire-client.ts).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { status } from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { assertBuilt, type CliProcess, createToken, killAllCli, runCli, spawnCli } from '../helpers/cli-process.js';
import { firstAttachOutcome, WireClient } from './wire-client.js';

let root: string;
const clients: WireClient[] = [];
const client = (address: string, options: ConstructorParameters<typeof WireClient>[1] = {}): WireClient => {
  const made = new WireClient(address, options);
  clients.push(made);
  return made;
};

beforeAll(async () => {
  assertBuilt();
  root = await mkdtemp(join(tmpdir(), 'parajob-sec-auth-'));
});
afterEach(() => {
  for (const made of clients.splice(0)) made.close();
});
afterAll(async () => {
  await killAllCli();
  await rm(root, { recursive: true, force: true });
});

async function coordinator(name: string, args: readonly string[]): Promise<{ cli: CliProcess; port: string }> {
  const cli = spawnCli(['coordinator', '--port', '0', '--data-dir', join(root, name), ...args]);
  const match = await cli.waitFor(/listening on \S+:(\d+)/);
  return { cli, port: match[1] ?? '' };
}

function token(name: string, role: string): Promise<string> {
  return createToken(join(root, name), role);
}

describe('a standalone coordinator on loopback (the default)', () => {
  it('binds 127.0.0.1 and asks local callers no credentials', async () => {
    const { port } = await coordinator('loop', []);
    const anonymous = client(`127.0.0.1:${port}`);
    const listed = await anonymous.unary('list', {});
    expect(listed.error).toBeNull();
  });

  it('with --require-auth refuses an anonymous client and a node token, and serves a client token', async () => {
    const { port } = await coordinator('loop-auth', ['--require-auth']);
    const address = `127.0.0.1:${port}`;
    expect((await client(address).unary('list', {})).error?.code).toBe(status.UNAUTHENTICATED);
    const node = await token('loop-auth', 'node');
    expect((await client(address, { token: node }).unary('list', {})).error?.code).toBe(status.PERMISSION_DENIED);
    const forged = `${node.slice(0, 9)}${'A'.repeat(43)}`;
    expect((await client(address, { token: forged }).unary('list', {})).error?.code).toBe(status.UNAUTHENTICATED);
    const clientToken = await token('loop-auth', 'client');
    expect((await client(address, { token: clientToken }).unary('list', {})).error).toBeNull();
    // A client credential may not attach as a node.
    const attached = await firstAttachOutcome(client(address, { token: clientToken }).attach());
    expect(attached.error?.code).toBe(status.PERMISSION_DENIED);
    // Revoked: refused on the next call, without restarting the coordinator.
    const revoked = await runCli([
      'token',
      'revoke',
      clientToken.split('.')[0] ?? '',
      '--data-dir',
      join(root, 'loop-auth'),
    ]);
    expect(revoked.exit?.code, revoked.describeOutput()).toBe(0);
    expect((await client(address, { token: clientToken }).unary('list', {})).error?.code).toBe(status.UNAUTHENTICATED);
  });
});

describe('a coordinator beyond loopback', () => {
  it('turns on TLS and tokens, prints a join line that works, and refuses every outsider', async () => {
    const dataDir = join(root, 'remote');
    const { cli, port } = await coordinator('remote', ['--host', '0.0.0.0', '--advertise', '127.0.0.1']);
    const join_ = await cli.waitFor(/parajob node --coordinator (\S+) --token (\S+) --ca-hash (sha256:[0-9a-f]{64})/);
    const [, joinAddress, joinToken, caHash] = join_ as unknown as [string, string, string, string];
    expect(joinAddress).toBe(`127.0.0.1:${port}`);
    const address = `127.0.0.1:${port}`;
    const caPem = await readFile(join(dataDir, 'pki', 'ca.crt'));

    // Plaintext: no answer at all (the server speaks only TLS).
    expect((await client(address).unary('list', {}, 5_000)).error?.code).toBeOneOf([
      status.UNAVAILABLE,
      status.DEADLINE_EXCEEDED,
    ]);
    // TLS without a token: refused.
    expect((await client(address, { caPem }).unary('list', {})).error?.code).toBe(status.UNAUTHENTICATED);
    // A node token may attach, never submit or list.
    const nodeToken = client(address, { caPem, token: joinToken });
    expect((await nodeToken.unary('list', {})).error?.code).toBe(status.PERMISSION_DENIED);
    expect((await nodeToken.unary('submit', { specYaml: 'x', specPath: '/x.yml' })).error?.code).toBe(
      status.PERMISSION_DENIED,
    );
    expect((await nodeToken.unary('cancel', { jobId: 'x', reason: 'x' })).error?.code).toBe(status.PERMISSION_DENIED);
    // Anonymous attach over TLS: refused.
    expect((await firstAttachOutcome(client(address, { caPem }).attach())).error?.code).toBe(status.UNAUTHENTICATED);

    // The printed line, as an operator would paste it, attaches a real node (CA pinned by its hash).
    const node = spawnCli([
      'node',
      '--coordinator',
      joinAddress,
      '--token',
      joinToken,
      '--ca-hash',
      caHash,
      '--name',
      'n1',
      '--cache-dir',
      join(root, 'cache-n1'),
      '--state-dir',
      join(root, 'state-n1'),
    ]);
    await node.waitFor(/attached to/);
    // A wrong pin is refused before any token is sent.
    const wrongPin = await runCli(
      ['node', '--coordinator', joinAddress, '--token', joinToken, '--ca-hash', `sha256:${'0'.repeat(64)}`],
      { timeoutMs: 30_000 },
    );
    expect(wrongPin.exit?.code).not.toBe(0);
    expect(wrongPin.stderr).toMatch(/holds no CA with sha256:0+/);
    // A client with a client token and the CA file lists jobs through the CLI.
    const clientToken = await token('remote', 'client');
    const listed = await runCli(['job', 'list', '--coordinator', address, '--ca', join(dataDir, 'pki', 'ca.crt')], {
      env: { PARAJOB_TOKEN: clientToken },
    });
    expect(listed.exit?.code, listed.describeOutput()).toBe(0);
  });

  it('refuses --host 0.0.0.0 --insecure only in words: it listens, after a loud warning', async () => {
    const { cli, port } = await coordinator('insecure', ['--host', '0.0.0.0', '--insecure']);
    expect(cli.stderr).toMatch(/INSECURE: listening on 0\.0\.0\.0 without TLS and without credentials/);
    expect((await client(`127.0.0.1:${port}`).unary('list', {})).error).toBeNull();
  });
});

describe('parajob token', () => {
  it('prints the token alone on its last line and stores only its hash, 0600', async () => {
    const dataDir = join(root, 'tokens');
    const made = await runCli(['token', 'create', '--role', 'client', '--ttl', '1h', '--data-dir', dataDir]);
    const printed = made.stdoutLines.at(-1) ?? '';
    expect(printed).toMatch(/^[0-9a-f]{8}\.[A-Za-z0-9_-]{43}$/);
    const stored = await readFile(join(dataDir, 'auth', 'tokens.json'), 'utf8');
    expect(stored).not.toContain(printed.split('.')[1]);
    const { statSync } = await import('node:fs');
    expect(statSync(join(dataDir, 'auth', 'tokens.json')).mode & 0o777).toBe(0o600);
    const listed = await runCli(['token', 'list', '--data-dir', dataDir]);
    expect(listed.stdout).toContain(printed.split('.')[0]);
    const bad = await runCli(['token', 'create', '--role', 'admin', '--data-dir', dataDir]);
    expect(bad.exit?.code).toBe(2);
  });
});
