// Batch evaluations behind the API: start, watch, cancel, resume, read. One runner per active run;
// its progress (items done, rate, ETA) goes out as `eval` events after every batch. A run left
// 'running' by a crash or a quit is shown as paused (with why) and resumes where it stopped.
import type { EvalGradeView, EvalItemFilter, EvalItemView, EvalMethod, EvalProgressView, EvalRequest, EvalResults, EvalRunView } from '../../../shared/api.ts';
import { required, UserError, type Ctx } from '../context.ts';
import { judgeFor } from '../grading/judge.ts';
import { keyFor, saveKey } from '../grading/key-binding.ts';
import type { SecretStore } from '../grading/secrets.ts';
import { openAiAgent } from './agent.ts';
import { localEngine, type EvalEngine } from './engine.ts';
import { planRun, type RunSettings } from './plan.ts';
import { remoteEngine } from './remote.ts';
import { itemViews, runResults, runView } from './results.ts';
import { EvalRunner } from './runner.ts';

interface Active {
  runner: EvalRunner;
  done: Promise<void>;
  startedAt: number;
  doneAtStart: number;
  method: EvalMethod | null;
}

export class EvalService {
  private readonly active = new Map<number, Active>();

  constructor(
    private readonly ctx: Ctx,
    private readonly secrets: SecretStore,
    opts: { recover?: boolean } = {},
  ) {
    if (opts.recover === false) return; // another process may be running it (a CLI beside the app)
    for (const r of ctx.catalog.evals.listRuns()) {
      if (r.status === 'running') ctx.catalog.evals.setStatus(r.id, 'paused', 'interrupted: Diffscope stopped while the run was under way; resume it');
    }
  }

  start(req: EvalRequest): EvalRunView {
    const { run, items } = planRun(this.ctx, req);
    const created = this.ctx.catalog.evals.createRun(run, items);
    this.ctx.emit({ type: 'catalog', what: 'evals' });
    this.launch(created.id);
    return this.get(created.id);
  }

  private engineFor(runId: number): EvalEngine {
    const run = this.ctx.catalog.evals.getRun(runId)!;
    const s = run.settings as unknown as RunSettings;
    const model = required(this.ctx.catalog.models.get(run.modelId), `model ${run.modelId}`);
    if (s.engine.kind === 'openai') return remoteEngine(this.ctx, model, { ...s.engine, apiKey: keyFor(this.ctx, this.secrets, 'engine', s.engine.baseUrl) });
    return localEngine(this.ctx, model);
  }

  private launch(id: number): void {
    const { catalog } = this.ctx;
    const s = catalog.evals.getRun(id)!.settings as unknown as RunSettings;
    const engine = this.engineFor(id);
    const judge = s.judge ? judgeFor(this.ctx, s.judge, this.secrets) : null;
    const agent = s.agent ? openAiAgent(s.agent.baseUrl, s.agent.model, keyFor(this.ctx, this.secrets, 'agent', s.agent.baseUrl)) : null;
    catalog.evals.setStatus(id, 'running');
    const active: Active = { runner: null!, done: Promise.resolve(), startedAt: Date.now(), doneAtStart: catalog.evals.progress(id).done, method: null };
    active.runner = new EvalRunner(this.ctx, id, engine, judge, (method) => {
      active.method = method;
      this.emitProgress(id);
    }, agent);
    this.active.set(id, active);
    active.done = active.runner
      .run()
      .then(
        (end) => catalog.evals.setStatus(id, end),
        (err: Error) => catalog.evals.setStatus(id, 'failed', err.message.split('\n')[0]),
      )
      .finally(async () => {
        this.active.delete(id);
        await engine.close().catch(() => {});
        this.emitProgress(id);
        this.ctx.emit({ type: 'catalog', what: 'evals' });
      });
    this.emitProgress(id);
  }

  private emitProgress(id: number): void {
    this.ctx.emit({ type: 'eval', progress: this.progress(id) });
  }

  progress(id: number): EvalProgressView {
    const run = required(this.ctx.catalog.evals.getRun(id), `eval run ${id}`);
    const p = this.ctx.catalog.evals.progress(id);
    const a = this.active.get(id);
    const seconds = a ? (Date.now() - a.startedAt) / 1000 : 0;
    const rate = a && seconds > 0 && p.done > a.doneAtStart ? (p.done - a.doneAtStart) / seconds : null;
    return {
      runId: id,
      status: run.status,
      active: a !== undefined,
      ...p,
      method: a?.method ?? null,
      itemsPerSecond: rate,
      etaSeconds: rate ? p.pending / rate : null,
    };
  }

  get(id: number): EvalRunView {
    const run = required(this.ctx.catalog.evals.getRun(id), `eval run ${id}`);
    return runView(run, this.progress(id));
  }

  list(): EvalRunView[] {
    return this.ctx.catalog.evals.listRuns().map((r) => runView(r, this.progress(r.id)));
  }

  async cancel(id: number): Promise<EvalRunView> {
    const run = required(this.ctx.catalog.evals.getRun(id), `eval run ${id}`);
    const a = this.active.get(id);
    if (a) {
      a.runner.cancel();
      await a.done;
    } else if (run.status === 'running') {
      this.ctx.catalog.evals.setStatus(id, 'paused');
    }
    return this.get(id);
  }

  resume(id: number): EvalRunView {
    const run = required(this.ctx.catalog.evals.getRun(id), `eval run ${id}`);
    if (this.active.has(id)) return this.get(id);
    this.ctx.catalog.evals.retryFailed(run.id);
    this.launch(id);
    return this.get(id);
  }

  /** Resolves when the run stops (done, paused or failed); CLI and tests. */
  async wait(id: number): Promise<EvalRunView> {
    await this.active.get(id)?.done;
    return this.get(id);
  }

  results(id: number): EvalResults {
    return runResults(this.ctx, this.get(id));
  }

  items(id: number, filter: EvalItemFilter): EvalItemView[] {
    required(this.ctx.catalog.evals.getRun(id), `eval run ${id}`);
    return itemViews(this.ctx, id, filter);
  }

  gradeItem(itemId: number, score: number, note: string | null): EvalGradeView {
    const { catalog } = this.ctx;
    const item = required(catalog.evals.item(itemId), `eval item ${itemId}`);
    if (item.status !== 'done') throw new UserError(`eval item ${itemId} has no answer yet`);
    const reference = catalog.adapters.get(item.adapterId)?.label ?? null;
    catalog.evalGrades.set({ itemId, method: 'human', score, note, reference });
    return itemViews(this.ctx, item.runId).find((i) => i.id === itemId)!.grades.find((g) => g.method === 'human')!;
  }

  async remove(id: number): Promise<void> {
    required(this.ctx.catalog.evals.getRun(id), `eval run ${id}`);
    if (this.active.has(id)) await this.cancel(id);
    this.ctx.catalog.evals.removeRun(id);
    this.ctx.emit({ type: 'catalog', what: 'evals' });
  }

  setEngineKey(key: string | null): void {
    saveKey(this.ctx, this.secrets, 'engine', key, null); // bound to the first endpoint it is used with
  }

  setAgentKey(key: string | null): void {
    saveKey(this.ctx, this.secrets, 'agent', key, null); // bound to the first endpoint it is used with
  }

  async close(): Promise<void> {
    await Promise.all([...this.active.keys()].map((id) => this.cancel(id)));
  }
}
