// The "New evaluation" form: a draft of text fields (eval-request.ts checks them), the choices the
// catalog offers (DIT adapters, tags, experiments of the chosen base model), and how many diffs the
// selection holds. Kept in the page's state so that a draft survives switching tabs.
import type { DiffscopeApi } from '../../../../shared/api.ts';
import type { CatalogState } from '../../state/catalog.svelte.ts';
import type { JudgeState } from '../grading/judge.svelte.ts';
import type { EvalsState } from './evals.svelte.ts';
import { emptyEvalDraft, requestOf, selectionOf, type EvalDraft } from './eval-request.ts';

const distinct = (xs: (string | null)[]) => [...new Set(xs.filter((x): x is string => !!x))].sort();

export class EvalFormState {
  readonly #api: DiffscopeApi;
  readonly #catalog: CatalogState;
  readonly #judge: JudgeState;
  readonly #evals: EvalsState;
  #counted = 0;
  /** Whether the model had a DIT adapter to preselect when it was chosen. */
  #ditOffered = false;

  draft = $state<EvalDraft>(emptyEvalDraft());
  /** Diffs the selection holds (before "at most"); null while unknown. */
  count = $state<number | null>(null);

  ditAdapters = $derived.by(() => this.#catalog.ditAdaptersFor(this.draft.modelId || null));
  #diffs = $derived.by(() => this.#catalog.diffsFor(this.draft.modelId || null));
  tags = $derived(distinct(this.#diffs.flatMap((a) => a.tags)));
  experiments = $derived(distinct(this.#diffs.map((a) => a.experiment)));
  checked = $derived.by(() => requestOf(this.draft, this.#judge.config));
  /** Diffs the run will ask about. */
  chosen = $derived.by(() => {
    const limit = selectionOf(this.draft).limit;
    return this.count === null ? null : limit === undefined ? this.count : Math.min(limit, this.count);
  });
  ready = $derived.by(() => this.checked.ok && this.chosen !== 0 && !this.#evals.starting);

  constructor(api: DiffscopeApi, catalog: CatalogState, judge: JudgeState, evals: EvalsState) {
    this.#api = api;
    this.#catalog = catalog;
    this.#judge = judge;
    this.#evals = evals;
  }

  /** A base model (the chat's) and its first DIT adapter, unless the draft has them. */
  ensureModel(modelId: string | null): void {
    if (this.draft.modelId && this.#catalog.model(this.draft.modelId)) return;
    const id = modelId ?? this.#catalog.models[0]?.id;
    if (id) this.setModel(id);
  }

  setModel(modelId: string): void {
    const dit = this.#catalog.ditAdaptersFor(modelId)[0];
    this.#ditOffered = dit !== undefined;
    this.draft = { ...this.draft, modelId, ditAdapterId: dit?.id ?? '', tag: '', experiment: '' };
  }

  /** The first run imports the demo's adapters after its model: preselect its DIT adapter then. */
  adaptersChanged(): void {
    if (this.#ditOffered || !this.draft.modelId) return;
    const dit = this.#catalog.ditAdaptersFor(this.draft.modelId)[0];
    if (!dit) return;
    this.#ditOffered = true;
    this.draft.ditAdapterId = dit.id;
  }

  /** Asks the back end how many diffs match: the sidebar lists only part of a large experiment. */
  async recount(): Promise<void> {
    const { modelId, split, tag, experiment } = this.draft;
    const ticket = ++this.#counted;
    if (!modelId) {
      this.count = null;
      return;
    }
    const filter = { modelId, kind: 'diff' as const, split: split || undefined, tag: tag || undefined, experiment: experiment || undefined };
    try {
      const diffs = await this.#api.adapters.list(filter);
      if (ticket === this.#counted) this.count = diffs.length;
    } catch {
      if (ticket === this.#counted) this.count = null;
    }
  }

  /** Whether a run started. */
  async start(): Promise<boolean> {
    const checked = this.checked;
    if (!checked.ok || !this.ready) return false;
    return (await this.#evals.start(checked.request)) !== undefined;
  }
}
