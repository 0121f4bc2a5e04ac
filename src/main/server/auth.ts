// Browser mode's access control: one random token per start (or DIFFSCOPE_TOKEN), accepted as
// `Authorization: Bearer TOKEN`, or as the cookie that the printed URL (?token=TOKEN) sets. The
// query form opens the page once and sets the cookie; the API never takes it (an address with
// the token ends up in history, logs and Referer headers).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const COOKIE = 'diffscope_token';

export function newToken(env: NodeJS.ProcessEnv = process.env): string {
  return env.DIFFSCOPE_TOKEN || randomBytes(24).toString('base64url');
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookie(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k !== name) continue;
    try {
      return decodeURIComponent(v.join('='));
    } catch {
      return null; // bad percent-encoding: no token
    }
  }
  return null;
}

/** A request for the app's page (not the API): the one place the ?token= address is honoured. */
export const isPageRequest = (req: IncomingMessage, url: URL) =>
  req.method === 'GET' && !url.pathname.startsWith('/api/') && !url.pathname.startsWith('/v1/');

/** The token a request carries, wherever it carries it. */
export function presentedToken(req: IncomingMessage, url: URL): string | null {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  return cookie(req, COOKIE) ?? (isPageRequest(req, url) ? url.searchParams.get('token') : null);
}

export function isAuthorized(req: IncomingMessage, url: URL, token: string): boolean {
  const presented = presentedToken(req, url);
  return presented !== null && same(presented, token);
}

export function tokenCookie(token: string): string {
  return `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
}

/**
 * Refuses requests whose Host is not the address we listen on (DNS rebinding: a web page cannot
 * reach a loopback server under its own host name).
 */
export function hostAllowed(req: IncomingMessage, allowed: Set<string>): boolean {
  const host = (req.headers.host ?? '').toLowerCase();
  return allowed.has(host);
}

/**
 * Why a request to the API comes from another web page, or null when it does not. The cookie is
 * SameSite=Strict, but every port of 127.0.0.1 (and localhost) counts as the same site, so a page
 * served by any other local program would otherwise ride on it. Browsers name the page that
 * sent a request in Origin (on every POST, no-cors included) and Sec-Fetch-Site; scripts and
 * other tools send neither and must present the token themselves.
 */
export function crossSiteReason(req: IncomingMessage): string | null {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `a ${site} page may not call this server`;
  const origin = req.headers.origin;
  if (origin === undefined) return null;
  let host: string;
  try {
    const u = new URL(origin);
    host = u.protocol === 'http:' ? u.host : '';
  } catch {
    host = ''; // "null" (a sandboxed frame, a file) or garbage
  }
  // same origin: the page was served by the host this request is addressed to (Host is checked)
  const self = (req.headers.host ?? '').toLowerCase();
  return self !== '' && host.toLowerCase() === self ? null : `requests from ${origin} are refused (not this server's page)`;
}

/** A request body the API accepts: JSON, declared as such (a form or text/plain post is a page's trick). */
export function isJsonRequest(req: IncomingMessage): boolean {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  return type === 'application/json';
}
