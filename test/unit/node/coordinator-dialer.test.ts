/**
 * A node given several coordinator addresses uses the one that answers (only the active coordinator
 * listens: a standby binds its port once it took over), and moves when that one goes and another
 * starts answering. Real gRPC servers on loopback; no coordinator logic involved.
 */
import { connectivityState, Server, ServerCredentials } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';

import { PLAINTEXT_DIAL } from '../../../src/auth/dial.js';
import { CoordinatorDialer } from '../../../src/node/coordinator-dialer.js';
import { findActiveCoordinator } from '../../../src/rpc/coordinator-list.js';

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.forceShutdown();
});

/** A gRPC server (no services: a channel to it gets ready) on `port` (0: any); resolves with its port. */
function listen(port = 0): Promise<{ server: Server; port: number }> {
  const server = new Server();
  servers.push(server);
  return new Promise((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve({ server, port: bound }),
    ),
  );
}

/** A loopback port nothing listens on now (a standby that has not taken over). */
async function silentPort(): Promise<number> {
  const { server, port } = await listen();
  server.forceShutdown();
  return port;
}

describe('coordinator lists', () => {
  it('finds the address that answers among several, and the one given alone without probing', async () => {
    const standby = await silentPort();
    const { port: active } = await listen();
    const addresses = [`127.0.0.1:${standby}`, `127.0.0.1:${active}`];
    expect(await findActiveCoordinator(addresses, PLAINTEXT_DIAL, 5_000)).toBe(`127.0.0.1:${active}`);
    expect(await findActiveCoordinator([`127.0.0.1:${standby}`], PLAINTEXT_DIAL, 5_000)).toBe(`127.0.0.1:${standby}`);
    await expect(
      findActiveCoordinator([`127.0.0.1:${standby}`, `127.0.0.1:${standby}`], PLAINTEXT_DIAL, 300),
    ).rejects.toThrow(/no coordinator answers/);
  });

  it('moves the node to the standby once the active one is gone and the standby answers', async () => {
    const first = await listen();
    const secondPort = await silentPort();
    const dialer = new CoordinatorDialer([`127.0.0.1:${first.port}`, `127.0.0.1:${secondPort}`], PLAINTEXT_DIAL);
    try {
      await dialer.connect(5_000);
      expect(dialer.address).toBe(`127.0.0.1:${first.port}`);
      first.server.forceShutdown();
      // As in the node: it dials again once its stream (and so its channel) saw the coordinator go.
      const channel = dialer.cluster.getChannel();
      while (channel.getConnectivityState(false) === connectivityState.READY)
        await new Promise<void>((resolve) =>
          channel.watchConnectivityState(connectivityState.READY, Date.now() + 5_000, () => resolve()),
        );
      const connecting = dialer.connect(10_000);
      await listen(secondPort);
      await connecting;
      expect(dialer.address).toBe(`127.0.0.1:${secondPort}`);
    } finally {
      dialer.close();
    }
  });
});
