/**
 * A client of the coordinator's web API for tests: logs in with the printed URL (keeping the cookie
 * the server sets), reads JSON, and reads the server-sent event stream until a wanted event.
 */
import { request } from 'node:http';

export interface WebSession {
  readonly base: string;
  readonly token: string;
  readonly cookie: string;
}

/** Splits the printed URL into its base and token, and trades the token for the session cookie. */
export async function webLogin(printedUrl: string): Promise<WebSession> {
  const url = new URL(printedUrl);
  const token = url.searchParams.get('token') ?? '';
  const response = await fetch(printedUrl, { redirect: 'manual' });
  const setCookie = response.headers.get('set-cookie') ?? '';
  if (response.status !== 303 || setCookie === '') {
    throw new Error(`login with the printed URL answered ${response.status} without a cookie`);
  }
  return { base: url.origin, token, cookie: setCookie.split(';')[0] ?? '' };
}

export async function getJson<T>(session: WebSession, path: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`${session.base}${path}`, { headers: { cookie: session.cookie } });
  return { status: response.status, body: (await response.json()) as T };
}

export interface SseEvent {
  readonly event: string;
  readonly data: string;
}

/**
 * Reads `path`'s event stream until `until` accepts an event (resolving with every event so far) or
 * `timeoutMs` passes (rejecting, naming the last events).
 */
export function readEventsUntil(
  session: WebSession,
  path: string,
  until: (event: SseEvent) => boolean,
  timeoutMs: number,
): Promise<SseEvent[]> {
  return new Promise((resolve, reject) => {
    const events: SseEvent[] = [];
    const req = request(`${session.base}${path}`, { headers: { cookie: session.cookie } }, (response) => {
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event === undefined || data === undefined) continue;
          events.push({ event, data });
          if (until({ event, data })) {
            clearTimeout(timer);
            req.destroy();
            resolve(events);
            return;
          }
        }
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no wanted event within ${timeoutMs} ms; last: ${JSON.stringify(events.slice(-2))}`));
    }, timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end();
  });
}
