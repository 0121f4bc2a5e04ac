// From an evaluation request to a run and its items: which diffs, which methods can run (20
// questions needs an LLM judge, DIT a DIT adapter), and the settings recorded with the run so that
// a resumed run asks exactly what the first part asked.
import type { EvalMethod, EvalRequest, EvalRunView, EvalSelection } from '../../../shared/api.ts';
import type { Adapter, NewEvalRun } from '../../catalog/index.ts';
import { required, UserError, type Ctx } from '../context.ts';
import { agentSettings } from './agent.ts';
import { METHOD_ORDER, METHODS, NEWS_MAX_TOKENS, NEWS_QUESTION, TOPIC_MAX_TOKENS, TOPIC_QUESTION } from './methods.ts';

export type RunSettings = EvalRunView['settings'];

export const DEFAULT_BATCH = 8;
const MAX_BATCH = 256;

/** The diffs a selection names: every filter given must hold. */
export function selectDiffs(ctx: Ctx, modelId: string, sel: EvalSelection): Adapter[] {
  const { catalog } = ctx;
  const filter = { modelId, kind: 'diff' as const, split: sel.split, tag: sel.tag, experiment: sel.experiment };
  let diffs: Adapter[];
  if (sel.adapterIds && sel.adapterIds.length > 0) {
    diffs = sel.adapterIds.map((id) => {
      const a = required(catalog.adapters.get(id), `adapter ${id}`);
      if (a.modelId !== modelId) throw new UserError(`adapter ${id} was imported for model ${a.modelId}, not ${modelId}`);
      if (a.kind === 'dit') throw new UserError(`adapter ${id} is a DIT adapter, not a diff`);
      return a;
    });
    diffs = diffs.filter((a) => (!sel.split || a.split === sel.split) && (!sel.tag || a.tags.includes(sel.tag)) && (!sel.experiment || a.experiment === sel.experiment));
  } else {
    diffs = catalog.adapters.list(filter);
  }
  if (sel.limit !== undefined) diffs = diffs.slice(0, sel.limit);
  if (diffs.length === 0) throw new UserError(`no diffs of model ${modelId} match ${JSON.stringify(sel)}`);
  return diffs;
}

export function planRun(ctx: Ctx, req: EvalRequest): { run: NewEvalRun; items: { adapterId: string; method: string }[] } {
  const { catalog } = ctx;
  required(catalog.models.get(req.modelId), `model ${req.modelId}`);
  if (req.ditAdapterId !== null) {
    const dit = required(catalog.adapters.get(req.ditAdapterId), `DIT adapter ${req.ditAdapterId}`);
    if (dit.kind !== 'dit') throw new UserError(`adapter ${dit.id} is a ${dit.kind}, not a DIT adapter`);
    if (dit.modelId !== req.modelId) throw new UserError(`DIT adapter ${dit.id} was imported for model ${dit.modelId}, not ${req.modelId}`);
  }
  if (req.judge?.kind === 'local') required(catalog.models.get(req.judge.modelId), `judge model ${req.judge.modelId}`);
  const methods = METHOD_ORDER.filter((m) => req.methods.includes(m));
  if (methods.length === 0) throw new UserError('choose at least one method');
  if (methods.includes('custom') && !req.customQuestion?.trim()) throw new UserError('the custom method needs a question');
  const batch = req.batch ?? DEFAULT_BATCH;
  if (!Number.isInteger(batch) || batch < 1 || batch > MAX_BATCH) throw new UserError(`batch: expected 1 to ${MAX_BATCH}, got ${batch}`);
  const diffs = selectDiffs(ctx, req.modelId, req.selection);

  const unavailable: Partial<Record<EvalMethod, string>> = {};
  for (const m of methods) {
    if (METHODS[m].needsJudge && !req.judge) unavailable[m] = `needs an LLM judge ${METHODS[m].judgeDoes ?? ''} (the lexical score cannot)`;
    if ((m === 'dit' || m === 'agent-dit') && req.ditAdapterId === null) unavailable[m] = 'needs a DIT adapter';
    if (METHODS[m].agent && !req.agent) unavailable[m] = 'needs an agent: an OpenAI-compatible endpoint with tool calling and a model';
  }
  const runnable = methods.filter((m) => !unavailable[m]);
  if (runnable.length === 0) throw new UserError(`none of the methods can run: ${Object.entries(unavailable).map(([m, why]) => `${m} ${why}`).join('; ')}`);

  const news = diffs.some((d) => /news/i.test(d.experiment ?? ''));
  const settings: RunSettings = {
    question: req.question?.trim() || (news ? NEWS_QUESTION : TOPIC_QUESTION),
    maxTokens: req.maxTokens ?? (news ? NEWS_MAX_TOKENS : TOPIC_MAX_TOKENS),
    batch,
    seed: req.seed ?? 0,
    judge: req.judge,
    engine: req.engine ?? { kind: 'local' },
    customQuestion: req.customQuestion?.trim() || null,
    unavailable,
    agent: req.agent ? agentSettings(req.agent) : null,
  };
  return {
    run: { modelId: req.modelId, ditAdapterId: req.ditAdapterId, methods, selection: { ...req.selection }, settings: { ...settings } },
    items: runnable.flatMap((method) => diffs.map((d) => ({ adapterId: d.id, method }))),
  };
}
