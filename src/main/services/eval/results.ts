// A run as the API shows it: the run, its drill-down items (answer vs label vs grades), and the
// results table (mean and 95% CI per method, exact-topic accuracy, score histogram).
import type { EvalAgentStepView, EvalGradeView, EvalItemFilter, EvalItemView, EvalMethod, EvalMethodResult, EvalProgressView, EvalResults, EvalRunView, EvalSelection } from '../../../shared/api.ts';
import type { Adapter, EvalGrade, EvalRun } from '../../catalog/index.ts';
import type { Ctx } from '../context.ts';
import { exactTopicMatch } from '../grading/lexical.ts';
import { METHOD_ORDER, METHODS } from './methods.ts';
import type { RunSettings } from './plan.ts';
import { ci95, histogram, mean } from './stats.ts';

export function runView(run: EvalRun, progress: EvalProgressView): EvalRunView {
  return {
    id: run.id,
    modelId: run.modelId,
    ditAdapterId: run.ditAdapterId,
    methods: run.methods as EvalMethod[],
    selection: run.selection as EvalSelection,
    settings: run.settings as unknown as RunSettings,
    status: run.status,
    error: run.error,
    progress,
    createdAt: run.createdAt,
    finishedAt: run.finishedAt,
  };
}

const gradeView = (g: EvalGrade): EvalGradeView => ({
  id: g.id,
  itemId: g.itemId,
  method: g.method,
  score: g.score,
  note: g.note,
  judgeModel: g.judgeModel,
  rawAnswer: g.rawAnswer,
  createdAt: g.createdAt,
});

/** Every item of a run (or those the filter keeps), with its diff's label and all its grades. */
export function itemViews(ctx: Ctx, runId: number, filter: EvalItemFilter = {}): EvalItemView[] {
  const { catalog } = ctx;
  const items = catalog.evals.items(runId, { status: filter.status }).filter((i) => !filter.method || i.method === filter.method);
  const page = items.slice(filter.offset ?? 0, filter.limit === undefined ? undefined : (filter.offset ?? 0) + filter.limit);
  const grades = new Map<number, EvalGradeView[]>();
  for (const g of catalog.evalGrades.forRun(runId)) grades.set(g.itemId, [...(grades.get(g.itemId) ?? []), gradeView(g)]);
  const details = new Map(catalog.evals.detailsForRun(runId).map((d) => [d.itemId, d]));
  const steps = new Map<number, EvalAgentStepView[]>();
  for (const { itemId, ...st } of catalog.agentSteps.forRun(runId)) steps.set(itemId, [...(steps.get(itemId) ?? []), st]);
  const adapters = new Map<string, Adapter | undefined>();
  const adapter = (id: string) => (adapters.has(id) ? adapters.get(id) : adapters.set(id, catalog.adapters.get(id)).get(id));
  return page.map((i) => {
    const a = adapter(i.adapterId);
    const label = a?.label ?? null;
    return {
      id: i.id,
      runId: i.runId,
      adapterId: i.adapterId,
      label,
      trigger: a?.trigger ?? null,
      split: a?.split ?? null,
      method: i.method as EvalMethod,
      status: i.status,
      prompt: details.get(i.id)?.prompt ?? null,
      answer: i.answer,
      score: i.score,
      gradeMethod: i.gradeMethod,
      exact: i.answer !== null && label !== null ? exactTopicMatch(i.answer, label) : null,
      grades: grades.get(i.id) ?? [],
      transcript: details.get(i.id)?.transcript ?? null,
      agentSteps: METHODS[i.method as EvalMethod]?.agent ? (steps.get(i.id) ?? []) : null,
      error: i.error,
    };
  });
}

/**
 * Score by queries used: the mean grade of the guess each agent held after k queries, k = 1..budget.
 * An agent that stopped early keeps its last guess (graded as its final answer).
 */
export function agentCurve(items: EvalItemView[], budget: number): { queries: number; mean: number; n: number }[] {
  const done = items.filter((i) => i.status === 'done' && i.agentSteps && i.score !== null);
  if (done.length === 0) return [];
  return Array.from({ length: budget }, (_, k) => {
    const scores = done.map((i) => {
      const st = i.agentSteps!;
      return k < st.length ? st[k].score : i.score!;
    });
    return { queries: k + 1, mean: mean(scores)!, n: scores.length };
  });
}

export function methodResults(run: EvalRunView, items: EvalItemView[]): EvalMethodResult[] {
  return METHOD_ORDER.filter((m) => run.methods.includes(m)).map((method) => {
    const mine = items.filter((i) => i.method === method);
    const scores = mine.filter((i) => i.score !== null).map((i) => i.score!);
    const judged = mine.filter((i) => i.exact !== null);
    return {
      method,
      title: METHODS[method].title,
      items: mine.length,
      graded: scores.length,
      grader: run.settings.judge ? 'judge' : 'lexical',
      mean: mean(scores),
      ci95: ci95(scores),
      accuracy: judged.length === 0 ? null : judged.filter((i) => i.exact).length / judged.length,
      histogram: histogram(scores),
      unavailable: run.settings.unavailable[method] ?? null,
      curve: METHODS[method].agent ? agentCurve(mine, run.settings.agent?.budget ?? 0) : null,
    };
  });
}

export function runResults(ctx: Ctx, run: EvalRunView): EvalResults {
  return { run, methods: methodResults(run, itemViews(ctx, run.id)) };
}
