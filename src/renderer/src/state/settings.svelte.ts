// The person's settings (sampling defaults, execution provider, theme, blind mode), read once and
// written through settings.set. The theme is applied to the page as soon as it is known.
import type { DiffscopeApi, Settings } from '../../../shared/api.ts';
import { applyTheme } from '../lib/theme.ts';

export class SettingsState {
  value = $state<Settings | null>(null);
  blind = $derived(this.value?.blindMode ?? false);

  readonly #api: DiffscopeApi;

  constructor(api: DiffscopeApi) {
    this.#api = api;
  }

  async load(): Promise<void> {
    this.#set(await this.#api.settings.get());
  }

  async update(patch: Partial<Settings>): Promise<void> {
    this.#set(await this.#api.settings.set(patch));
  }

  #set(value: Settings): void {
    this.value = value;
    applyTheme(value.theme);
  }
}
