// FAKE `diffscope serve` for developing the renderer: the browser-mode protocol (token URL ->
// HttpOnly cookie, POST /api/<channel> {args} -> {result}|{error}, GET /api/events as SSE, the
// renderer build from out/renderer with the app's CSP) over the in-memory fake back end.
// Run by hand: `node --import tsx test/e2e/helpers/fake-server.ts [port]`.
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { createFakeBackend, type FakeOptions } from './fake-backend.ts';

const RENDERER = join(import.meta.dirname, '..', '..', '..', 'out', 'renderer');
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png' };

export interface FakeServer {
  url: string; // with ?token=
  origin: string;
  close(): Promise<void>;
}

export async function startFakeServer(port = 0, opts: FakeOptions = {}): Promise<FakeServer> {
  const backend = createFakeBackend(opts);
  const token = randomBytes(16).toString('hex');
  const streams = new Set<ServerResponse>();
  backend.onEvent((e) => streams.forEach((res) => res.write(`data: ${JSON.stringify(e)}\n\n`)));

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const authorized = (req: IncomingMessage, url: URL) =>
    (req.headers.cookie ?? '').split(';').some((c) => c.trim() === `diffscope_token=${token}`) || url.searchParams.get('token') === token;

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!authorized(req, url)) return json(res, 401, { error: 'needs the token' });
    if (url.searchParams.has('token')) {
      res.writeHead(302, { 'set-cookie': `diffscope_token=${token}; HttpOnly; SameSite=Strict; Path=/`, location: url.pathname });
      return res.end();
    }
    if (url.pathname === '/api/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write(': connected\n\n');
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    if (url.pathname.startsWith('/api/') && req.method === 'POST') {
      const [domain, method] = decodeURIComponent(url.pathname.slice(5)).split(':') as [string, string];
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      try {
        const { args } = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { args?: unknown[] };
        const fn = (backend.requests as unknown as Record<string, Record<string, (...a: unknown[]) => Promise<unknown>>>)[domain]?.[method];
        if (!fn) return json(res, 404, { error: `unknown method "${domain}:${method}"` });
        return json(res, 200, { result: (await fn(...(args ?? []))) ?? null });
      } catch (err) {
        return json(res, 400, { error: err instanceof Error ? err.message : String(err) });
      }
    }
    const rel = normalize(decodeURIComponent(url.pathname)).replace(/^[/\\]+/, '');
    const file = join(RENDERER, rel);
    const target = file.startsWith(RENDERER) && existsSync(file) && statSync(file).isFile() ? file : join(RENDERER, 'index.html');
    if (!existsSync(target)) return json(res, 404, { error: 'no renderer build: run `npx electron-vite build`' });
    res.writeHead(200, { 'content-type': TYPES[extname(target)] ?? 'application/octet-stream', 'content-security-policy': CSP });
    createReadStream(target).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    close: async () => {
      backend.close();
      for (const res of streams) res.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = await startFakeServer(Number(process.argv[2] ?? 0));
  console.log(`FAKE Diffscope is running at ${server.url}`);
}
