// The back end's engines (one per base model), kept current by `engine` events: whether a model is
// loading (a first answer waits for it), and which execution provider answers.
import { SvelteMap } from 'svelte/reactivity';
import type { EngineView } from '../../../shared/api.ts';

export class EnginesState {
  #byModel = new SvelteMap<string, EngineView>();
  /** The engine that changed last: what "in use now" means. */
  latest = $state<EngineView | null>(null);

  /** What app.info said when the page loaded; events that came in the meantime are newer. */
  seed(engines: EngineView[] | undefined): void {
    for (const e of engines ?? []) if (!this.#byModel.has(e.modelId)) this.#byModel.set(e.modelId, e);
    if (!this.latest) this.latest = [...this.#byModel.values()].sort((a, b) => b.since.localeCompare(a.since))[0] ?? null;
  }

  update(engine: EngineView): void {
    this.#byModel.set(engine.modelId, engine);
    this.latest = engine;
    if (engine.provider) this.#lastProvider = engine.provider;
  }

  #lastProvider = $state<string | null>(null);

  of(modelId: string | null | undefined): EngineView | undefined {
    return modelId ? this.#byModel.get(modelId) : undefined;
  }

  /** The provider answering now, in words; `last` is the back end's last provider (app.info). */
  inUse(last: string | undefined): string {
    const ready = [...this.#byModel.values()].filter((e) => e.state === 'ready').sort((a, b) => b.since.localeCompare(a.since))[0];
    if (ready) return ready.provider ?? 'unknown';
    if (this.latest?.state === 'loading') return 'an engine is loading';
    // Engines stop when idle; the next answer starts one.
    const before = this.#lastProvider ?? last;
    if (before) return `none now (the last was ${before})`;
    return 'no engine started yet';
  }
}
