/**
 * Node certificates and mutual TLS, with real processes (one coordinator beyond loopback, one node)
 * and a client built from the .proto alone: a node joins once with its token and keeps a certificate
 * bound to its name in its state dir; later it attaches with that certificate and no token; the
 * certificate attaches under its own name only, is refused once revoked, and token nodes still work.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeNodeRequest } from '../../src/auth/node-certificates.js';
import { assertBuilt, killAllCli, runCli, spawnCli } from '../helpers/cli-process.js';
import { firstAttachOutcome, HandNode, WireClient } from './wire-client.js';

let root: string;
beforeAll(async () => {
  assertBuilt();
  root = await mkdtemp(join(tmpdir(), 'parajob-sec-mtls-'));
});
afterAll(async () => {
  await killAllCli();
  await rm(root, { recursive: true, force: true });
});

/** No token or CA from the environment of the test run: the node must do with its state dir. */
const BARE_ENV = { PARAJOB_TOKEN: '', PARAJOB_CA: '' };

describe('node certificates (mutual TLS)', () => {
  it('join once with a token, then attach with the certificate alone, under its own name only, until revoked', async () => {
    const dataDir = join(root, 'data');
    const stateDir = join(root, 'state-n1');
    const coordinator = spawnCli(
      ['coordinator', '--port', '0', '--host', '0.0.0.0', '--advertise', '127.0.0.1', '--data-dir', dataDir, '--no-ui'],
      { env: BARE_ENV },
    );
    const line = await coordinator.waitFor(
      /parajob node --coordinator (\S+) --token (\S+) --ca-hash (sha256:[0-9a-f]{64})/,
    );
    const [, address, joinToken, caHash] = line as unknown as [string, string, string, string];
    const nodeArgs = ['node', '--coordinator', address, '--name', 'n1', '--state-dir', stateDir];
    const cacheArgs = ['--cache-dir', join(root, 'cache')];

    // First start: joins with the token, stores key (0600), certificate and CA, attaches.
    const first = spawnCli([...nodeArgs, ...cacheArgs, '--token', joinToken, '--ca-hash', caHash], { env: BARE_ENV });
    await first.waitFor(/parajob node n1 attached/);
    expect((await stat(join(stateDir, 'node.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
    const certPem = await readFile(join(stateDir, 'node.crt'));
    const keyPem = await readFile(join(stateDir, 'node.key'));
    const caPem = await readFile(join(stateDir, 'ca.crt'));
    const cert = new X509Certificate(certPem);
    expect(cert.subjectAltName).toBe('URI:parajob://node/n1');
    expect(cert.checkIssued(new X509Certificate(await readFile(join(dataDir, 'pki', 'ca.crt'))))).toBe(true);
    expect(Date.parse(cert.validTo)).toBeGreaterThan(Date.now() + 300 * 86_400_000);
    // The coordinator's records hold no key material, only what revocation needs.
    const records = await readFile(join(dataDir, 'auth', 'node-certs.json'), 'utf8');
    expect(records).toContain(cert.serialNumber);
    expect(records).not.toContain('PRIVATE KEY');
    first.child.kill('SIGTERM');
    expect((await first.waitForExit()).code).toBe(0);

    // Later starts: no token, no CA flag; the state dir is enough (the coordinator demands credentials).
    const second = spawnCli([...nodeArgs, ...cacheArgs], { env: BARE_ENV });
    await second.waitFor(/parajob node n1 attached/);

    // The certificate of n1 cannot attach as n2, take another node's id, renew another name, or use Jobs.
    const asN1 = new WireClient(address, { caPem, clientCert: { keyPem, certPem } });
    try {
      const other = asN1.attach();
      other.write({ hello: { name: 'n2', compute: 'local', cores: 1, host: 'evil', pid: 1 } });
      const refused = await firstAttachOutcome(other);
      expect(refused.error?.code).toBe(status.PERMISSION_DENIED);
      expect(refused.error?.details).toMatch(/node n1's: it may not attach as "n2"/);
      const hijack = asN1.attach();
      hijack.write({ hello: { name: 'n1', nodeId: 'x1', compute: 'local', cores: 1, host: 'evil', pid: 1 } });
      expect((await firstAttachOutcome(hijack)).error?.code).toBe(status.PERMISSION_DENIED);
      const renewOther = await asN1.joinCall({ name: 'n2', csrPem: (await makeNodeRequest('n2')).csrPem });
      expect(renewOther.error?.code).toBe(status.PERMISSION_DENIED);
      expect((await asN1.unary('list', {})).error?.code).toBe(status.PERMISSION_DENIED);
    } finally {
      asN1.close();
    }

    // Another node token cannot mint n1's identity while n1's certificate is live.
    const otherToken = (await runCli(['token', 'create', '--role', 'node', '--data-dir', dataDir])).stdoutLines.at(-1);
    const withOtherToken = new WireClient(address, { caPem, token: otherToken ?? '' });
    try {
      const stolen = await withOtherToken.joinCall({ name: 'n1', csrPem: (await makeNodeRequest('n1')).csrPem });
      expect(stolen.error?.code).toBe(status.FAILED_PRECONDITION);
      expect(stolen.error?.details).toMatch(/revoke it first/);
      // The token path of a node still works over TLS (a node that sends its token, no certificate).
      const tokenNode = await HandNode.attach(withOtherToken, { name: 'tok', compute: 'local', cores: 1, host: 'h' });
      expect(tokenNode.nodeId).toBe('tok');
      tokenNode.stop();
    } finally {
      withOtherToken.close();
    }

    // Revoked: refused on its next attach, without restarting the coordinator.
    const revoked = await runCli(['node', 'revoke', 'n1', '--data-dir', dataDir]);
    expect(revoked.exit?.code, revoked.describeOutput()).toBe(0);
    expect(revoked.stdout).toMatch(/revoked 1 certificate of node n1/);
    const afterRevoke = new WireClient(address, { caPem, clientCert: { keyPem, certPem } });
    try {
      const attach = afterRevoke.attach();
      attach.write({ hello: { name: 'n1', compute: 'local', cores: 1, host: 'h', pid: 1 } });
      const outcome = await firstAttachOutcome(attach);
      expect(outcome.error?.code).toBe(status.UNAUTHENTICATED);
      expect(outcome.error?.details).toMatch(/certificate refused: the certificate of node n1 was revoked/);
    } finally {
      afterRevoke.close();
    }
    const listed = await runCli(['node', 'certs', '--data-dir', dataDir]);
    expect(listed.stdout).toMatch(new RegExp(`^n1 +${cert.serialNumber} .*revoked`, 'm'));
  });
});
