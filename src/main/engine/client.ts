// The caller's side of an engine host: promises for loads and answers, a token callback for
// streaming, and cancel(): the host checks for it before each step, so at most the tokens
// already on their way to the caller still arrive. The host is a worker thread (CLI) or a child
// process (server, app); if it dies, pending requests fail and the next request starts a new one.
import { fork, type ChildProcess } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import type { AskOptions, AskResult, AskRow } from './engine.ts';
import type { HostReply, HostRequest, ModelInfo } from './protocol.ts';
import type { SessionOptions } from './session.ts';
import type { ScoreInput, ScoreResult } from './score.ts';

type Pending = {
  resolve: (v: never) => void;
  reject: (e: Error) => void;
  onToken?: (row: number, t: { id: number; text: string }) => void;
};

export interface Answer {
  result: Promise<AskResult>;
  cancel(): void;
}

export type HostKind = 'thread' | 'process';

/** A running host: how to send to it, and how to stop it. */
interface Host {
  send(m: HostRequest): void;
  stop(): Promise<void>;
  pid?: number;
}

const fromSource = import.meta.url.endsWith('.ts');

/** Entry file of a host, next to this module (bundled: worker.js / engine-process.js). */
function entry(kind: HostKind): URL {
  if (fromSource) return new URL('./worker-source.mjs', import.meta.url);
  return new URL(kind === 'thread' ? './worker.js' : './engine-process.js', import.meta.url);
}

export class EngineClient {
  private host: Host | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closing = false;
  /** Called when the host dies unexpectedly (the next request starts a new one). */
  onCrash: ((err: Error) => void) | null = null;

  constructor(private readonly kind: HostKind = 'thread') {}

  private start(): Host {
    const onMessage = (m: HostReply) => this.receive(m);
    const onExit = (why: string) => {
      this.host = null;
      if (this.closing) return;
      const err = new Error(`engine ${this.kind} stopped: ${why}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      this.onCrash?.(err);
    };
    if (this.kind === 'thread') {
      const worker = new Worker(entry('thread'));
      worker.on('message', onMessage);
      worker.on('error', (err) => onExit(err.message));
      worker.on('exit', (code) => onExit(`exit code ${code}`));
      return { send: (m) => worker.postMessage(m), stop: async () => void (await worker.terminate()) };
    }
    const child: ChildProcess = fork(entry('process'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
    child.on('message', (m) => onMessage(m as HostReply));
    child.on('exit', (code, signal) => onExit(signal ? `killed by ${signal}` : `exit code ${code}`));
    return {
      pid: child.pid,
      send: (m) => child.send(m),
      stop: () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill();
        }),
    };
  }

  private receive(m: HostReply): void {
    const p = this.pending.get(m.reqId);
    if (!p) return;
    switch (m.type) {
      case 'token':
        p.onToken?.(m.row, { id: m.id, text: m.text });
        return;
      case 'error':
        this.pending.delete(m.reqId);
        p.reject(new Error(m.message));
        return;
      case 'loaded':
        this.pending.delete(m.reqId);
        p.resolve(m.info as never);
        return;
      case 'answer':
      case 'scored':
        this.pending.delete(m.reqId);
        p.resolve(m.result as never);
        return;
      case 'unloaded':
        this.pending.delete(m.reqId);
        p.resolve(undefined as never);
        return;
    }
  }

  private send(m: HostRequest): void {
    this.host ??= this.start();
    this.host.send(m);
  }

  private request<T>(req: HostRequest, onToken?: Pending['onToken']): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.set(req.reqId, { resolve: resolve as (v: never) => void, reject, onToken });
      this.send(req);
    });
  }

  /** Process id of a running child-process host (for diagnostics and crash tests). */
  get hostPid(): number | undefined {
    return this.host?.pid;
  }

  load(dir: string, options: SessionOptions = {}): Promise<ModelInfo> {
    return this.request({ op: 'load', reqId: this.nextId++, dir, options });
  }

  ask(dir: string, rows: AskRow[], options: AskOptions = {}, onToken?: Pending['onToken']): Answer {
    const reqId = this.nextId++;
    const result = this.request<AskResult>({ op: 'ask', reqId, dir, rows, options }, onToken);
    return {
      result,
      cancel: () => {
        if (this.pending.has(reqId) && this.host) this.host.send({ op: 'cancel', reqId: this.nextId++, target: reqId });
      },
    };
  }

  /** Teacher-forced scoring of a text under several stacks (engine/score.ts). */
  score(dir: string, input: ScoreInput): Promise<ScoreResult> {
    return this.request({ op: 'score', reqId: this.nextId++, dir, input });
  }

  unload(dir: string): Promise<void> {
    return this.request({ op: 'unload', reqId: this.nextId++, dir });
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.host?.stop();
    this.host = null;
  }
}
