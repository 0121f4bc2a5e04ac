// The page's state, composed once from the API object it is given. One subscription to the API's
// events fans them out: tokens to the live streams, finished messages to the chat and compare
// views, job progress to the jobs, evaluation progress to the evaluations, catalog changes to the
// catalog.
import type { ApiEvent, DiffscopeApi, ExportFormat } from '../../../shared/api.ts';
import { ChatState } from '../features/chat/chat.svelte.ts';
import { CompareState } from '../features/compare/compare.svelte.ts';
import { EvalFormState } from '../features/evaluate/eval-form.svelte.ts';
import { EvalsState } from '../features/evaluate/evals.svelte.ts';
import { JudgeState } from '../features/grading/judge.svelte.ts';
import { ImportState } from '../features/import/import.svelte.ts';
import { downloadFile } from '../lib/download.ts';
import { shell, type MenuCommand } from '../lib/shell.ts';
import type { ShortcutCommand } from '../lib/shortcuts.ts';
import { CatalogState } from './catalog.svelte.ts';
import { EnginesState } from './engines.svelte.ts';
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
  readonly engines = new EnginesState();
  readonly catalog: CatalogState;
  readonly settings: SettingsState;
  readonly jobs: JobsState;
  readonly chat: ChatState;
  readonly compare: CompareState;
  readonly imports: ImportState;
  readonly judge: JudgeState;
  readonly evals: EvalsState;
  readonly evalForm: EvalFormState;

  constructor(api: DiffscopeApi) {
    this.api = api;
    this.catalog = new CatalogState(api);
    this.settings = new SettingsState(api);
    this.jobs = new JobsState(api);
    this.chat = new ChatState(api, this.catalog, this.streams, this.notices);
    this.compare = new CompareState(api, this.chat, this.streams, this.notices, () => this.catalog.conversations);
    this.imports = new ImportState(api, this.notices, this.jobs);
    this.judge = new JudgeState(api);
    this.evals = new EvalsState(api, this.notices);
    this.evalForm = new EvalFormState(api, this.catalog, this.judge, this.evals);
  }

  /** Subscribes to events first (so no token is missed), then loads. Returns the unsubscribe. */
  start(): () => void {
    const off = this.api.onEvent((e) => this.#route(e));
    void this.notices.guard('Loading the catalog', async () => {
      await Promise.all([this.catalog.load(), this.settings.load(), this.jobs.load()]);
      this.engines.seed(this.catalog.info?.engines);
      this.#ensureModels();
    });
    // Apart from the catalog: the chat works even if these cannot be read.
    void this.notices.guard('Reading the judge settings', () => this.judge.load());
    void this.notices.guard('Listing the evaluations', () => this.evals.load());
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

  /** In the desktop app: the conversation's HTML export printed to a PDF file. */
  async exportPdf(): Promise<void> {
    const id = this.chat.conversation?.id;
    const printPdf = shell()?.printPdf;
    if (id === undefined || !printPdf) return;
    const path = await this.notices.guard('Printing to PDF', () => printPdf(id));
    if (path) this.notices.info(`Saved ${path}`);
  }

  /** Every conversation, one JSON document per line. */
  async exportAll(): Promise<void> {
    const file = await this.notices.guard('Exporting the conversations', () => this.api.export.conversations(null));
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
      case 'export-markdown':
        void this.exportConversation('md');
        break;
    }
    if (typeof c === 'string') return;
    if (c.type === 'import') {
      this.imports.kind = c.kind;
      if (c.path) this.imports.path = c.path;
      this.ui.show('import');
    } else if (c.type === 'export') void (c.format === 'pdf' ? this.exportPdf() : this.exportConversation(c.format));
    else if (c.type === 'show') this.ui.show(c.view);
    else if (c.type === 'theme') void this.notices.guard('Changing the theme', () => this.settings.update({ theme: c.theme }));
  }

  /** A base model for the chat and the Evaluate form once the catalog has one. */
  #ensureModels(): void {
    this.chat.ensureModel();
    this.evalForm.ensureModel(this.chat.draft.modelId);
  }

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
        this.evals.demo.changed(e.job);
        break;
      case 'engine':
        this.engines.update(e.engine);
        break;
      case 'eval':
        this.evals.progress(e.progress);
        break;
      case 'catalog': {
        if (e.what === 'evals') {
          void this.notices.guard('Listing the evaluations', () => this.evals.refresh());
          break;
        }
        const what = CatalogState.PARTS.find((p) => p === e.what);
        if (!what) break;
        void this.notices.guard(`Refreshing ${what}`, async () => {
          await this.catalog.refresh(what);
          if (what === 'models') this.#ensureModels();
          if (what === 'adapters') this.evalForm.adaptersChanged();
        });
        break;
      }
    }
  }
}
