/** Tokens, the role table and the binding rule, without a server. */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Metadata, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { bindingRefusal, isLoopbackHost } from '../../../src/auth/binding.js';
import { caHashOf, parseCaHash } from '../../../src/auth/ca-hash.js';
import { authorize, PRINCIPAL_METADATA_KEY } from '../../../src/auth/interceptor.js';
import { ensureServerPki } from '../../../src/auth/pki.js';
import { TokenStore } from '../../../src/auth/token-store.js';
import { MemoryTokens, mintToken, verifyAgainst } from '../../../src/auth/tokens.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parajob-auth-unit-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const withToken = (token?: string): Metadata => {
  const metadata = new Metadata();
  if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
  return metadata;
};

describe('tokens', () => {
  it('verifies the secret, refuses a guessed one and an expired one', () => {
    const { token, record } = mintToken('node', { ttlMs: 1_000, nowMs: 0 });
    const records = new Map([[record.id, record]]);
    expect(verifyAgainst(records, token, 500)).toEqual({ role: 'node', tokenId: record.id });
    expect(verifyAgainst(records, `${record.id}.${'x'.repeat(43)}`, 500)).toEqual({
      refused: `bad secret for token ${record.id}`,
    });
    expect(verifyAgainst(records, token, 1_000)).toMatchObject({ refused: expect.stringMatching(/expired/) });
    expect(verifyAgainst(records, 'garbage', 0)).toMatchObject({ refused: expect.stringMatching(/malformed/) });
  });

  it('a token store sees tokens created and revoked by another process (another instance)', async () => {
    const reader = TokenStore.forDataDir(join(dir, 'store'));
    const writer = TokenStore.forDataDir(join(dir, 'store'));
    const token = writer.create('client');
    expect(reader.verify(token)).toMatchObject({ role: 'client' });
    writer.revoke(token);
    expect(reader.verify(token)).toMatchObject({ refused: expect.stringMatching(/unknown or revoked/) });
    expect((await stat(reader.file)).mode & 0o777).toBe(0o600);
  });
});

describe('authorize (the interceptor decision)', () => {
  const tokens = new MemoryTokens();
  const node = tokens.mint('node');
  const client = tokens.mint('client');
  const viewer = tokens.mint('viewer');
  const required = { requireAuth: true, tokens };
  const optional = { requireAuth: false, tokens };
  const attach = '/parajob.v1.Cluster/Attach';
  const submit = '/parajob.v1.Jobs/Submit';
  const fetch = '/parajob.v1.Code/Fetch';

  it.each([
    ['node attaches', required, attach, node, 'ok'],
    ['node fetches code', required, fetch, node, 'ok'],
    ['node submits', required, submit, node, status.PERMISSION_DENIED],
    ['client submits', required, submit, client, 'ok'],
    ['client attaches', required, attach, client, status.PERMISSION_DENIED],
    ['client fetches code', required, fetch, client, status.PERMISSION_DENIED],
    ['anonymous, required', required, submit, undefined, status.UNAUTHENTICATED],
    ['anonymous, optional', optional, submit, undefined, 'ok'],
    ['bad token, optional', optional, submit, 'deadbeef.nope', status.UNAUTHENTICATED],
    ['unknown method', required, '/parajob.v1.Admin/Root', client, status.PERMISSION_DENIED],
    ['viewer lists jobs', required, '/parajob.v1.Jobs/List', viewer, 'ok'],
    ['viewer gets a job', required, '/parajob.v1.Jobs/Get', viewer, 'ok'],
    ['viewer watches a job', required, '/parajob.v1.Jobs/Watch', viewer, 'ok'],
    ['viewer lists data assets', required, '/parajob.v1.Assets/ListData', viewer, 'ok'],
    ['viewer gets a component', required, '/parajob.v1.Assets/GetComponent', viewer, 'ok'],
    ['viewer submits', required, submit, viewer, status.PERMISSION_DENIED],
    ['viewer cancels', required, '/parajob.v1.Jobs/Cancel', viewer, status.PERMISSION_DENIED],
    ['viewer registers a component', required, '/parajob.v1.Assets/CreateComponent', viewer, status.PERMISSION_DENIED],
    ['viewer registers data', required, '/parajob.v1.Assets/CreateData', viewer, status.PERMISSION_DENIED],
    ['viewer attaches', required, attach, viewer, status.PERMISSION_DENIED],
    ['viewer fetches code', required, fetch, viewer, status.PERMISSION_DENIED],
  ])('%s', (_name, policy, method, token, expected) => {
    const decision = authorize(policy, method, withToken(token));
    if (expected === 'ok') expect(decision).toHaveProperty('principal');
    else expect(decision).toMatchObject({ code: expected });
  });

  it('hands the services a viewer principal as a viewer', () => {
    expect(authorize(required, '/parajob.v1.Jobs/List', withToken(viewer))).toMatchObject({
      principal: { role: 'viewer' },
    });
  });

  it('a principal sent by the caller is never trusted', () => {
    const metadata = withToken();
    metadata.set(PRINCIPAL_METADATA_KEY, 'client:forged');
    expect(authorize(required, submit, metadata)).toMatchObject({ code: status.UNAUTHENTICATED });
  });
});

describe('binding', () => {
  it('loopback needs nothing; any other host needs TLS and required credentials, or --insecure', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
    const none = { tls: false, requireAuth: false, insecure: false };
    expect(bindingRefusal('127.0.0.1', none)).toBeUndefined();
    expect(bindingRefusal('0.0.0.0', none)).toMatch(/needs TLS and required credentials; give --insecure/);
    expect(bindingRefusal('0.0.0.0', { ...none, tls: true })).toBeDefined();
    expect(bindingRefusal('0.0.0.0', { ...none, tls: true, requireAuth: true })).toBeUndefined();
    expect(bindingRefusal('10.1.2.3', { ...none, insecure: true })).toBeUndefined();
  });
});

describe('PKI', () => {
  it('makes a CA and a server certificate that openssl accepts, with the SANs asked, keys 0600, reused later', async () => {
    const dataDir = join(dir, 'pki-data');
    const first = await ensureServerPki(dataDir, ['coord.example', '10.0.0.5']);
    expect(first.created).toBe(true);
    const pki = join(dataDir, 'pki');
    expect((await stat(join(pki, 'ca.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(pki, 'server.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(pki)).mode & 0o777).toBe(0o700);
    expect(
      execFileSync('openssl', ['verify', '-CAfile', join(pki, 'ca.crt'), join(pki, 'server.crt')]).toString(),
    ).toMatch(/OK/);
    const text = execFileSync('openssl', ['x509', '-in', join(pki, 'server.crt'), '-noout', '-text']).toString();
    for (const san of ['DNS:coord.example', 'IP Address:10.0.0.5', 'DNS:localhost', 'IP Address:127.0.0.1'])
      expect(text).toContain(san);
    expect(first.caHash).toBe(caHashOf(first.caPem));
    const again = await ensureServerPki(dataDir, ['coord.example']);
    expect(again.created).toBe(false);
    expect(again.caHash).toBe(first.caHash);
    // A new name re-issues the server certificate under the same CA.
    const renamed = await ensureServerPki(dataDir, ['other.example']);
    expect(renamed.caHash).toBe(first.caHash);
    expect(renamed.certChainPem).not.toBe(first.certChainPem);
  });

  it('parses CA hashes strictly', () => {
    expect(parseCaHash(`SHA256:${'AB'.repeat(32)}`)).toBe(`sha256:${'ab'.repeat(32)}`);
    expect(() => parseCaHash('sha256:123')).toThrow(/64 hex digits/);
  });
});
