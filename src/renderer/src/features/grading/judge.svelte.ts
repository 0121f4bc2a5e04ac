// The LLM judge the back end grades with (Settings → Judge), read once and kept here so that the
// chat's Judge button, the Evaluate form and the settings agree on whether there is one. The API
// key is never read back: only whether one is stored, and where.
import type { DiffscopeApi, JudgeConfig, JudgeView } from '../../../../shared/api.ts';

export class JudgeState {
  view = $state<JudgeView | null>(null);
  config = $derived(this.view?.judge ?? null);
  configured = $derived(this.config !== null);

  readonly #api: DiffscopeApi;

  constructor(api: DiffscopeApi) {
    this.#api = api;
  }

  async load(): Promise<void> {
    this.view = await this.#api.grades.getJudge();
  }

  async set(judge: JudgeConfig | null): Promise<void> {
    this.view = await this.#api.grades.setJudge(judge);
  }

  /** null or '' removes the stored key. */
  async setKey(key: string | null): Promise<void> {
    this.view = await this.#api.grades.setJudgeKey(key || null);
  }
}
