// Engines for the back end: one engine process per base model (its own queue, its own crash),
// started on first use, stopped when idle for a while or when memory runs low. Every change of an
// engine's state (loading, ready, stopped) is reported, so a page shows the load as its own phase
// and Settings shows the engine in use without a reload.
import { freemem, totalmem } from 'node:os';
import { EngineClient, type Answer } from '../engine/client.ts';
import type { AskOptions, AskRow } from '../engine/engine.ts';
import { packsOnOpen, type SessionOptions } from '../engine/session.ts';
import type { ScoreInput, ScoreResult } from '../engine/score.ts';
import type { EngineView } from '../../shared/api.ts';

const IDLE_MS = 10 * 60 * 1000;
const LOW_MEMORY = 0.1; // share of RAM still free below which idle engines are stopped

interface Entry {
  client: EngineClient;
  dir: string;
  lastUsed: number;
  busy: number;
  provider?: string;
  /** The load under way or done; the first ask starts it. */
  loading?: Promise<{ provider: string; loadMs: number | null }>;
  view: EngineView;
}

export class EnginePool {
  private readonly engines = new Map<string, Entry>();
  private readonly timer: NodeJS.Timeout;
  lastProvider: string | undefined;

  constructor(
    private readonly kind: 'thread' | 'process' = 'process',
    private readonly options: () => SessionOptions = () => ({}),
    private readonly onCrash: (modelId: string, err: Error) => void = () => {},
    private readonly onState: (engine: EngineView) => void = () => {},
  ) {
    this.timer = setInterval(() => this.sweep(), 30_000);
    this.timer.unref();
  }

  private entry(modelId: string, dir: string): Entry {
    let e = this.engines.get(modelId);
    if (!e) {
      const client = new EngineClient(this.kind);
      client.onCrash = (err) => {
        // the next ask starts a new engine
        if (this.engines.get(modelId)?.client === client) this.engines.delete(modelId);
        this.setState(modelId, { state: 'stopped', provider: null, loadMs: null });
        this.onCrash(modelId, err);
      };
      e = { client, dir, lastUsed: Date.now(), busy: 0, view: { modelId, state: 'stopped', provider: null, loadMs: null, since: new Date().toISOString() } };
      this.engines.set(modelId, e);
    }
    return e;
  }

  private setState(modelId: string, patch: Omit<EngineView, 'modelId' | 'since'>): EngineView {
    const view: EngineView = { modelId, ...patch, since: new Date().toISOString() };
    const e = this.engines.get(modelId);
    if (e) e.view = view;
    this.onState(view);
    return view;
  }

  /** Every engine held now, with its state. */
  list(): EngineView[] {
    return [...this.engines.values()].map((e) => e.view);
  }

  /** Loads the model once (timed); later asks wait for the same load. */
  private load(modelId: string, e: Entry): Promise<{ provider: string; loadMs: number | null }> {
    if (!e.loading) {
      const opts = this.options();
      const packing = packsOnOpen(e.dir, opts);
      this.setState(modelId, { state: 'loading', provider: null, loadMs: null, ...(packing ? { packing } : {}) });
      const started = performance.now();
      e.loading = e.client.load(e.dir, opts).then(
        (info) => {
          const loadMs = Math.round(performance.now() - started);
          e.provider = this.lastProvider = info.provider;
          this.setState(modelId, { state: 'ready', provider: info.provider, loadMs });
          return { provider: info.provider, loadMs };
        },
        (err: unknown) => {
          e.loading = undefined;
          this.setState(modelId, { state: 'stopped', provider: null, loadMs: null });
          throw err;
        },
      );
      return e.loading;
    }
    // Already loaded (or loading for another ask): this answer did not wait for a load of its own.
    return e.loading.then((r) => ({ ...r, loadMs: null }));
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
        const info = await this.load(modelId, e);
        const loaded = info.loadMs === null ? {} : { loadMs: info.loadMs };
        if (cancelled) return { rows: rows.map(() => ({ text: '', tokens: [], finishReason: 'cancelled' as const, promptTokens: 0 })), stats: { promptTokens: 0, generatedTokens: 0, ttftMs: 0, promptTokensPerSec: 0, decodeTokensPerSec: 0, totalMs: 0, provider: info.provider, ...loaded } };
        inner = e.client.ask(dir, rows, opts, onToken);
        const answer = await inner.result;
        // The pool's own measure: a load counts for the answer that waited for it, and no other.
        return { ...answer, stats: { ...answer.stats, loadMs: info.loadMs ?? undefined } };
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

  /** Teacher-forced scoring on the model's engine (loaded on first use, like ask). */
  async score(modelId: string, dir: string, input: ScoreInput): Promise<ScoreResult> {
    const e = this.entry(modelId, dir);
    e.lastUsed = Date.now();
    e.busy++;
    try {
      await this.load(modelId, e);
      return await e.client.score(dir, input);
    } finally {
      e.busy--;
      e.lastUsed = Date.now();
    }
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
    this.setState(modelId, { state: 'stopped', provider: null, loadMs: null });
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.engines.keys()].map((id) => this.stop(id)));
  }
}
