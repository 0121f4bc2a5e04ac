// `diffscope serve` as a user starts it: a child process on an ephemeral port with its own data
// folder; the URL it prints gives the port and the token.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'diffscope.js');

export interface Served {
  child: ChildProcess;
  url: string; // as printed, with ?token=
  origin: string;
  token: string;
  stderr: () => string;
  call<T = unknown>(channel: string, ...args: unknown[]): Promise<T>;
  stop(): Promise<void>;
}

export async function startServe(home: string, env: NodeJS.ProcessEnv = {}): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], {
    env: { ...process.env, DIFFSCOPE_HOME: home, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve did not print its URL in 120 s; stderr:\n${err}`)), 120_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /running at (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}; stderr:\n${err}`)));
  });
  const parsed = new URL(url);
  const token = parsed.searchParams.get('token')!;
  const origin = parsed.origin;
  return {
    child,
    url,
    origin,
    token,
    stderr: () => err,
    async call<T>(channel: string, ...args: unknown[]): Promise<T> {
      const res = await fetch(`${origin}/api/${channel}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ args }),
      });
      const body = (await res.json()) as { result?: T; error?: string };
      if (!res.ok) throw new Error(`${channel}: ${res.status} ${body.error}`);
      return body.result as T;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export type ApiEventLike = { type: string; [k: string]: unknown };

/** Subscribes to the server's event stream; `until` resolves with every event up to the one it accepts. */
export async function openEvents(served: Served) {
  const res = await fetch(`${served.origin}/api/events`, { headers: { authorization: `Bearer ${served.token}` } });
  if (!res.ok) throw new Error(`events: ${res.status}`);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const seen: ApiEventLike[] = [];
  let buffer = '';
  return {
    seen,
    async until(stop: (e: ApiEventLike) => boolean): Promise<ApiEventLike[]> {
      if (seen.some(stop)) return seen;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) throw new Error('the event stream ended');
        buffer += decoder.decode(value, { stream: true });
        let i;
        let hit = false;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const data = buffer.slice(0, i).split('\n').find((l) => l.startsWith('data: '));
          buffer = buffer.slice(i + 2);
          if (!data) continue;
          const event = JSON.parse(data.slice(6)) as ApiEventLike;
          seen.push(event);
          if (stop(event)) hit = true;
        }
        if (hit) return seen;
      }
    },
    close: () => reader.cancel(),
  };
}
