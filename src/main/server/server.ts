// Browser mode: the renderer build, the API over HTTP (POST /api/<channel> {args}), events over
// server-sent events (GET /api/events), and the OpenAI-compatible endpoint — all behind one
// random per-start token, on 127.0.0.1 unless asked otherwise.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiEvent } from '../../shared/api.ts';
import type { Backend } from '../services/backend.ts';
import { ArgumentError } from '../services/check.ts';
import { UserError } from '../services/context.ts';
import { crossSiteReason, hostAllowed, isAuthorized, isJsonRequest, isPageRequest, tokenCookie } from './auth.ts';
import { decodePath, HttpError, readJson, sendJson } from './http-util.ts';
import { chatCompletions, listModels } from './openai.ts';
import { loraRoutes } from './lora-routes.ts';
import { EventHub } from './sse.ts';
import { serveStatic } from './static.ts';

export interface ServeOptions {
  backend: Backend;
  token: string;
  host: string;
  port: number;
  staticDir: string | null;
}

export interface RunningServer {
  url: string; // with ?token=
  origin: string;
  port: number;
  close(): Promise<void>;
}

const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 120_000; // a whole request body (8 MB at most) from a local client

function statusOf(err: unknown): number {
  if (err instanceof HttpError) return err.status;
  if (err instanceof ArgumentError || err instanceof UserError) return 400;
  return 500;
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const hub = new EventHub<ApiEvent>();
  const unsubscribe = opts.backend.onEvent((e) => hub.publish(e));
  let allowedHosts = new Set<string>();
  // On loopback, only our own host names: a web page cannot reach us by DNS rebinding. Bound to
  // another address on purpose, any Host is accepted (the token still guards every request).
  const loopback = ['127.0.0.1', 'localhost', '::1'].includes(opts.host);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (loopback && !hostAllowed(req, allowedHosts)) throw new HttpError(403, `host "${req.headers.host}" is not this server`);
    if (!isAuthorized(req, url, opts.token)) {
      res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer' });
      res.end('401: this Diffscope server needs its token (open the URL it printed, or send Authorization: Bearer TOKEN)\n');
      return;
    }
    // the printed URL: set the cookie, then continue without the token in the address bar
    if (url.searchParams.has('token') && isPageRequest(req, url)) {
      res.writeHead(302, { 'set-cookie': tokenCookie(opts.token), location: url.pathname });
      res.end();
      return;
    }
    if (!isPageRequest(req, url)) {
      // the API: only this server's own page, or a client that is no web page at all
      const crossSite = crossSiteReason(req);
      if (crossSite) throw new HttpError(403, crossSite);
      if (req.method === 'POST' && !isJsonRequest(req)) throw new HttpError(415, 'send the request body as application/json');
    }
    if (url.pathname === '/api/events' && req.method === 'GET') return hub.attach(res);
    if (url.pathname.startsWith('/api/') && req.method === 'POST') {
      const channel = decodePath(url.pathname.slice('/api/'.length));
      const body = await readJson(req);
      if (body.args !== undefined && !Array.isArray(body.args)) throw new HttpError(400, 'args must be an array');
      const result = await opts.backend.dispatch(channel, (body.args as unknown[] | undefined) ?? []);
      return sendJson(res, 200, { result: result ?? null });
    }
    if (url.pathname === '/v1/models' && req.method === 'GET') return sendJson(res, 200, listModels(opts.backend));
    if (url.pathname === '/v1/chat/completions' && req.method === 'POST') return chatCompletions(opts.backend, req, res);
    if (await loraRoutes(opts.backend, req, res, url)) return;
    if (req.method === 'GET' && opts.staticDir && serveStatic(opts.staticDir, url.pathname, res)) return;
    throw new HttpError(404, `${req.method} ${url.pathname}: not found`);
  };

  // A client that trickles its headers holds a connection without ever showing a token: drop it
  // after HEADERS_TIMEOUT_MS (checked every second), not Node's default minute and more.
  const server: Server = createServer({ headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 1000 }, (req, res) => {
    handle(req, res).catch((err: Error) => {
      const status = statusOf(err);
      if (status === 500) process.stderr.write(`diffscope serve: ${req.method} ${req.url}: ${err.stack ?? err.message}\n`);
      if (res.headersSent) return void res.end();
      const message = err.message.split('\n')[0];
      if ((req.url ?? '').startsWith('/v1/')) sendJson(res, status, { error: { message, type: status === 500 ? 'server_error' : 'invalid_request_error' } });
      else sendJson(res, status, { error: message });
    });
  });
  // a browser tab or script may sit idle between calls for a while: keep its connection
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shown = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  allowedHosts = new Set([`${shown}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]);
  const origin = `http://${shown}:${port}`;
  return {
    url: `${origin}/?token=${encodeURIComponent(opts.token)}`,
    origin,
    port,
    close: async () => {
      unsubscribe();
      hub.closeAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}
