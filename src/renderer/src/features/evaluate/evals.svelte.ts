// Batch evaluations: the runs, kept current by `eval` progress events and `catalog` events, and
// the one run shown in detail (its results, a page of its drill-down items, the person-vs-judge
// agreement). The detail is read again after every batch of the shown run, one read at a time.
import type {
  AgreementView,
  DiffscopeApi,
  EvalExportFormat,
  EvalItemView,
  EvalMethod,
  EvalProgressView,
  EvalRequest,
  EvalResults,
  EvalRunView,
} from '../../../../shared/api.ts';
import { downloadFile } from '../../lib/download.ts';
import type { NoticesState } from '../../state/notices.svelte.ts';
import { withGrade } from '../grading/grading.ts';
import { DemoReportState } from './demo-report.svelte.ts';

/** Drill-down rows per page. */
export const ITEM_PAGE = 20;

export class EvalsState {
  runs = $state<EvalRunView[]>([]);
  selectedId = $state<number | null>(null);
  results = $state<EvalResults | null>(null);
  items = $state<EvalItemView[]>([]);
  agreement = $state<AgreementView | null>(null);
  /** The drill-down's filter and page. */
  itemMethod = $state<EvalMethod | ''>('');
  itemPage = $state(0);
  starting = $state(false);

  selected = $derived(this.runs.find((r) => r.id === this.selectedId) ?? null);
  running = $derived(this.runs.filter((r) => r.status === 'running' && r.progress.active));
  /** Items the drill-down's filter matches, from the results (the API has no count of its own). */
  itemTotal = $derived((this.results?.methods ?? []).filter((m) => !this.itemMethod || m.method === this.itemMethod).reduce((n, m) => n + m.items, 0));

  /** The demo's paper settings, shown in the detail pane instead of a run. */
  readonly demo: DemoReportState;

  readonly #api: DiffscopeApi;
  readonly #notices: NoticesState;
  #reading: Promise<void> | null = null;
  #readAgain = false;

  constructor(api: DiffscopeApi, notices: NoticesState) {
    this.#api = api;
    this.#notices = notices;
    this.demo = new DemoReportState(api, notices);
  }

  async load(): Promise<void> {
    this.runs = await this.#api.evals.list();
    if (this.selectedId === null && this.runs[0]) await this.select(this.runs[0].id);
  }

  /** After a `catalog` event about evaluations: runs were added, finished or removed. */
  async refresh(): Promise<void> {
    this.demo.changed();
    this.runs = await this.#api.evals.list();
    if (this.selectedId !== null && !this.selected) this.#clearDetail();
    else if (this.selectedId !== null) this.readDetail();
  }

  progress(p: EvalProgressView): void {
    const i = this.runs.findIndex((r) => r.id === p.runId);
    if (i < 0) {
      void this.#notices.guard('Listing the evaluations', () => this.refresh());
      return;
    }
    this.runs[i] = { ...this.runs[i]!, status: p.status, progress: p };
    if (p.runId === this.selectedId) this.readDetail();
  }

  async select(id: number): Promise<void> {
    this.demo.shown = false;
    this.selectedId = id;
    this.itemMethod = '';
    this.itemPage = 0;
    this.#clearDetail();
    this.readDetail();
    await this.#reading;
  }

  showItems(method: EvalMethod | '', page = 0): void {
    this.itemMethod = method;
    this.itemPage = Math.max(0, page);
    this.readDetail();
  }

  async start(request: EvalRequest): Promise<EvalRunView | undefined> {
    this.starting = true;
    const run = await this.#notices.guard('Starting the evaluation', () => this.#api.evals.start(request));
    this.starting = false;
    if (!run) return undefined;
    this.#upsert(run);
    await this.select(run.id);
    return run;
  }

  async cancel(id: number): Promise<void> {
    const run = await this.#notices.guard('Pausing the evaluation', () => this.#api.evals.cancel(id));
    if (run) this.#upsert(run);
  }

  async resume(id: number): Promise<void> {
    const run = await this.#notices.guard('Resuming the evaluation', () => this.#api.evals.resume(id));
    if (run) this.#upsert(run);
  }

  async remove(id: number): Promise<void> {
    if (!(await this.#notices.ok('Removing the evaluation', () => this.#api.evals.remove(id)))) return;
    this.runs = this.runs.filter((r) => r.id !== id);
    if (this.selectedId === id) {
      this.selectedId = null;
      this.#clearDetail();
    }
  }

  /** A person's grade of one item (evals.gradeItem), shown at once and counted in the agreement. */
  async gradeItem(item: EvalItemView, score: number): Promise<void> {
    const human = item.grades.find((g) => g.method === 'human');
    const grade = await this.#notices.guard('Saving the grade', () => this.#api.evals.gradeItem(item.id, score, human?.note ?? null));
    if (!grade) return;
    const i = this.items.findIndex((x) => x.id === item.id);
    if (i >= 0) this.items[i] = { ...this.items[i]!, grades: withGrade(this.items[i]!.grades, grade) };
    this.readDetail();
  }

  async download(format: EvalExportFormat): Promise<void> {
    const id = this.selectedId;
    if (id === null) return;
    const file = await this.#notices.guard('Exporting the evaluation', () => this.#api.export.evalRun(id, format));
    if (file) downloadFile(file);
  }

  /** Reads the shown run's detail again; calls while a read is under way make one more read after it. */
  readDetail(): void {
    if (this.#reading) {
      this.#readAgain = true;
      return;
    }
    this.#reading = (async () => {
      do {
        this.#readAgain = false;
        await this.#notices.guard('Reading the evaluation', () => this.#readOnce());
      } while (this.#readAgain);
      this.#reading = null;
    })();
  }

  async #readOnce(): Promise<void> {
    const id = this.selectedId;
    if (id === null) return;
    const filter = { method: this.itemMethod || undefined, limit: ITEM_PAGE, offset: this.itemPage * ITEM_PAGE };
    const [results, items, agreement] = await Promise.all([
      this.#api.evals.results(id),
      this.#api.evals.items(id, filter),
      this.#api.grades.agreement({ evalRunId: id }),
    ]);
    if (id !== this.selectedId) return; // another run was chosen meanwhile
    this.results = results;
    this.items = items;
    this.agreement = agreement;
    this.#upsert(results.run);
  }

  #upsert(run: EvalRunView): void {
    const i = this.runs.findIndex((r) => r.id === run.id);
    if (i < 0) this.runs = [run, ...this.runs];
    // A view read before the latest progress event must not put older progress back.
    else if (run.progress.done >= this.runs[i]!.progress.done || run.status !== 'running') this.runs[i] = run;
  }

  #clearDetail(): void {
    this.results = null;
    this.items = [];
    this.agreement = null;
  }
}
