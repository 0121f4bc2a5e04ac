// The token view's scoring (docs/token-view.md): a stored reply, or any text read as the reply to a
// question, scored teacher-forced under several stacks in one engine run. Not logged: scoring
// changes nothing in the catalog.
import type { ScoreRequest, TokenScores } from '../../shared/api.ts';
import type { ChatMessage } from '../engine/hf/tokenizer.ts';
import { MAX_TOP_K } from '../engine/score.ts';
import { required, UserError, type Ctx } from './context.ts';
import { requireModel, resolveStack } from './lookup.ts';
import { TOPIC_QUESTION } from './eval/methods.ts';

export const MAX_CONDITIONS = 8;
const DEFAULT_TOP_K = 5;

/** What is read: the model, the context the text answers, and the text. */
function source(ctx: Ctx, req: ScoreRequest): { modelId: string; messages: ChatMessage[]; text?: string; ids?: number[]; stored?: boolean } {
  const { catalog } = ctx;
  if (req.messageId !== undefined) {
    if (req.text !== undefined || req.ids !== undefined || req.question !== undefined || req.modelId !== undefined) throw new UserError('score a stored reply (messageId) or a text (modelId, text, question), not both');
    const m = required(catalog.messages.get(req.messageId), `message ${req.messageId}`);
    if (m.role !== 'assistant' || m.parentId === null || !m.modelId) throw new UserError(`message ${m.id} is not a reply`);
    if (m.text.trim() === '') throw new UserError(`reply ${m.id} has no text to score`);
    // the context the reply answered, as chat.ts built it
    const messages = catalog.messages
      .branch(m.parentId)
      .filter((x) => x.role !== 'assistant' || x.status === 'complete' || x.text !== '')
      .map((x) => ({ role: x.role, content: x.text }));
    return { modelId: m.modelId, messages, text: m.text, stored: true };
  }
  if (req.modelId === undefined) throw new UserError('name the model (modelId) whose stacks score the text, or a stored reply (messageId)');
  if (req.text !== undefined && req.ids !== undefined) throw new UserError('give the text to score or its token ids, not both');
  if (req.ids ? req.ids.length === 0 : !req.text || req.text.trim() === '') throw new UserError('the text to score is empty');
  const question = req.question ?? TOPIC_QUESTION;
  if (question.trim() === '') throw new UserError('the question is empty');
  return { modelId: requireModel(catalog, req.modelId).id, messages: [{ role: 'user', content: question }], ...(req.ids ? { ids: req.ids } : { text: req.text }) };
}

export async function scoreTokens(ctx: Ctx, req: ScoreRequest): Promise<TokenScores> {
  const { conditions } = req;
  if (conditions.length === 0) throw new UserError('give at least one condition to score under');
  if (conditions.length > MAX_CONDITIONS) throw new UserError(`at most ${MAX_CONDITIONS} conditions are scored at once, not ${conditions.length}`);
  const names = conditions.map((c) => c.name.trim());
  names.forEach((n, i) => {
    if (!n) throw new UserError(`condition ${i + 1} has no name`);
    if (names.indexOf(n) !== i) throw new UserError(`two conditions are named "${n}": names must differ`);
  });
  const topK = req.topK ?? DEFAULT_TOP_K;
  if (!Number.isInteger(topK) || topK < 0 || topK > MAX_TOP_K) throw new UserError(`top-k ${topK}: give 0 to ${MAX_TOP_K}`);
  const { modelId, messages, text, ids, stored } = source(ctx, req);
  const model = required(ctx.catalog.models.get(modelId), `model ${modelId}`);
  const checked = new Set<string>();
  const stacks = [];
  for (const [i, c] of conditions.entries()) {
    try {
      stacks.push((await resolveStack(ctx, model.id, c.stack, checked)).refs);
    } catch (err) {
      throw new UserError(`condition "${names[i]}": ${(err as Error).message}`);
    }
  }
  let result;
  try {
    result = await ctx.engines.score(model.id, model.libraryDir, { messages, text, ids, conditions: stacks, topK, restoreLeadingSpace: stored });
  } catch (err) {
    throw new UserError((err as Error).message.split('\n')[0]);
  }
  const byName = <T>(values: T[]) => Object.fromEntries(values.map((v, i) => [names[i], v]));
  return {
    modelId: model.id,
    conditions: names,
    promptTokens: result.promptTokens,
    tokens: result.tokens.map((t) => ({
      id: t.id,
      text: t.text,
      logprob: byName(t.logprob),
      kl: t.kl,
      top: byName(t.top.map((alts) => alts.map((a) => ({ id: a.id, text: a.token ?? '', logprob: a.logprob })))),
    })),
    stats: result.stats,
  };
}
