/**
 * A fake coordinator for node tests: a real grpc-js server on 127.0.0.1:0 implementing Cluster
 * (records every node message per stream session, lets the test speak) and Code (serves snapshots).
 */
import { Server, ServerCredentials, type ServerDuplexStream, type ServerWritableStream } from '@grpc/grpc-js';

import {
  ClusterService,
  type CodeFile,
  CodeService,
  type CodeSnapshot,
  type CoordinatorMessage,
  type FetchCodeRequest,
  type NodeMessage,
} from '../../../src/gen/parajob/v1/parajob.js';
import { CHANNEL_OPTIONS } from '../../../src/rpc/options.js';

type Kind = NonNullable<NodeMessage['kind']>;
type ValueOf<C extends Kind['$case']> = Extract<Kind, { $case: C }>['value'];

/** One Attach stream as the fake sees it. */
export class Session {
  readonly received: NodeMessage[] = [];
  private readonly waiters = new Set<() => void>();
  ended = false;

  constructor(private readonly call: ServerDuplexStream<NodeMessage, CoordinatorMessage>) {
    call.on('data', (message: NodeMessage) => {
      this.received.push(message);
      this.wake();
    });
    call.on('end', () => {
      this.ended = true;
      this.wake();
      call.end();
    });
    call.on('error', () => {
      this.ended = true;
      this.wake();
    });
  }

  send(message: CoordinatorMessage): void {
    this.call.write(message);
  }

  /** Ends the stream from the coordinator's side (the node sees its stream end). */
  drop(): void {
    this.call.end();
  }

  /** Every received value of one kind, in order. */
  all<C extends Kind['$case']>(kind: C): ValueOf<C>[] {
    return this.received
      .filter((message) => message.kind?.$case === kind)
      .map((message) => message.kind?.value as ValueOf<C>);
  }

  /** Waits (bounded) until `check` returns something other than undefined/false, and returns it. */
  async until<T>(check: () => T | undefined | false, what: string, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value !== undefined && value !== false) return value;
      if (Date.now() > deadline) {
        throw new Error(
          `timed out waiting for ${what}; received: ${this.received.map((m) => m.kind?.$case).join(', ')}`,
        );
      }
      await new Promise<void>((resolvePromise) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolvePromise();
        };
        const timer = setTimeout(wake, Math.min(100, Math.max(1, deadline - Date.now())));
        this.waiters.add(wake);
      });
    }
  }

  private wake(): void {
    for (const wake of [...this.waiters]) wake();
  }
}

export class FakeCoordinator {
  readonly sessions: Session[] = [];
  private readonly server = new Server(CHANNEL_OPTIONS);
  private readonly snapshots = new Map<string, readonly CodeFile[]>();
  private readonly sessionWaiters = new Set<() => void>();
  port = 0;

  constructor(snapshots: readonly CodeSnapshot[] = []) {
    for (const snapshot of snapshots) this.snapshots.set(snapshot.hash, snapshot.files);
    this.server.addService(ClusterService, {
      attach: (call: ServerDuplexStream<NodeMessage, CoordinatorMessage>) => {
        this.sessions.push(new Session(call));
        for (const wake of [...this.sessionWaiters]) wake();
      },
    });
    this.server.addService(CodeService, {
      fetch: (call: ServerWritableStream<FetchCodeRequest, CodeFile>) => {
        const files = this.snapshots.get(call.request.hash);
        if (files === undefined) {
          call.destroy(Object.assign(new Error(`no snapshot ${call.request.hash}`), { code: 5 }));
          return;
        }
        for (const file of files) call.write(file);
        call.end();
      },
    });
  }

  async start(): Promise<string> {
    this.port = await new Promise<number>((resolvePromise, reject) =>
      this.server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolvePromise(port),
      ),
    );
    return `127.0.0.1:${this.port}`;
  }

  /** The `n`th (1-based) Attach session, waiting for it (bounded). */
  async session(n: number, timeoutMs = 15_000): Promise<Session> {
    const deadline = Date.now() + timeoutMs;
    while (this.sessions.length < n) {
      if (Date.now() > deadline) throw new Error(`no session #${n} within ${timeoutMs} ms`);
      await new Promise<void>((resolvePromise) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.sessionWaiters.delete(wake);
          resolvePromise();
        };
        const timer = setTimeout(wake, Math.max(1, deadline - Date.now()));
        this.sessionWaiters.add(wake);
      });
    }
    return this.sessions[n - 1] as Session;
  }

  async stop(): Promise<void> {
    await Promise.race([
      new Promise<void>((resolvePromise) => this.server.tryShutdown(() => resolvePromise())),
      new Promise<void>((resolvePromise) => setTimeout(resolvePromise, 500)),
    ]);
    this.server.forceShutdown();
  }
}
