// What the library holds: base models, diffs and DIT adapters, conversations. Refreshed by part
// when a `catalog` event says that part changed.
import type { AdapterView, AppInfo, ConversationView, DiffscopeApi, ModelView } from '../../../shared/api.ts';

/** The sidebar lists at most this many adapters; a released experiment can hold thousands. */
const ADAPTER_LIMIT = 2000;

export class CatalogState {
  info = $state<AppInfo | null>(null);
  models = $state<ModelView[]>([]);
  adapters = $state<AdapterView[]>([]);
  conversations = $state<ConversationView[]>([]);
  loaded = $state(false);

  readonly #api: DiffscopeApi;

  constructor(api: DiffscopeApi) {
    this.#api = api;
  }

  async load(): Promise<void> {
    await Promise.all([this.#info(), this.refresh('models'), this.refresh('adapters'), this.refresh('conversations')]);
    this.loaded = true;
  }

  /** What this state holds; a `catalog` event about anything else (evaluations) is not ours. */
  static readonly PARTS = ['models', 'adapters', 'conversations'] as const;

  async refresh(what: (typeof CatalogState.PARTS)[number]): Promise<void> {
    if (what === 'models') {
      this.models = await this.#api.models.list();
      await this.#info(); // whether the demo is a stand-in follows the models
    } else if (what === 'adapters') this.adapters = await this.#api.adapters.list({ limit: ADAPTER_LIMIT });
    else this.conversations = await this.#api.conversations.list();
  }

  model(id: string | null | undefined): ModelView | undefined {
    return this.models.find((m) => m.id === id);
  }

  adapter(id: string | null | undefined): AdapterView | undefined {
    return this.adapters.find((a) => a.id === id);
  }

  /** Diffs (and full finetunes) and DIT adapters that fit a base model. */
  diffsFor(modelId: string | null): AdapterView[] {
    return this.adapters.filter((a) => a.kind !== 'dit' && (!modelId || a.modelId === modelId));
  }

  ditAdaptersFor(modelId: string | null): AdapterView[] {
    return this.adapters.filter((a) => a.kind === 'dit' && (!modelId || a.modelId === modelId));
  }

  async #info(): Promise<void> {
    this.info = await this.#api.app.info();
  }
}
