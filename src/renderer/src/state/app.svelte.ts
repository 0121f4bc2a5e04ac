// The page's state, composed once from the API object it is given. One subscription to the API's
// events fans them out: tokens to the live streams, finished messages to the chat and compare
// views, job progress to the jobs, catalog changes to the catalog.
import type { ApiEvent, DiffscopeApi, ExportFormat } from '../../../shared/api.ts';
import { ChatState } from '../features/chat/chat.svelte.ts';
import { CompareState } from '../features/compare/compare.svelte.ts';
import { ImportState } from '../features/import/import.svelte.ts';
import { downloadFile } from '../lib/download.ts';
import type { MenuCommand } from '../lib/shell.ts';
import type { ShortcutCommand } from '../lib/shortcuts.ts';
import { CatalogState } from './catalog.svelte.ts';
import { JobsState } from './jobs.svelte.ts';
import { NoticesState } from './notices.svelte.ts';
import { SettingsState } from './settings.svelte.ts';
import { StreamsState } from './streams.svelte.ts';
import { UiState } from './ui.svelte.ts';

export class AppState {
  readonly api: DiffscopeApi;
  readonly notices = new NoticesState();
  readonly streams = new StreamsState();
  readonly ui = new UiState();
  readonly catalog: CatalogState;
  readonly settings: SettingsState;
  readonly jobs: JobsState;
  readonly chat: ChatState;
  readonly compare: CompareState;
  readonly imports: ImportState;

  constructor(api: DiffscopeApi) {
    this.api = api;
    this.catalog = new CatalogState(api);
    this.settings = new SettingsState(api);
    this.jobs = new JobsState(api);
    this.chat = new ChatState(api, this.catalog, this.streams, this.notices);
    this.compare = new CompareState(api, this.chat, this.streams, this.notices);
    this.imports = new ImportState(api, this.notices);
  }

  /** Subscribes to events first (so no token is missed), then loads. Returns the unsubscribe. */
  start(): () => void {
    const off = this.api.onEvent((e) => this.#route(e));
    void this.notices.guard('Loading the catalog', async () => {
      await Promise.all([this.catalog.load(), this.settings.load(), this.jobs.load()]);
      this.chat.ensureModel();
    });
    return off;
  }

  async exportConversation(format: ExportFormat): Promise<void> {
    const id = this.chat.conversation?.id;
    if (id === undefined) {
      this.notices.info('Open a conversation to export it.');
      return;
    }
    const file = await this.notices.guard('Exporting', () => this.api.export.conversation(id, format));
    if (file) downloadFile(file);
  }

  async toggleBlindMode(): Promise<void> {
    await this.notices.guard('Changing blind mode', () => this.settings.update({ blindMode: !this.settings.blind }));
  }

  command(c: ShortcutCommand | MenuCommand): void {
    const type = typeof c === 'string' ? c : c.type;
    switch (type) {
      case 'new-chat':
        this.chat.newChat();
        this.ui.show('chat');
        this.ui.focusQuestion();
        break;
      case 'search':
        this.ui.focusSearch();
        break;
      case 'stop':
        void (this.ui.view === 'compare' ? this.compare.stop() : this.chat.stop());
        break;
      case 'toggle-blind-mode':
        void this.toggleBlindMode();
        break;
    }
    if (typeof c === 'string') return;
    if (c.type === 'import') {
      this.imports.kind = c.kind;
      if (c.path) this.imports.path = c.path;
      this.ui.show('import');
    } else if (c.type === 'export') void this.exportConversation(c.format);
    else if (c.type === 'show') this.ui.show(c.view);
    else if (c.type === 'theme') void this.notices.guard('Changing the theme', () => this.settings.update({ theme: c.theme }));
  }

  /** Events this page does not show (evaluation progress) are left alone. */
  #route(e: ApiEvent): void {
    switch (e.type) {
      case 'token':
        this.streams.append(e.messageId, e.text);
        break;
      case 'message':
        this.streams.finish(e.message);
        this.chat.upsert(e.message);
        this.compare.upsert(e.message);
        break;
      case 'job':
        this.jobs.upsert(e.job);
        break;
      case 'catalog': {
        const what = CatalogState.PARTS.find((p) => p === e.what);
        if (!what) break;
        void this.notices.guard(`Refreshing ${what}`, async () => {
          await this.catalog.refresh(what);
          if (what === 'models') this.chat.ensureModel();
        });
        break;
      }
    }
  }
}
