/**
 * Node identity: a stream cannot take over another credential's node id (the hijack of issue 12:
 * a hello carrying another node's id used to replace its stream and inherit its work).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertBuilt, createToken, killAllCli, spawnCli } from '../helpers/cli-process.js';
import { firstAttachOutcome, WireClient } from './wire-client.js';

let root: string;
beforeAll(async () => {
  assertBuilt();
  root = await mkdtemp(join(tmpdir(), 'parajob-sec-identity-'));
});
afterAll(async () => {
  await killAllCli();
  await rm(root, { recursive: true, force: true });
});

describe('node identity', () => {
  it("a hello with another credential's node id gets a new id; the real node keeps its stream", async () => {
    const dataDir = join(root, 'data');
    const coordinator = spawnCli(['coordinator', '--port', '0', '--data-dir', dataDir, '--require-auth']);
    const port = (await coordinator.waitFor(/listening on \S+:(\d+)/))[1];
    const address = `127.0.0.1:${port}`;
    const node = spawnCli(['node', '--coordinator', address, '--name', 'n1', '--cache-dir', join(root, 'cache')], {
      env: { PARAJOB_TOKEN: await createToken(dataDir, 'node') },
    });
    await node.waitFor(/parajob node n1 attached/);

    const intruder = new WireClient(address, { token: await createToken(dataDir, 'node') });
    try {
      const stream = intruder.attach();
      stream.write({ hello: { name: 'n1', nodeId: 'n1', compute: 'local', cores: 1, host: 'evil', pid: 1 } });
      const outcome = await firstAttachOutcome(stream);
      const welcome = outcome.message?.welcome as { nodeId?: string } | undefined;
      expect(welcome?.nodeId).toBeDefined();
      expect(welcome?.nodeId).not.toBe('n1');
      await coordinator.waitFor(/node id bound to another credential/);
      expect(coordinator.output).not.toMatch(/its previous stream is dropped/);
      stream.cancel();
    } finally {
      intruder.close();
    }
  });
});
