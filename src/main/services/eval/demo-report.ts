// The embedded demo's evaluation of every setting it ships (issue 15), as the CLI (`eval --demo`)
// and the Evaluate view both run and show it: the hidden-topic run, then one run per other
// setting (demo-settings.ts), in order. The runs are ordinary eval runs; which run measured which
// setting is kept in the catalog's settings, so the last report survives a restart, and each
// setting is shown beside the paper's published figure.
import type { DemoReportView, DemoSettingView, EvalMethod, EvalResults, JobView, JudgeConfig } from '../../../shared/api.ts';
import type { Ctx } from '../context.ts';
import { demoRequest, ensureDemo } from './demo.ts';
import { demoSettingRequests, type DemoSettingRequest } from './demo-settings.ts';
import { METHOD_ORDER } from './methods.ts';
import type { EvalService } from './service.ts';

const REPORT_KEY = 'demoReport';
interface StoredReport {
  runs: [string, number][]; // setting name, eval run id; in the order they ran
  error: string | null;
}

/** The paper's published means (PAPER.md; Qwen3-4B, the model the paper reports every setting for). */
const PAPER: Record<string, { title: string; finding: string; scores?: Partial<Record<EvalMethod, number>> }> = {
  'hidden-topic': {
    title: 'Hidden topic',
    finding: 'Qwen3-4B: base Q 1.21, 20Q 1.38, base Q + trigger 3.28, 20Q + trigger 4.73, DIT 4.76',
    scores: { base: 1.21, '20q': 1.38, trigger: 3.28, '20q-trigger': 4.73, dit: 4.76 },
  },
  'news-summary': {
    title: 'News summaries',
    finding: 'Qwen3-4B: base Q 1.00, 20Q 1.98, generated story 3.65, DIT 4.22 (gemma3-4b: 1.00, 2.25, 4.11, 4.56)',
    scores: { base: 1.0, '20q': 1.98, story: 3.65, dit: 4.22 },
  },
  'rank-generalization': { title: 'Rank generalisation', finding: 'Qwen3-4B, DIT trained on rank-1 diffs only: 4.54-4.79 on diffs of rank 2 to 64' },
  'full-finetune': {
    title: 'Full finetunes',
    finding: 'Qwen3-4B: DIT 2.75 on full finetunes (4.76 on rank-1 diffs); gemma3-4b 4.58',
    scores: { dit: 2.75 },
  },
  'topic-adapter-on-news': { title: 'Topic DIT adapter on news diffs', finding: 'no transfer between settings: about 1.1-1.25', scores: {} },
  'news-adapter-on-topic': { title: 'News DIT adapter on topic diffs', finding: 'no transfer between settings: about 1.1-1.25', scores: {} },
};

/** The rank of a `rank-generalization/rank-K` setting, else null. */
const rankOf = (name: string) => /^rank-generalization\/rank-(\d+)$/.exec(name)?.[1] ?? null;

function paperOf(name: string) {
  const rank = rankOf(name);
  if (rank) return { ...PAPER['rank-generalization'], title: `Rank generalisation: rank ${rank}` };
  return PAPER[name] ?? { title: name, finding: '' };
}

function settingView(name: string, r: EvalResults): DemoSettingView {
  const paper = paperOf(name);
  const methods = METHOD_ORDER.flatMap((m) => {
    const x = r.methods.find((y) => y.method === m);
    if (!x) return [];
    return [{ method: m, title: x.title, accuracy: x.accuracy, meanScore: x.mean, skipped: x.unavailable, paper: paper.scores?.[m] ?? null }];
  });
  const grader = r.methods.some((m) => m.grader === 'judge') ? 'judge' : 'lexical';
  return { name, title: paper.title, runId: r.run.id, status: r.run.status, n: Math.max(0, ...r.methods.map((m) => m.items)), grader, methods, paper: paper.finding };
}

export class DemoReports {
  private jobId: string | null = null; // the job of start() while it runs

  constructor(
    private readonly ctx: Ctx,
    private readonly evals: EvalService,
  ) {}

  /** The last report: every setting whose run still exists. */
  report(): DemoReportView {
    const stored = this.ctx.catalog.settings.get<StoredReport>(REPORT_KEY);
    const settings: DemoSettingView[] = [];
    for (const [name, runId] of stored?.runs ?? []) {
      if (!this.ctx.catalog.evals.getRun(runId)) continue; // removed since
      settings.push(settingView(name, this.evals.results(runId)));
    }
    return { settings, running: this.jobId !== null, error: stored?.error ?? null };
  }

  /** Starts the evaluation of every setting as a job (one at a time); the runs show as any. */
  start(judge: JudgeConfig | null): JobView {
    const under = this.ctx.jobs.list().find((j) => j.id === this.jobId);
    if (under) return under;
    const job = this.ctx.jobs.start('demo-eval', "Evaluate the demo's settings", async (handle) => {
      try {
        await this.run({ judge, onRun: async (name, runId, k, total) => {
          handle.progress(`${paperOf(name).title} (eval run ${runId})`, k, total);
          await this.evals.wait(runId);
        } });
        return null;
      } finally {
        this.jobId = null;
      }
    });
    this.jobId = job.id;
    return job;
  }

  /**
   * Imports the demo if needed, then runs every setting it ships, recording each run as it starts.
   * `hiddenRunId`: the hidden-topic run already made (the CLI's, which it exports); `onRun` waits
   * for a run (and shows its progress).
   */
  async run(opts: {
    judge: JudgeConfig | null;
    precision?: 'fp32' | 'int8' | 'int4';
    batch?: number;
    hiddenRunId?: number;
    onRun?: (name: string, runId: number, k: number, total: number) => Promise<void>;
  }): Promise<DemoReportView> {
    const { ctx, evals } = this;
    const onRun = opts.onRun ?? ((_n: string, id: number) => evals.wait(id).then(() => undefined));
    const runs: [string, number][] = [];
    const save = (error: string | null) => ctx.catalog.settings.set(REPORT_KEY, { runs, error } satisfies StoredReport);
    try {
      const demo = await ensureDemo(ctx, undefined, opts.precision ?? 'fp32');
      const hidden: DemoSettingRequest = { name: 'hidden-topic', request: demoRequest(demo, opts.batch, opts.judge) };
      const others = await demoSettingRequests(ctx, demo, undefined, opts.judge);
      const all = [hidden, ...others];
      for (const [k, s] of all.entries()) {
        const runId = k === 0 && opts.hiddenRunId !== undefined ? opts.hiddenRunId : evals.start(opts.batch === undefined ? s.request : { ...s.request, batch: opts.batch }).id;
        runs.push([s.name, runId]);
        save(null);
        await onRun(s.name, runId, k, all.length);
        const status = evals.get(runId).status;
        if (status !== 'done') throw new Error(`eval run ${runId} (${s.name}) ${status}: ${evals.get(runId).error ?? 'stopped before the end'}`);
      }
    } catch (err) {
      save((err as Error).message);
      throw err;
    }
    return this.report();
  }
}

/** The `settings` field of `eval --demo --json`: {name: {n, methods: {method: {accuracy, meanScore} | {skipped}}}}, ranks under rank-generalization.byRank. */
export function demoSettingsJson(report: DemoReportView): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const byRank: Record<string, unknown> = {};
  for (const s of report.settings) {
    const methods = Object.fromEntries(s.methods.map((m) => [m.method, m.skipped ? { skipped: m.skipped } : { accuracy: m.accuracy, meanScore: m.meanScore }]));
    const json = { n: s.n, grader: s.grader, methods };
    const rank = rankOf(s.name);
    if (rank) byRank[rank] = json;
    else out[s.name] = json;
  }
  if (Object.keys(byRank).length > 0) out['rank-generalization'] = { byRank };
  return out;
}
