// The demo's paper settings (issue 15): the last evaluation of every setting the embedded demo
// ships, read from the back end, and the job that runs them all again. Read again when a
// `demo-eval` job moves on and when evaluations change, while the report is shown.
import type { DemoReportView, DemoSettingView, DiffscopeApi, JobView } from '../../../../shared/api.ts';
import type { NoticesState } from '../../state/notices.svelte.ts';

export class DemoReportState {
  report = $state<DemoReportView | null>(null);
  /** The report is in the Evaluate view's detail pane (instead of a run). */
  shown = $state(false);
  starting = $state(false);

  readonly #api: DiffscopeApi;
  readonly #notices: NoticesState;

  constructor(api: DiffscopeApi, notices: NoticesState) {
    this.#api = api;
    this.#notices = notices;
  }

  async load(): Promise<void> {
    const report = await this.#notices.guard("Reading the demo's settings", () => this.#api.evals.demoReport());
    if (report) this.report = report;
  }

  async show(): Promise<void> {
    this.shown = true;
    await this.load();
  }

  /** Runs every setting again (a job; its progress shows in the jobs list and here). */
  async start(): Promise<void> {
    this.starting = true;
    await this.#notices.guard("Evaluating the demo's settings", () => this.#api.evals.runDemoReport());
    this.starting = false;
    await this.load();
  }

  /** After a job event or a change to the evaluations. */
  changed(job?: JobView): void {
    if (job && job.kind !== 'demo-eval') return;
    if (this.shown || job) void this.load();
  }
}

/** Settings as the report shows them: a table each, the ranks together in one, the cross-setting checks in one. */
export function groupSettings(settings: DemoSettingView[]): { single: DemoSettingView[]; ranks: { rank: number; setting: DemoSettingView }[]; cross: DemoSettingView[] } {
  const ranks: { rank: number; setting: DemoSettingView }[] = [];
  const single: DemoSettingView[] = [];
  const cross: DemoSettingView[] = [];
  for (const s of settings) {
    const m = /^rank-generalization\/rank-(\d+)$/.exec(s.name);
    if (m) ranks.push({ rank: Number(m[1]), setting: s });
    else if (s.name.endsWith('-adapter-on-news') || s.name.endsWith('-adapter-on-topic')) cross.push(s);
    else single.push(s);
  }
  return { single, ranks: ranks.sort((a, b) => a.rank - b.rank), cross };
}
