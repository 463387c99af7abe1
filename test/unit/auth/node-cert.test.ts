/** Node certificates without a server: issuing, the join rules, revocation, the hello rule, the node's checks. */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Metadata, Server, status } from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { authInterceptor, authorize, helloRefusal } from '../../../src/auth/interceptor.js';
import { joinHandler, NodeCertAuthority } from '../../../src/auth/join-service.js';
import { makeNodeRequest } from '../../../src/auth/node-certificates.js';
import { defaultStateDir, loadIdentity, saveIdentity } from '../../../src/auth/node-identity.js';
import { identityProblem, resolveNodeDial } from '../../../src/auth/node-join.js';
import { ensureServerPki } from '../../../src/auth/pki.js';
import { serverCredentials } from '../../../src/auth/server-credentials.js';
import { MemoryTokens } from '../../../src/auth/tokens.js';
import { type ClusterServer, ClusterService } from '../../../src/gen/parajob/v1/parajob.js';

let dir: string;
let authority: NodeCertAuthority;
let caHash: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parajob-node-cert-unit-'));
  caHash = (await ensureServerPki(dir, ['127.0.0.1'])).caHash;
  authority = new NodeCertAuthority(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const tokenA = { role: 'node', tokenId: 'aaaaaaaa' } as const;
const tokenB = { role: 'node', tokenId: 'bbbbbbbb' } as const;

async function joinAs(name: string, principal: Parameters<NodeCertAuthority['join']>[1]) {
  const request = await makeNodeRequest(name);
  const response = await authority.join({ name, csrPem: request.csrPem }, principal);
  return { ...request, ...response };
}

describe('Cluster.Join (NodeCertAuthority)', () => {
  it('signs a client certificate for the name asked, which openssl accepts as a TLS client of the CA', async () => {
    const joined = await joinAs('w1', tokenA);
    const cert = new X509Certificate(joined.certificatePem);
    expect(cert.subjectAltName).toBe('URI:parajob://node/w1');
    expect(cert.subject).toBe('CN=w1');
    const file = join(dir, 'w1.crt');
    await writeFile(file, joined.certificatePem);
    const verified = execFileSync(
      'openssl',
      ['verify', '-purpose', 'sslclient', '-CAfile', join(dir, 'pki', 'ca.crt'), file],
      { encoding: 'utf8' },
    );
    expect(verified).toContain('OK');
    expect(authority.store.verifyPeer(cert.raw)).toEqual({ role: 'node', tokenId: 'cert/w1', nodeName: 'w1' });
  });

  it('keeps a name with the token that joined it; its own certificate may renew it, no other name', async () => {
    await joinAs('w2', tokenA);
    await expect(joinAs('w2', tokenB)).rejects.toMatchObject({ code: status.FAILED_PRECONDITION });
    await expect(joinAs('w2', tokenA)).resolves.toBeDefined();
    const asW2 = { role: 'node', tokenId: 'cert/w2', nodeName: 'w2' } as const;
    await expect(joinAs('w2', asW2)).resolves.toBeDefined();
    await expect(joinAs('w3', asW2)).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    await expect(joinAs('bad name', tokenA)).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(joinAs('w4', undefined)).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    // A request whose signature does not match the key it carries is refused.
    const other = await makeNodeRequest('w5');
    const der = Buffer.from(other.csrPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    der[der.length - 1] = (der[der.length - 1] ?? 0) ^ 0xff;
    const forged = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    await expect(authority.join({ name: 'w5', csrPem: forged }, tokenA)).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
    // Revoked: every certificate of the name is refused, and the name is free for another token.
    expect(authority.store.revoke('w2')).toBe(3);
    const again = await joinAs('w2', tokenB);
    const revokedOne = authority.store.list().find((record) => record.name === 'w2' && record.revokedAt !== undefined);
    expect(revokedOne).toBeDefined();
    expect(authority.store.verifyPeer(new X509Certificate(again.certificatePem).raw)).toMatchObject({
      nodeName: 'w2',
    });
  });

  it('the interceptor takes a verified certificate as the node, refuses a revoked one, and a token wins', async () => {
    const joined = await joinAs('w6', tokenA);
    const raw = new X509Certificate(joined.certificatePem).raw;
    const policy = { requireAuth: true, tokens: new MemoryTokens(), certs: authority.store };
    const attach = '/parajob.v1.Cluster/Attach';
    expect(authorize(policy, attach, new Metadata(), raw)).toEqual({
      principal: { role: 'node', tokenId: 'cert/w6', nodeName: 'w6' },
    });
    expect(authorize(policy, '/parajob.v1.Jobs/List', new Metadata(), raw)).toMatchObject({
      code: status.PERMISSION_DENIED,
    });
    const withBadToken = new Metadata();
    withBadToken.set('authorization', 'Bearer nope');
    expect(authorize(policy, attach, withBadToken, raw)).toMatchObject({ code: status.UNAUTHENTICATED });
    authority.store.revoke('w6');
    expect(authorize(policy, attach, new Metadata(), raw)).toMatchObject({
      code: status.UNAUTHENTICATED,
      details: expect.stringMatching(/revoked/),
    });
  });
});

describe('a certificate stream says hello under its own name only', () => {
  const hello = (name: string, nodeId = '') => ({
    kind: {
      $case: 'hello' as const,
      value: {
        name,
        nodeId,
        compute: 'local',
        cores: 1,
        gpus: 0,
        host: 'h',
        pid: 1,
        version: '',
        jobIds: [],
        heldLeases: [],
      },
    },
  });
  it('refuses another name or another node id; accepts its own, and its own renamed id', () => {
    expect(helloRefusal('n1', hello('n1'))).toBeUndefined();
    expect(helloRefusal('n1', hello('n1', 'n1'))).toBeUndefined();
    expect(helloRefusal('n1', hello('n1', 'n1-2'))).toBeUndefined();
    expect(helloRefusal('n1', hello('n2'))).toMatch(/may not attach as "n2"/);
    expect(helloRefusal('n1', hello('n1', 'n2'))).toMatch(/may not take node id "n2"/);
    expect(helloRefusal('n1', hello('n1', 'n1-x'))).toMatch(/may not take node id/);
    expect(
      helloRefusal('n1', { kind: { $case: 'heartbeat', value: { seq: 1, sentAtMs: 0, running: 0 } } }),
    ).toBeUndefined();
  });
});

describe("the node's state dir", () => {
  it('stores key 0600 in a 0700 folder, and tells when the identity does not fit', async () => {
    const joined = await joinAs('w7', tokenA);
    const stateDir = join(dir, 'state-w7');
    await saveIdentity(stateDir, { keyPem: joined.keyPem, certPem: joined.certificatePem, caPem: joined.caPem });
    const { statSync } = await import('node:fs');
    expect(statSync(join(stateDir, 'node.key')).mode & 0o777).toBe(0o600);
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
    const stored = await loadIdentity(stateDir);
    if (stored === undefined) throw new Error('no identity stored');
    expect(stored.name).toBe('w7');
    expect(identityProblem(stored, 'w7', {})).toBeUndefined();
    expect(identityProblem(stored, 'w7', { caHash })).toBeUndefined();
    expect(identityProblem(stored, 'w8', {})).toMatch(/node w7's certificate, not w8's/);
    expect(identityProblem(stored, 'w7', { caHash: `sha256:${'0'.repeat(64)}` })).toMatch(/not the pinned/);
    expect(identityProblem(stored, 'w7', {}, stored.notAfterMs)).toMatch(/expired/);
    expect(await loadIdentity(join(dir, 'none'))).toBeUndefined();
    expect(defaultStateDir('a b', { XDG_STATE_HOME: '/s' })).toBe('/s/parajob/nodes/a-b');
  });
});

describe('renewal', () => {
  it('a node whose certificate expires within 30 days renews it over mTLS at start, with no token', async () => {
    // A CA that issues 10-day certificates, behind the real interceptor and server credentials.
    const shortLived = new NodeCertAuthority(dir, 10);
    const pki = await ensureServerPki(dir, ['127.0.0.1']);
    const server = new Server({
      interceptors: [authInterceptor({ requireAuth: true, tokens: new MemoryTokens(), certs: shortLived.store })],
    });
    const cluster: ClusterServer = { attach: (call) => call.end(), join: joinHandler(shortLived) };
    server.addService(ClusterService, cluster);
    const port = await new Promise<number>((resolvePort, reject) =>
      server.bindAsync('127.0.0.1:0', serverCredentials(pki), (error, bound) =>
        error ? reject(error) : resolvePort(bound),
      ),
    );
    try {
      const request = await makeNodeRequest('w9');
      const first = await shortLived.join({ name: 'w9', csrPem: request.csrPem }, tokenA);
      const stateDir = join(dir, 'state-w9');
      await saveIdentity(stateDir, { keyPem: request.keyPem, certPem: first.certificatePem, caPem: first.caPem });
      await resolveNodeDial(
        [`127.0.0.1:${port}`],
        {},
        { name: 'w9', stateDir, waitMs: 10_000, logger: pino({ level: 'silent' }) },
      );
      const renewed = await loadIdentity(stateDir);
      expect(renewed?.certPem).not.toBe(first.certificatePem);
      expect(renewed?.keyPem).not.toBe(request.keyPem);
      const records = shortLived.store.list().filter((record) => record.name === 'w9');
      expect(records.map((record) => record.joinedWith)).toEqual([tokenA.tokenId, tokenA.tokenId]);
    } finally {
      server.forceShutdown();
    }
  });
});
