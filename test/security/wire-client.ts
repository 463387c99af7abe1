/**
 * An attacker's client: built from proto/parajob/v1/parajob.proto alone (@grpc/proto-loader), no
 * parajob code, so the security tests exercise the wire exactly as an outsider would.
 */
import { fileURLToPath } from 'node:url';

import {
  type ChannelCredentials,
  type ClientDuplexStream,
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
  /** Extra channel options (e.g. message size limits of the client side). */
  readonly channelOptions?: object;
}

/** The result of a unary call: the error, or the response. */
export interface UnaryOutcome {
  readonly error: ServiceError | null;
  readonly response: Record<string, unknown>;
}

/** Clients of the three services, with the token (if any) on every call. */
export class WireClient {
  readonly jobs: GenericClient;
  readonly cluster: GenericClient;
  readonly code: GenericClient;

  constructor(
    address: string,
    private readonly options: WireOptions = {},
  ) {
    const creds = options.caPem === undefined ? credentials.createInsecure() : credentials.createSsl(options.caPem);
    const channelOptions = { 'grpc.max_send_message_length': -1, ...options.channelOptions };
    this.jobs = new (service('Jobs'))(address, creds, channelOptions);
    this.cluster = new (service('Cluster'))(address, creds, channelOptions);
    this.code = new (service('Code'))(address, creds, channelOptions);
  }

  metadata(): Metadata {
    const metadata = new Metadata();
    if (this.options.token !== undefined) metadata.set('authorization', `Bearer ${this.options.token}`);
    return metadata;
  }

  /** Calls `Jobs.<method>` and resolves with its outcome (never rejects). */
  unary(method: 'submit' | 'get' | 'list' | 'cancel', request: object, timeoutMs = 15_000): Promise<UnaryOutcome> {
    const fn = this.jobs[method] as UnaryMethod;
    return new Promise((resolve) =>
      fn.call(this.jobs, request, this.metadata(), { deadline: new Date(Date.now() + timeoutMs) }, (error, response) =>
        resolve({ error, response }),
      ),
    );
  }

  /** Opens `Cluster.Attach`. */
  attach(): ClientDuplexStream<object, Record<string, unknown>> {
    const fn = this.cluster.attach as (metadata: Metadata) => ClientDuplexStream<object, Record<string, unknown>>;
    return fn.call(this.cluster, this.metadata());
  }

  close(): void {
    this.jobs.close();
    this.cluster.close();
    this.code.close();
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
