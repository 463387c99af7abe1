/**
 * A loopback TCP proxy that sits between nodes and the coordinator so a test (or a user rehearsing an
 * outage) can cut every connection on cue, refuse new ones for a while, then let them through again.
 * gRPC sees exactly what a network partition looks like: the stream dies, the node reconnects.
 */
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** `127.0.0.1:<port>`: give this to nodes instead of the coordinator's address. */
  readonly address: string;
  /** Connections forwarded so far (each accepted client socket counts once). */
  readonly connectionsAccepted: () => number;
  /** Destroys every open connection, both sides, at once; returns how many connections it cut. */
  cut(): number;
  /** While blocked, new connections are accepted and immediately destroyed. */
  block(): void;
  unblock(): void;
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 (a free port) forwarding to `target` (`host:port`). */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const [host, portText] = splitHostPort(target);
  const open = new Set<Socket>();
  /** The client side of each connection (open holds both sides). */
  const clients = new WeakSet<Socket>();
  let blocked = false;
  let accepted = 0;
  const server: Server = createServer((client) => {
    if (blocked) {
      client.destroy();
      return;
    }
    accepted++;
    clients.add(client);
    const upstream = connect({ host, port: Number(portText) });
    open.add(client);
    open.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address');
  return {
    address: `127.0.0.1:${address.port}`,
    connectionsAccepted: () => accepted,
    cut() {
      const connections = [...open].filter((socket) => clients.has(socket)).length;
      for (const socket of open) socket.destroy();
      open.clear();
      return connections;
    },
    block() {
      blocked = true;
    },
    unblock() {
      blocked = false;
    },
    async close() {
      for (const socket of open) socket.destroy();
      open.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function splitHostPort(address: string): [string, string] {
  const index = address.lastIndexOf(':');
  if (index < 0) throw new Error(`expected host:port, got ${address}`);
  return [address.slice(0, index), address.slice(index + 1)];
}
