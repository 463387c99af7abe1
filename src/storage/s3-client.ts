/**
 * A small S3 client for what the coordinator does with object storage: list a prefix, presign GET and
 * PUT URLs for nodes, upload a file, copy and delete objects. Requests are signed with AWS Signature
 * Version 4 by `aws4` (synchronous, no dependencies: a lease is presigned while it is built) and sent
 * with Node's fetch / http; list responses are parsed with fast-xml-parser.
 *
 * Nothing here sends checksum headers beyond the SigV4 payload hash, so S3-compatible stores that do
 * not know the newer `x-amz-checksum-*` headers (MinIO, R2, Ceph, s3rver) accept every request.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

import aws4 from 'aws4';
import { XMLParser } from 'fast-xml-parser';

import { formatS3Uri, type S3Location } from './s3-location.js';
import type { S3Settings } from './s3-settings.js';

/** One object of a listing. */
export interface S3Object {
  readonly key: string;
  readonly size: number;
}

/** A request S3 answered with an error status: the status, S3's error code and message. */
export class S3RequestError extends Error {
  override readonly name = 'S3RequestError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** How long a presigned URL stays valid by default: a day, S3's own default. */
export const DEFAULT_PRESIGN_SECONDS = 86_400;
/** S3's largest presigned URL lifetime (SigV4: 7 days). */
const MAX_PRESIGN_SECONDS = 604_800;

/** RFC 3986 encoding of one path segment or query value, as SigV4 canonicalises them. */
function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** An object key as a URL path: each '/'-separated segment encoded, the slashes kept. */
function encodeKey(key: string): string {
  return key.split('/').map(encodeRfc3986).join('/');
}

const listParser = new XMLParser({
  // Keys such as "0012" or "true" stay strings; Contents is a list even with one object.
  parseTagValue: false,
  isArray: (name) => name === 'Contents',
});

export class S3Client {
  constructor(readonly settings: S3Settings) {}

  /** Origin, Host header and path (encoded) of `location`: path-style under an endpoint, else AWS virtual-host style. */
  private address(location: S3Location): { readonly origin: string; readonly host: string; readonly path: string } {
    const key = encodeKey(location.key);
    if (this.settings.endpoint !== undefined) {
      const url = new URL(this.settings.endpoint);
      const base = url.pathname.replace(/\/+$/, '');
      return { origin: url.origin, host: url.host, path: `${base}/${location.bucket}/${key}` };
    }
    // us-east-1 is the global endpoint's region; others have their own host.
    const region = this.settings.region === 'us-east-1' ? '' : `.${this.settings.region}`;
    const host = `${location.bucket}.s3${region}.amazonaws.com`;
    return { origin: `https://${host}`, host, path: `/${key}` };
  }

  /** A signed request's URL and headers (`headers` with the Authorization aws4 adds). */
  private sign(
    method: string,
    location: S3Location,
    options: { readonly query?: string; readonly headers?: Record<string, string>; readonly signQuery?: boolean },
  ): { readonly url: string; readonly headers: Record<string, string> } {
    const { origin, host, path } = this.address(location);
    const signed = aws4.sign(
      {
        host,
        method,
        path: options.query ? `${path}?${options.query}` : path,
        service: 's3',
        region: this.settings.region,
        headers: { ...options.headers },
        ...(options.signQuery ? { signQuery: true } : {}),
      },
      this.settings.credentials,
    );
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(signed.headers ?? {})) {
      // Host is set by the HTTP client from the URL.
      if (value !== undefined && name.toLowerCase() !== 'host') headers[name] = String(value);
    }
    return { url: origin + (signed.path ?? path), headers };
  }

  /**
   * A presigned URL for one `method` on `location`, valid for `expiresSeconds` from `signedAt`:
   * whoever holds it can GET (or PUT) that one object and nothing else, without credentials of their own.
   */
  presign(
    method: 'GET' | 'PUT',
    location: S3Location,
    expiresSeconds = DEFAULT_PRESIGN_SECONDS,
    signedAt: Date = new Date(),
  ): string {
    if (!Number.isInteger(expiresSeconds) || expiresSeconds < 1 || expiresSeconds > MAX_PRESIGN_SECONDS) {
      throw new RangeError(`a presigned URL lives 1–${MAX_PRESIGN_SECONDS} s, got ${expiresSeconds}`);
    }
    const date = signedAt.toISOString().replace(/[:-]|\.\d{3}/g, '');
    return this.sign(method, location, {
      query: `X-Amz-Date=${date}&X-Amz-Expires=${expiresSeconds}`,
      signQuery: true,
    }).url;
  }

  /** Sends a header-signed request; rejects with S3RequestError on an error status. */
  private async send(
    method: string,
    location: S3Location,
    options: { readonly query?: string; readonly headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const { url, headers } = this.sign(method, location, options);
    const response = await fetch(url, { method, headers });
    if (!response.ok) throw await errorOf(response, method, location);
    return response;
  }

  /**
   * Every object whose key starts with `prefix.key`, in S3's order (UTF-8 byte order of the keys),
   * across as many ListObjectsV2 pages as it takes (`pageSize` keys each; S3's default is 1000).
   */
  async list(prefix: S3Location, pageSize = 1000): Promise<S3Object[]> {
    const objects: S3Object[] = [];
    let token: string | undefined;
    for (;;) {
      const query = [
        ...(token === undefined ? [] : [`continuation-token=${encodeRfc3986(token)}`]),
        'list-type=2',
        `max-keys=${pageSize}`,
        `prefix=${encodeRfc3986(prefix.key)}`,
      ].join('&');
      const response = await this.send('GET', { bucket: prefix.bucket, key: '' }, { query });
      const page = listPageOf(await response.text(), prefix);
      objects.push(...page.objects);
      if (page.next === undefined) return objects;
      token = page.next;
    }
  }

  /** Uploads the local file `path` to `location` in one PUT (S3 takes up to 5 GiB so). */
  async putFile(location: S3Location, path: string): Promise<void> {
    const { size } = await stat(path);
    // The payload is streamed, not hashed first: SigV4's UNSIGNED-PAYLOAD, which S3 accepts over any transport.
    const { url, headers } = this.sign('PUT', location, {
      headers: { 'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD', 'Content-Length': String(size) },
    });
    await new Promise<void>((resolve, reject) => {
      const send = url.startsWith('https:') ? httpsRequest : httpRequest;
      const request = send(url, { method: 'PUT', headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(errorFromBody(status, Buffer.concat(chunks).toString('utf8'), 'PUT', location));
        });
        response.on('error', reject);
      });
      request.on('error', reject);
      const file = createReadStream(path);
      file.on('error', (error) => request.destroy(error));
      file.pipe(request);
    });
  }

  /** Puts `body` at `location`. */
  async put(location: S3Location, body: Uint8Array | string): Promise<void> {
    const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body);
    const { url, headers } = this.sign('PUT', location, {
      headers: { 'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD' },
    });
    const response = await fetch(url, { method: 'PUT', headers, body: bytes });
    if (!response.ok) throw await errorOf(response, 'PUT', location);
  }

  /** The object at `location`, whole. */
  async get(location: S3Location): Promise<Buffer> {
    const response = await this.send('GET', location);
    return Buffer.from(await response.arrayBuffer());
  }

  /** Server-side copy of `from` to `to` (CopyObject; objects up to 5 GiB). */
  async copy(from: S3Location, to: S3Location): Promise<void> {
    const source = `/${from.bucket}/${encodeKey(from.key)}`;
    const response = await this.send('PUT', to, { headers: { 'x-amz-copy-source': source } });
    // CopyObject can answer 200 with an error in its body.
    const text = await response.text();
    if (text.includes('<Error>')) throw errorFromBody(500, text, 'PUT (copy)', to);
  }

  /** Deletes `location` (S3 answers 204 whether or not it existed). */
  async delete(location: S3Location): Promise<void> {
    await this.send('DELETE', location);
  }
}

/** One ListObjectsV2 page: its objects and the next page's continuation token, if truncated. */
function listPageOf(xml: string, prefix: S3Location): { objects: S3Object[]; next: string | undefined } {
  const parsed = listParser.parse(xml) as {
    ListBucketResult?: {
      Contents?: { Key?: unknown; Size?: unknown }[];
      IsTruncated?: unknown;
      NextContinuationToken?: unknown;
    };
  };
  const result = parsed.ListBucketResult;
  if (result === undefined) throw new Error(`listing ${formatS3Uri(prefix)}: the answer is not a ListBucketResult`);
  const objects = (result.Contents ?? []).map((entry) => ({
    key: String(entry.Key ?? ''),
    size: Number(entry.Size ?? 0),
  }));
  const truncated = String(result.IsTruncated) === 'true';
  const next = truncated ? String(result.NextContinuationToken ?? '') : undefined;
  if (truncated && next === '') throw new Error(`listing ${formatS3Uri(prefix)}: truncated page without a token`);
  return { objects, next };
}

async function errorOf(response: Response, method: string, location: S3Location): Promise<S3RequestError> {
  return errorFromBody(response.status, await response.text().catch(() => ''), method, location);
}

function errorFromBody(status: number, body: string, method: string, location: S3Location): S3RequestError {
  const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1] ?? `HTTP ${status}`;
  const detail = /<Message>([^<]*)<\/Message>/.exec(body)?.[1];
  return new S3RequestError(
    status,
    code,
    `${method} ${formatS3Uri(location)}: ${code}${detail === undefined ? '' : ` (${detail})`}`,
  );
}
