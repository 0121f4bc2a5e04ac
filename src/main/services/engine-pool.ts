// Engines for the back end: one engine process per base model (its own queue, its own crash),
// started on first use, stopped when idle for a while or when memory runs low.
import { freemem, totalmem } from 'node:os';
import { EngineClient, type Answer } from '../engine/client.ts';
import type { AskOptions, AskRow } from '../engine/engine.ts';
import type { SessionOptions } from '../engine/session.ts';

const IDLE_MS = 10 * 60 * 1000;
const LOW_MEMORY = 0.1; // share of RAM still free below which idle engines are stopped

interface Entry {
  client: EngineClient;
  dir: string;
  lastUsed: number;
  busy: number;
  provider?: string;
}

export class EnginePool {
  private readonly engines = new Map<string, Entry>();
  private readonly timer: NodeJS.Timeout;
  lastProvider: string | undefined;

  constructor(
    private readonly kind: 'thread' | 'process' = 'process',
    private readonly options: () => SessionOptions = () => ({}),
    private readonly onCrash: (modelId: string, err: Error) => void = () => {},
  ) {
    this.timer = setInterval(() => this.sweep(), 30_000);
    this.timer.unref();
  }

  private entry(modelId: string, dir: string): Entry {
    let e = this.engines.get(modelId);
    if (!e) {
      const client = new EngineClient(this.kind);
      client.onCrash = (err) => this.onCrash(modelId, err);
      e = { client, dir, lastUsed: Date.now(), busy: 0 };
      this.engines.set(modelId, e);
    }
    return e;
  }

  /** Starts an answer; the engine loads on first use. */
  ask(modelId: string, dir: string, rows: AskRow[], opts: AskOptions, onToken: (row: number, t: { id: number; text: string }) => void): Answer {
    const e = this.entry(modelId, dir);
    e.lastUsed = Date.now();
    e.busy++;
    let cancelled = false;
    let inner: Answer | null = null;
    const result = (async () => {
      try {
        const info = await e.client.load(dir, this.options());
        e.provider = this.lastProvider = info.provider;
        if (cancelled) return { rows: rows.map(() => ({ text: '', tokens: [], finishReason: 'cancelled' as const, promptTokens: 0 })), stats: { promptTokens: 0, generatedTokens: 0, ttftMs: 0, promptTokensPerSec: 0, decodeTokensPerSec: 0, totalMs: 0, provider: info.provider } };
        inner = e.client.ask(dir, rows, opts, onToken);
        return await inner.result;
      } finally {
        e.busy--;
        e.lastUsed = Date.now();
      }
    })();
    return {
      result,
      cancel: () => {
        cancelled = true;
        inner?.cancel();
      },
    };
  }

  private sweep(): void {
    const now = Date.now();
    const lowMemory = freemem() / totalmem() < LOW_MEMORY;
    for (const [id, e] of this.engines) {
      if (e.busy === 0 && (lowMemory || now - e.lastUsed > IDLE_MS)) void this.stop(id);
    }
  }

  async stop(modelId: string): Promise<void> {
    const e = this.engines.get(modelId);
    if (!e) return;
    this.engines.delete(modelId);
    await e.client.close();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.engines.keys()].map((id) => this.stop(id)));
  }
}
