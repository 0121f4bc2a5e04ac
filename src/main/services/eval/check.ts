// Argument checks for the grading and evaluation methods of the API (see ../check.ts).
import { EVAL_METHODS as METHODS } from '../../../shared/types.ts';
import type { AgentConfig, AgreementScope, EvalEngineChoice, EvalItemFilter, EvalMethod, EvalRequest, EvalSelection, JudgeConfig } from '../../../shared/api.ts';
import { ArgumentError, arr, fields, int, nullable, obj, oneOf, str } from '../check.ts';

const url = (v: unknown, what: string) => {
  const s = str(v, what, 2000);
  if (!/^https?:\/\//i.test(s)) throw new ArgumentError(`${what}: expected an http(s) URL`);
  return s;
};

export const score = (v: unknown, what: string): number => {
  const n = int(v, what);
  if (n < 1 || n > 5) throw new ArgumentError(`${what}: expected 1 to 5`);
  return n;
};

export const judgeConfig = (v: unknown, what: string): JudgeConfig => {
  const o = obj(v, what);
  if (o.kind === 'local') {
    const f = fields<{ kind: 'local'; modelId: string }>(o, what, { kind: (x, w) => oneOf(x, w, ['local'] as const), modelId: (x, w) => str(x, w, 512) });
    if (!f.modelId) throw new ArgumentError(`${what}.modelId: required`);
    return { kind: 'local', modelId: f.modelId };
  }
  const f = fields<{ kind: 'openai'; baseUrl: string; model: string }>(o, what, {
    kind: (x, w) => oneOf(x, w, ['openai'] as const),
    baseUrl: url,
    model: (x, w) => str(x, w, 512),
  });
  if (!f.baseUrl || !f.model) throw new ArgumentError(`${what}: an OpenAI-compatible judge needs baseUrl and model`);
  return { kind: 'openai', baseUrl: f.baseUrl, model: f.model };
};

const selection = (v: unknown, what: string): EvalSelection =>
  fields<EvalSelection>(v, what, {
    split: (x, w) => oneOf(x, w, ['train', 'test'] as const),
    tag: (x, w) => str(x, w, 200),
    experiment: (x, w) => str(x, w, 512),
    adapterIds: (x, w) => arr(x, w, (y, ww) => str(y, ww, 512), 100_000),
    limit: int,
  });

const engine = (v: unknown, what: string): EvalEngineChoice => {
  const o = obj(v, what);
  if (o.kind === 'local') return (fields<{ kind: 'local' }>(o, what, { kind: (x, w) => oneOf(x, w, ['local'] as const) }), { kind: 'local' });
  const f = fields<Extract<EvalEngineChoice, { kind: 'openai' }>>(o, what, {
    kind: (x, w) => oneOf(x, w, ['openai'] as const),
    baseUrl: url,
    model: (x, w) => str(x, w, 512),
    loraDir: (x, w) => str(x, w, 4096),
  });
  if (!f.baseUrl) throw new ArgumentError(`${what}.baseUrl: required`);
  return { kind: 'openai', baseUrl: f.baseUrl, model: f.model, loraDir: f.loraDir };
};

const agent = (v: unknown, what: string): AgentConfig => {
  const f = fields<AgentConfig>(v, what, { baseUrl: url, model: (x, w) => str(x, w, 512), budget: int, answerTokens: int });
  if (!f.baseUrl || !f.model) throw new ArgumentError(`${what}: the agent needs baseUrl and model`);
  return { baseUrl: f.baseUrl, model: f.model, budget: f.budget, answerTokens: f.answerTokens };
};

export const evalRequest = (v: unknown, what: string): EvalRequest => {
  const f = fields<EvalRequest>(v, what, {
    modelId: (x, w) => str(x, w, 512),
    ditAdapterId: (x, w) => nullable(x, (y) => str(y, w, 512)),
    selection,
    methods: (x, w) => arr(x, w, (y, ww) => oneOf(y, ww, METHODS), METHODS.length),
    judge: (x, w) => nullable(x, (y) => judgeConfig(y, w)),
    batch: int,
    question: (x, w) => str(x, w, 10_000),
    maxTokens: int,
    customQuestion: (x, w) => str(x, w, 10_000),
    seed: int,
    engine,
    agent: (x, w) => nullable(x, (y) => agent(y, w)),
  });
  if (!f.modelId) throw new ArgumentError(`${what}.modelId: required`);
  if (!f.methods) throw new ArgumentError(`${what}.methods: required`);
  return { ...f, modelId: f.modelId, methods: f.methods, ditAdapterId: f.ditAdapterId ?? null, selection: f.selection ?? {}, judge: f.judge ?? null };
};

export const agreementScope = (v: unknown, what: string): AgreementScope =>
  fields<AgreementScope>(v ?? {}, what, { conversationId: int, evalRunId: int, judgeModel: (x, w) => str(x, w, 512) });

export const evalItemFilter = (v: unknown, what: string): EvalItemFilter =>
  fields<EvalItemFilter>(v ?? {}, what, {
    method: (x, w) => oneOf(x, w, METHODS),
    status: (x, w) => oneOf(x, w, ['pending', 'done', 'failed'] as const),
    limit: int,
    offset: int,
  });
