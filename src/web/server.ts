/**
 * The coordinator's web UI server: the static UI, its JSON API (api.ts), the push channel
 * (push-channel.ts) and `/metrics`, over node:http (node:https when given a certificate). Every
 * request except the UI's static files is authorised by authorizeRequest (access.ts); the static
 * files hold no data, and the page shows a login form when the API answers 401.
 *
 * It listens on loopback unless told otherwise, and refuses any other address without TLS: the
 * token would cross the network in plaintext.
 */
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

import type { Logger } from 'pino';

import { isLoopbackHost } from '../auth/binding.js';
import { type Access, type AccessPolicy, authorizeRequest, type WebTokenVerifier } from './access.js';
import { type ApiAnswer, WebApi } from './api.js';
import { createWebMetrics, type WebMetrics } from './metrics.js';
import { PushChannel } from './push-channel.js';
import type { WebSource } from './source.js';
import { loadStaticFiles, type StaticFile } from './static-files.js';

export interface WebServerOptions {
  /** Interface to listen on. @default '127.0.0.1' */
  readonly host?: string;
  /** 0 = any free port. */
  readonly port: number;
  readonly source: WebSource;
  readonly logger: Logger;
  /** Credentials besides the UI token (the coordinator's token store). */
  readonly verifier?: WebTokenVerifier;
  /** Serve HTTPS with this certificate (required beyond loopback). */
  readonly tls?: { readonly keyPem: string; readonly certChainPem: string };
  /** The UI token; @default 32 random bytes, base64url. */
  readonly uiToken?: string;
  /** When `port` is taken, listen on any free port instead of failing. @default false */
  readonly anyPortIfTaken?: boolean;
  /** The built UI's files; @default loadStaticFiles() (dist/web). */
  readonly staticFiles?: ReadonlyMap<string, StaticFile>;
}

export interface WebServer {
  /** The UI's address with its token: what the coordinator prints. */
  readonly url: string;
  readonly port: number;
  readonly metrics: WebMetrics;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // The token is in the first URL: never send it on as a referrer.
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'",
} as const;

/** Starts the web UI server; resolves once it listens. */
export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host) && options.tls === undefined) {
    // A TypeError, like the gRPC binding refusal: the operator's mistake (the CLI exits 2).
    throw new TypeError(
      `the web UI may listen on ${host} (not loopback) only with TLS; keep it on 127.0.0.1 and reach it through an SSH tunnel`,
    );
  }
  const uiToken = options.uiToken ?? randomBytes(32).toString('base64url');
  const handler = new WebHandler(options, uiToken);
  const server: Server =
    options.tls === undefined
      ? createHttpServer(handler.handle)
      : createHttpsServer({ key: options.tls.keyPem, cert: options.tls.certChainPem }, handler.handle);
  try {
    await listen(server, options.port, host);
  } catch (error) {
    // The default port is taken (another coordinator on this machine): any free one, as Jupyter does.
    if (!(options.anyPortIfTaken === true && (error as NodeJS.ErrnoException).code === 'EADDRINUSE')) throw error;
    await listen(server, 0, host);
  }
  const port = (server.address() as AddressInfo).port;
  handler.setCookieName(`parajob_token_${port}`);
  const shownHost = host === '0.0.0.0' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const scheme = options.tls === undefined ? 'http' : 'https';
  options.logger.info({ host, port }, 'web UI listening');
  return {
    url: `${scheme}://${shownHost}:${port}/?token=${uiToken}`,
    port,
    metrics: handler.metrics,
    close: () =>
      new Promise<void>((resolve) => {
        handler.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Routes, authorises and answers requests (see the module comment). */
class WebHandler {
  readonly metrics: WebMetrics;
  private readonly api: WebApi;
  private readonly push: PushChannel;
  private readonly staticFiles: ReadonlyMap<string, StaticFile>;
  private policy: AccessPolicy;

  constructor(
    private readonly options: WebServerOptions,
    uiToken: string,
  ) {
    this.metrics = createWebMetrics(options.source);
    this.api = new WebApi(options.source);
    this.push = new PushChannel(options.source);
    this.staticFiles = options.staticFiles ?? loadStaticFiles();
    this.policy = {
      uiToken,
      cookieName: 'parajob_token',
      ...(options.verifier === undefined ? {} : { verifier: options.verifier }),
    };
  }

  setCookieName(name: string): void {
    this.policy = { ...this.policy, cookieName: name };
  }

  close(): void {
    this.push.close();
    this.metrics.close();
  }

  readonly handle = (request: IncomingMessage, response: ServerResponse): void => {
    this.route(request, response).catch((error: unknown) => {
      this.options.logger.error({ err: error, url: request.url }, 'web request failed');
      if (!response.headersSent) json(response, 500, { error: error instanceof Error ? error.message : String(error) });
      else response.end();
    });
  };

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://x');
    const method = request.method ?? 'GET';
    const staticFile = this.staticFiles.get(url.pathname);
    if (method === 'GET' && staticFile !== undefined) return this.serveStatic(request, response, url, staticFile);
    const access: Access = method === 'GET' || method === 'HEAD' ? 'read' : 'write';
    const decision = authorizeRequest(this.policy, request, access);
    if (!decision.allowed) return json(response, decision.status, { error: decision.message });
    if (decision.setCookie !== undefined) response.setHeader('set-cookie', decision.setCookie);
    if (url.pathname === '/metrics' && method === 'GET') {
      const text = await this.metrics.registry.metrics();
      response.writeHead(200, { ...SECURITY_HEADERS, 'content-type': this.metrics.registry.contentType });
      response.end(text);
      return;
    }
    // Who the page is: it offers cancel and rerun only to a credential that may use them.
    if (url.pathname === '/api/session' && method === 'GET') return json(response, 200, decision.session);
    if (url.pathname === '/api/events' && method === 'GET') {
      this.push.open(response, url.searchParams.get('job') ?? undefined);
      return;
    }
    const answer = await this.apiAnswer(method, url);
    json(response, answer.status, answer.body);
  }

  private async apiAnswer(method: string, url: URL): Promise<ApiAnswer> {
    const parts = url.pathname.split('/').slice(1).map(decodeSegment);
    const [api, collection, jobId, sub, stepName, stepSub] = parts;
    const query = url.searchParams;
    if (api !== 'api' || parts.includes(undefined)) return { status: 404, body: { error: 'no such route' } };
    if (method === 'GET' && parts.length === 2 && collection === 'jobs') return this.api.jobs();
    if (method === 'GET' && parts.length === 2 && collection === 'nodes') return this.api.nodes();
    if (method === 'GET' && parts.length === 2 && collection === 'pending') return this.api.pending();
    if (collection !== 'jobs' || jobId === undefined) return { status: 404, body: { error: 'no such route' } };
    if (method === 'GET' && parts.length === 3) return this.api.job(jobId);
    if (method === 'POST' && parts.length === 4 && sub === 'cancel') return this.api.cancel(jobId);
    if (method === 'POST' && parts.length === 4 && sub === 'rerun') return this.api.rerun(jobId, query);
    if (method === 'GET' && parts.length === 4 && sub === 'files') return this.api.files(jobId, query);
    if (method === 'GET' && parts.length === 4 && sub === 'file') return this.api.file(jobId, query);
    if (method === 'GET' && sub === 'steps' && stepName !== undefined) {
      if (parts.length === 5) return this.api.step(jobId, stepName);
      if (parts.length === 6 && stepSub === 'mini-batches') return this.api.miniBatches(jobId, stepName, query);
      if (parts.length === 6 && stepSub === 'timeline') return this.api.timeline(jobId, stepName, query);
      if (parts.length === 6 && stepSub === 'metrics') return this.api.metrics(jobId, stepName);
    }
    return { status: 404, body: { error: 'no such route' } };
  }

  /** A static file; with `?token=`, the token is checked, kept in a cookie and dropped from the URL. */
  private serveStatic(request: IncomingMessage, response: ServerResponse, url: URL, file: StaticFile): void {
    if (url.searchParams.has('token')) {
      const decision = authorizeRequest(this.policy, request, 'read');
      if (decision.allowed && decision.setCookie !== undefined) {
        response.writeHead(303, { ...SECURITY_HEADERS, 'set-cookie': decision.setCookie, location: url.pathname });
        response.end();
        return;
      }
    }
    response.writeHead(200, { ...SECURITY_HEADERS, 'content-type': file.contentType, 'cache-control': 'no-cache' });
    response.end(file.body);
  }
}

/** A path segment decoded; undefined when it is malformed. */
function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}
