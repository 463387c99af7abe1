/**
 * An attacker's client: built from proto/parajob/v1/parajob.proto alone (@grpc/proto-loader), no
 * parajob code, so the security tests exercise the wire exactly as an outsider would.
 */
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';

import {
  type ChannelCredentials,
  type ClientDuplexStream,
  type ClientReadableStream,
  credentials,
  loadPackageDefinition,
  Metadata,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

const PROTO = fileURLToPath(new URL('../../proto/parajob/v1/parajob.proto', import.meta.url));

type Callback = (error: ServiceError | null, response: Record<string, unknown>) => void;
type UnaryMethod = (request: object, metadata: Metadata, options: { deadline: Date }, callback: Callback) => void;
interface GenericClient {
  [method: string]: unknown;
  close(): void;
}
type ClientConstructor = new (address: string, creds: ChannelCredentials, options?: object) => GenericClient;

const definition = loadSync(PROTO, { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true });
const v1 = (loadPackageDefinition(definition) as unknown as { parajob: { v1: Record<string, ClientConstructor> } })
  .parajob.v1;

function service(name: string): ClientConstructor {
  const constructor = v1[name];
  if (constructor === undefined) throw new Error(`parajob.v1.${name} missing from the proto`);
  return constructor;
}

export interface WireOptions {
  /** Bearer token sent as `authorization: Bearer ...`. */
  readonly token?: string;
  /** CA PEM to dial over TLS; undefined: plaintext. */
  readonly caPem?: Buffer;
  /** A client certificate and its key (PEM) to present over TLS (mutual TLS, a node certificate). */
  readonly clientCert?: { readonly keyPem: Buffer; readonly certPem: Buffer };
  /** Extra channel options (e.g. message size limits of the client side). */
  readonly channelOptions?: object;
}

/** The result of a unary call: the error, or the response. */
export interface UnaryOutcome {
  readonly error: ServiceError | null;
  readonly response: Record<string, unknown>;
}

/** Clients of the four services, with the token (if any) on every call. */
export class WireClient {
  readonly jobs: GenericClient;
  readonly cluster: GenericClient;
  readonly code: GenericClient;
  readonly assets: GenericClient;
  readonly inputs: GenericClient;

  constructor(
    address: string,
    private readonly options: WireOptions = {},
  ) {
    const creds =
      options.caPem === undefined
        ? credentials.createInsecure()
        : credentials.createSsl(options.caPem, options.clientCert?.keyPem, options.clientCert?.certPem);
    const channelOptions = { 'grpc.max_send_message_length': -1, ...options.channelOptions };
    this.jobs = new (service('Jobs'))(address, creds, channelOptions);
    this.cluster = new (service('Cluster'))(address, creds, channelOptions);
    this.code = new (service('Code'))(address, creds, channelOptions);
    this.assets = new (service('Assets'))(address, creds, channelOptions);
    this.inputs = new (service('Inputs'))(address, creds, channelOptions);
  }

  metadata(): Metadata {
    const metadata = new Metadata();
    if (this.options.token !== undefined) metadata.set('authorization', `Bearer ${this.options.token}`);
    return metadata;
  }

  /** Calls `Jobs.<method>` and resolves with its outcome (never rejects). */
  unary(method: 'submit' | 'get' | 'list' | 'cancel', request: object, timeoutMs = 15_000): Promise<UnaryOutcome> {
    return this.call(this.jobs, method, request, timeoutMs);
  }

  /** Calls `Cluster.Join` and resolves with its outcome (never rejects). */
  joinCall(request: { name: string; csrPem: string }, timeoutMs = 15_000): Promise<UnaryOutcome> {
    return this.call(this.cluster, 'join', request, timeoutMs);
  }

  /** Calls `Assets.<method>` and resolves with its outcome (never rejects). */
  assetCall(
    method: 'createComponent' | 'getComponent' | 'listComponents' | 'createData' | 'getData' | 'listData',
    request: object,
    timeoutMs = 15_000,
  ): Promise<UnaryOutcome> {
    return this.call(this.assets, method, request, timeoutMs);
  }

  private call(client: GenericClient, method: string, request: object, timeoutMs: number): Promise<UnaryOutcome> {
    const fn = client[method] as UnaryMethod;
    return new Promise((resolve) =>
      fn.call(client, request, this.metadata(), { deadline: new Date(Date.now() + timeoutMs) }, (error, response) =>
        resolve({ error, response }),
      ),
    );
  }

  /** Opens `Jobs.Watch`. */
  watch(request: object): ClientReadableStream<Record<string, unknown>> {
    const fn = this.jobs.watch as (
      request: object,
      metadata: Metadata,
    ) => ClientReadableStream<Record<string, unknown>>;
    return fn.call(this.jobs, request, this.metadata());
  }

  /** Opens `Cluster.Attach`. */
  attach(): ClientDuplexStream<object, Record<string, unknown>> {
    const fn = this.cluster.attach as (metadata: Metadata) => ClientDuplexStream<object, Record<string, unknown>>;
    return fn.call(this.cluster, this.metadata());
  }

  /** Calls `Inputs.Read` to its end: the bytes received, or the error that ended it (never rejects). */
  readInput(request: object, timeoutMs = 15_000): Promise<{ readonly error?: ServiceError; readonly data: Buffer }> {
    const fn = this.inputs.read as (
      request: object,
      metadata: Metadata,
      options: { deadline: Date },
    ) => ClientReadableStream<{ data?: Buffer }>;
    const call = fn.call(this.inputs, request, this.metadata(), { deadline: new Date(Date.now() + timeoutMs) });
    const chunks: Buffer[] = [];
    return new Promise((resolve) => {
      call.on('data', (chunk: { data?: Buffer }) => chunks.push(chunk.data ?? Buffer.alloc(0)));
      call.on('error', (error: ServiceError) => resolve({ error, data: Buffer.concat(chunks) }));
      call.on('end', () => resolve({ data: Buffer.concat(chunks) }));
    });
  }

  /**
   * Calls `Inputs.ReadFiles` to its end: each file's bytes (its parts joined) and whether it was
   * `unchanged`, or the error that ended it (never rejects).
   */
  readInputFiles(
    request: object,
    timeoutMs = 15_000,
  ): Promise<{ readonly error?: ServiceError; readonly files: Map<number, { data: Buffer; unchanged: boolean }> }> {
    const fn = this.inputs.readFiles as (
      request: object,
      metadata: Metadata,
      options: { deadline: Date },
    ) => ClientReadableStream<{ parts?: { index?: number; data?: Buffer; unchanged?: boolean }[] }>;
    const call = fn.call(this.inputs, request, this.metadata(), { deadline: new Date(Date.now() + timeoutMs) });
    const files = new Map<number, { data: Buffer; unchanged: boolean }>();
    return new Promise((resolve) => {
      call.on('data', (message: { parts?: { index?: number; data?: Buffer; unchanged?: boolean }[] }) => {
        for (const part of message.parts ?? []) {
          const index = part.index ?? 0;
          const file = files.get(index) ?? { data: Buffer.alloc(0), unchanged: false };
          files.set(index, {
            data: Buffer.concat([file.data, part.data ?? Buffer.alloc(0)]),
            unchanged: file.unchanged || part.unchanged === true,
          });
        }
      });
      call.on('error', (error: ServiceError) => resolve({ error, files }));
      call.on('end', () => resolve({ files }));
    });
  }

  close(): void {
    this.jobs.close();
    this.cluster.close();
    this.code.close();
    this.assets.close();
    this.inputs.close();
  }
}

/** The status of an Attach stream that ends (or the first message when it is accepted). */
export function firstAttachOutcome(
  stream: ClientDuplexStream<object, Record<string, unknown>>,
  timeoutMs = 15_000,
): Promise<{ readonly error?: ServiceError; readonly message?: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer on Attach within ${timeoutMs} ms`)), timeoutMs);
    stream.once('data', (message: Record<string, unknown>) => {
      clearTimeout(timer);
      resolve({ message });
    });
    stream.once('error', (error: ServiceError) => {
      clearTimeout(timer);
      resolve({ error });
    });
  });
}

/** The snapshot hash as any client computes it: sha256 over (path, mode, length, content) in path order. */
export function snapshotHash(files: readonly { path: string; mode: number; content: Buffer }[]): string {
  const hash = createHash('sha256');
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    hash.update(`${file.path}\0${file.mode}\0${file.content.length}\0`);
    hash.update(file.content);
  }
  return hash.digest('hex');
}

/**
 * A node played by hand on one Attach stream: says hello, keeps its heartbeats going (so it is not
 * lost), answers `release` with `job_left` (so a run it serves can finish), and records what it is sent.
 */
export class HandNode {
  readonly received: Record<string, unknown>[] = [];
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly waiters = new Set<() => void>();

  private constructor(readonly stream: ClientDuplexStream<object, Record<string, unknown>>) {
    stream.on('data', (message: Record<string, unknown>) => {
      this.received.push(message);
      const release = message.release as { jobId?: string } | undefined;
      if (release !== undefined) this.send({ jobLeft: { jobId: release.jobId, reason: 'released' } });
      for (const waiter of [...this.waiters]) waiter();
    });
    stream.on('error', () => this.stop());
  }

  /** Attaches with `hello` and resolves once welcomed (rejects when refused). */
  static async attach(client: WireClient, hello: object): Promise<HandNode> {
    const stream = client.attach();
    stream.write({ hello });
    const first = await firstAttachOutcome(stream);
    const welcome = first.message?.welcome as { nodeId?: string; heartbeatIntervalMs?: number } | undefined;
    if (welcome === undefined) throw new Error(`Attach refused: ${first.error?.message ?? 'no welcome'}`);
    const node = new HandNode(stream);
    node.nodeId = welcome.nodeId ?? '';
    let seq = 0;
    node.heartbeat = setInterval(
      () => node.send({ heartbeat: { seq: ++seq, sentAtMs: Date.now(), running: 0 } }),
      Math.max(50, (welcome.heartbeatIntervalMs ?? 1000) / 2),
    );
    return node;
  }

  nodeId = '';

  send(message: object): void {
    if (!this.stream.writableEnded && !this.stream.destroyed) this.stream.write(message);
  }

  /** Resolves with the first message (past or future) `match` accepts; rejects after `timeoutMs`. */
  waitFor(match: (message: Record<string, unknown>) => boolean, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.received.find(match);
        if (found === undefined) return false;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`hand node ${this.nodeId}: no matching message within ${timeoutMs} ms`));
      }, timeoutMs);
      if (!check()) this.waiters.add(check);
    });
  }

  stop(): void {
    clearInterval(this.heartbeat);
    if (!this.stream.destroyed) this.stream.cancel();
  }
}
