/**
 * Who may use the web UI: the one function that authorises an HTTP request. As Jupyter does, the
 * coordinator mints a UI token at start and prints it in the UI's URL; the first request carrying it
 * (`?token=`) gets it back as an HttpOnly, SameSite=Strict cookie, so the page's own requests and its
 * event stream need nothing in their URLs. A request may also send `Authorization: Bearer <token>`
 * (scripts, Prometheus). Credentials other than the UI token are checked by `verifier` (the
 * coordinator's token store, when it has one): as the Jobs service asks, reads need a client or viewer
 * credential and changes (cancel) a client one. An allowed request also learns its session (the
 * credential's role, and whether it may change jobs), which GET /api/session hands the page.
 *
 * Changing requests (cancel) must also come from the UI's own origin: a page elsewhere cannot make the
 * browser post with the cookie (SameSite=Strict already stops it; the Origin check is a second lock).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

import { describeRoles, type Role } from '../auth/roles.js';
import type { SessionView } from './api-types.js';

/** What a request wants to do. */
export type Access = 'read' | 'write';

/** Any credential checker: the token's role, or why it is refused. */
export interface WebTokenVerifier {
  verify(token: string): { readonly role: string } | { readonly refused: string };
}

export interface AccessPolicy {
  /** The token printed in the UI's URL (full access). */
  readonly uiToken: string;
  /** Other credentials (the coordinator's tokens); undefined: only the UI token. */
  readonly verifier?: WebTokenVerifier;
  /** The cookie that carries the token (per port: cookies do not tell ports apart). */
  readonly cookieName: string;
}

export type AccessDecision =
  | { readonly allowed: true; readonly setCookie?: string; readonly session: SessionView }
  | { readonly allowed: false; readonly status: 401 | 403; readonly message: string };

/**
 * The roles a verified credential needs for each access: what the Jobs service asks of the CLI
 * (src/auth/roles.ts; a node credential may not use the UI).
 */
const ROLES_FOR: Readonly<Record<Access, readonly Role[]>> = { read: ['client', 'viewer'], write: ['client'] };

/** Decides whether `request` may do `access` (see the module comment). */
export function authorizeRequest(policy: AccessPolicy, request: IncomingMessage, access: Access): AccessDecision {
  const fromQuery = new URL(request.url ?? '/', 'http://x').searchParams.get('token') ?? undefined;
  const token = fromQuery ?? bearerToken(request) ?? cookieValue(request, policy.cookieName);
  if (token === undefined || token === '') {
    return { allowed: false, status: 401, message: 'this needs a token: open the URL the coordinator printed' };
  }
  if (access === 'write' && !sameOrigin(request)) {
    return { allowed: false, status: 403, message: 'a changing request must come from the UI itself' };
  }
  let session: SessionView = { role: 'login token', mayChange: true };
  if (!sameSecret(token, policy.uiToken)) {
    const verified = policy.verifier?.verify(token) ?? { refused: 'unknown token' };
    if ('refused' in verified) return { allowed: false, status: 401, message: `token refused: ${verified.refused}` };
    const roles = ROLES_FOR[access];
    if (!(roles as readonly string[]).includes(verified.role)) {
      const what = access === 'read' ? 'use the web UI' : 'change jobs from the web UI';
      return {
        allowed: false,
        status: 403,
        message: `a ${verified.role} credential may not ${what} (it needs ${describeRoles(roles)})`,
      };
    }
    session = {
      role: verified.role === 'client' ? 'client' : 'viewer',
      mayChange: (ROLES_FOR.write as readonly string[]).includes(verified.role),
    };
  }
  if (fromQuery === undefined) return { allowed: true, session };
  return { allowed: true, session, setCookie: tokenCookie(policy.cookieName, token) };
}

/** The Set-Cookie value that keeps the token for the UI's later requests. */
export function tokenCookie(name: string, token: string): string {
  return `${name}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`;
}

function bearerToken(request: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

function cookieValue(request: IncomingMessage, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) {
      try {
        return decodeURIComponent(rest.join('='));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** A request without an Origin header is not from a browser page; with one, it must be this server. */
function sameOrigin(request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
