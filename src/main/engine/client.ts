// The caller's side of the engine worker: promises for loads and answers, a token callback for
// streaming, and cancel(): the worker checks the flag before each step, so at most the tokens
// already on their way to the caller still arrive.
import { Worker } from 'node:worker_threads';
import type { AskOptions, AskResult, AskRow } from './engine.ts';
import type { ModelInfo, WorkerReply, WorkerRequest } from './protocol.ts';
import type { SessionOptions } from './session.ts';

type Pending = {
  resolve: (v: never) => void;
  reject: (e: Error) => void;
  onToken?: (row: number, t: { id: number; text: string }) => void;
};

export interface Answer {
  result: Promise<AskResult>;
  cancel(): void;
}

/** The worker's entry: through tsx when running from sources, worker.js when bundled. */
function workerUrl(): URL {
  const here = import.meta.url;
  return new URL(here.endsWith('.ts') ? './worker-source.mjs' : './worker.js', here);
}

export class EngineClient {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private dead: Error | null = null;

  constructor() {
    this.worker = new Worker(workerUrl());
    this.worker.on('message', (m: WorkerReply) => this.receive(m));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`engine worker exited with code ${code}`)));
  }

  private fail(err: Error): void {
    this.dead = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private receive(m: WorkerReply): void {
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
        this.pending.delete(m.reqId);
        p.resolve(m.result as never);
        return;
      case 'unloaded':
        this.pending.delete(m.reqId);
        p.resolve(undefined as never);
        return;
    }
  }

  private request<T>(req: WorkerRequest, onToken?: Pending['onToken']): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise<T>((resolve, reject) => {
      this.pending.set(req.reqId, { resolve: resolve as (v: never) => void, reject, onToken });
      this.worker.postMessage(req);
    });
  }

  load(dir: string, options: SessionOptions = {}): Promise<ModelInfo> {
    return this.request({ op: 'load', reqId: this.nextId++, dir, options });
  }

  ask(dir: string, rows: AskRow[], options: AskOptions = {}, onToken?: Pending['onToken']): Answer {
    const cancel = new SharedArrayBuffer(4);
    const result = this.request<AskResult>({ op: 'ask', reqId: this.nextId++, dir, rows, options, cancel }, onToken);
    return { result, cancel: () => Atomics.store(new Int32Array(cancel), 0, 1) };
  }

  unload(dir: string): Promise<void> {
    return this.request({ op: 'unload', reqId: this.nextId++, dir });
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}
