/**
 * The web UI obeys the coordinator's credentials: with tokens required (src/auth), a client token
 * reads the API, a viewer token reads it but may not cancel (and /api/session tells the page so), a node token is refused (403), an unknown
 * one too (401), the UI's own login token still works; and the server refuses to listen beyond loopback
 * without TLS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { MemoryTokens } from '../../src/auth/tokens.js';
import { type Coordinator, startCoordinator } from '../../src/coordinator/index.js';
import { startWebServer } from '../../src/web/server.js';
import type { WebSource } from '../../src/web/source.js';

describe('the web UI with the coordinator’s tokens', () => {
  let dir: string;
  let tokens: MemoryTokens;
  let coordinator: Coordinator;
  let base: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parajob-web-auth-'));
    tokens = new MemoryTokens();
    coordinator = await startCoordinator({
      host: '127.0.0.1',
      port: 0,
      dataDir: dir,
      logger: pino({ level: 'silent' }),
      security: { auth: { requireAuth: true, tokens } },
      http: { port: 0 },
    });
    base = new URL(coordinator.webUrl as string).origin;
  });

  afterEach(async () => {
    await coordinator.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const status = async (token: string | undefined, path = '/api/jobs') =>
    (await fetch(`${base}${path}`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } }))
      .status;

  it('lets a client token read, refuses a node token and an unknown one', async () => {
    expect(await status(tokens.mint('client'))).toBe(200);
    expect(await status(tokens.mint('client'), '/metrics')).toBe(200);
    expect(await status(tokens.mint('node'))).toBe(403);
    expect(await status(`deadbeef.${'A'.repeat(43)}`)).toBe(401);
    expect(await status(undefined)).toBe(401);
  });

  it('lets a viewer token read the UI and the API, but not cancel a job (which a client token may)', async () => {
    const viewer = tokens.mint('viewer');
    expect(await status(viewer)).toBe(200);
    expect(await status(viewer, '/api/nodes')).toBe(200);
    expect(await status(viewer, '/metrics')).toBe(200);
    const page = await fetch(`${base}/?token=${viewer}`, { redirect: 'manual' });
    expect(page.status).toBe(303);
    const cancel = (token: string) =>
      fetch(`${base}/api/jobs/no-such-job/cancel`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    const refused = await cancel(viewer);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: string }).error).toMatch(
      /a viewer credential may not change jobs from the web UI \(it needs a client credential\)/,
    );
    // A client token passes the same check and reaches the route (no such job).
    expect((await cancel(tokens.mint('client'))).status).toBe(404);
  });

  it('tells the page who its credential is, so that it offers cancel and rerun only to who may use them', async () => {
    const session = async (token: string) =>
      (await fetch(`${base}/api/session`, { headers: { authorization: `Bearer ${token}` } })).json();
    expect(await session(tokens.mint('viewer'))).toEqual({ role: 'viewer', mayChange: false });
    expect(await session(tokens.mint('client'))).toEqual({ role: 'client', mayChange: true });
    const printed = new URL(coordinator.webUrl as string).searchParams.get('token') as string;
    expect(await session(printed)).toEqual({ role: 'login token', mayChange: true });
    expect(await status(tokens.mint('node'), '/api/session')).toBe(403);
    expect(await status(undefined, '/api/session')).toBe(401);
  });

  it('trades a client token in the URL for the session cookie, as the printed URL does', async () => {
    const response = await fetch(`${base}/?token=${tokens.mint('client')}`, { redirect: 'manual' });
    expect(response.status).toBe(303);
    const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] as string;
    expect((await fetch(`${base}/api/jobs`, { headers: { cookie } })).status).toBe(200);
    const printed = new URL(coordinator.webUrl as string).searchParams.get('token') as string;
    expect(await status(printed)).toBe(200);
  });
});

describe('the web UI’s binding rule', () => {
  it('refuses a non-loopback host without TLS', async () => {
    const source: WebSource = {
      jobs: () => [],
      job: () => undefined,
      nodes: () => [],
      coordinatorResources: () => undefined,
      onAttempt: () => () => undefined,
      onProcessorRestart: () => () => undefined,
    };
    await expect(
      startWebServer({ host: '0.0.0.0', port: 0, source, logger: pino({ level: 'silent' }) }),
    ).rejects.toThrow(/only with TLS/);
  });
});
