// Browser mode's access control: one random token per start (or DIFFSCOPE_TOKEN), accepted as
// `Authorization: Bearer TOKEN` or as the cookie that the printed URL (?token=TOKEN) sets.
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
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return null;
}

/** The token a request carries, wherever it carries it. */
export function presentedToken(req: IncomingMessage, url: URL): string | null {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  return cookie(req, COOKIE) ?? url.searchParams.get('token');
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
