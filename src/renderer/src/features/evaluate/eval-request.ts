// The Evaluate form as text fields, and the one function that checks them and makes the API's
// EvalRequest (or names the first field that is wrong). Kept apart from the components so that
// tests can check it without a page.
import type { EvalEngineChoice, EvalMethod, EvalRequest, EvalSelection, JudgeConfig, Split } from '../../../../shared/api.ts';
import { isAgentMethod, methodUnavailable } from './methods.ts';

export interface EvalDraft {
  modelId: string;
  ditAdapterId: string; // '' : baselines only
  split: Split | '';
  tag: string;
  experiment: string;
  limit: string; // '' : every diff that matches
  methods: EvalMethod[];
  judge: 'lexical' | 'llm'; // llm: the judge configured in Settings
  batch: string;
  customQuestion: string;
  question: string; // '' : the back end's default for the experiment
  maxTokens: string;
  seed: string;
  engine: 'local' | 'openai';
  engineUrl: string;
  engineModel: string;
  loraDir: string;
  agentUrl: string; // the agent auditor's OpenAI-compatible endpoint (methods agent, agent + DIT)
  agentModel: string;
  agentBudget: string; // '' : 20 queries
}

export const DEFAULT_BATCH = 8;
export const MAX_BATCH = 256;

export function emptyEvalDraft(modelId = '', ditAdapterId = ''): EvalDraft {
  return {
    modelId,
    ditAdapterId,
    split: 'test', // the paper reports over the test diffs
    tag: '',
    experiment: '',
    limit: '',
    methods: ['dit', 'base'],
    judge: 'lexical',
    batch: String(DEFAULT_BATCH),
    customQuestion: '',
    question: '',
    maxTokens: '',
    seed: '',
    engine: 'local',
    engineUrl: '',
    engineModel: '',
    loraDir: '',
    agentUrl: '',
    agentModel: '',
    agentBudget: '',
  };
}

/** Which diffs: every filter given must hold (the back end's rule). */
export function selectionOf(d: Pick<EvalDraft, 'split' | 'tag' | 'experiment' | 'limit'>): EvalSelection {
  const s: EvalSelection = {};
  if (d.split) s.split = d.split;
  if (d.tag) s.tag = d.tag;
  if (d.experiment) s.experiment = d.experiment;
  const limit = wholeNumber(d.limit, 1, Number.MAX_SAFE_INTEGER);
  if (limit !== null && limit !== undefined) s.limit = limit;
  return s;
}

/** '' -> undefined (not given); a whole number in range -> it; anything else -> null (wrong). */
function wholeNumber(text: string, min: number, max: number): number | undefined | null {
  const t = text.trim();
  if (t === '') return undefined;
  if (!/^\d+$/.test(t)) return null;
  const n = Number(t);
  return n >= min && n <= max ? n : null;
}

export type CheckedRequest = { ok: true; request: EvalRequest } | { ok: false; field: keyof EvalDraft; error: string };

/** The methods that will run: chosen, and possible with this judge and DIT adapter. */
export function runnableMethods(d: EvalDraft, judge: JudgeConfig | null): EvalMethod[] {
  const have = { judge: d.judge === 'llm' && judge !== null, dit: d.ditAdapterId !== '' };
  return d.methods.filter((m) => methodUnavailable(m, have) === null);
}

export function requestOf(d: EvalDraft, judge: JudgeConfig | null): CheckedRequest {
  const fail = (field: keyof EvalDraft, error: string): CheckedRequest => ({ ok: false, field, error });
  if (!d.modelId) return fail('modelId', 'choose a base model');
  if (d.judge === 'llm' && !judge) return fail('judge', 'no LLM judge is configured (Settings → Judge)');
  const methods = runnableMethods(d, judge);
  if (methods.length === 0) return fail('methods', 'choose at least one method that can run');
  if (methods.includes('custom') && !d.customQuestion.trim()) return fail('customQuestion', 'the custom method needs a question');
  const batch = wholeNumber(d.batch, 1, MAX_BATCH);
  if (batch === null || batch === undefined) return fail('batch', `a whole number from 1 to ${MAX_BATCH}`);
  if (wholeNumber(d.limit, 1, Number.MAX_SAFE_INTEGER) === null) return fail('limit', 'empty, or a whole number of diffs');
  const maxTokens = wholeNumber(d.maxTokens, 1, 32768);
  if (maxTokens === null) return fail('maxTokens', 'empty, or a whole number from 1 to 32768');
  const seed = wholeNumber(d.seed, 0, 2 ** 31 - 1);
  if (seed === null) return fail('seed', 'empty, or a whole number');
  let engine: EvalEngineChoice = { kind: 'local' };
  if (d.engine === 'openai') {
    if (!/^https?:\/\/\S+$/.test(d.engineUrl.trim())) return fail('engineUrl', 'the server’s http(s) address, e.g. http://gpu-box:8000/v1');
    engine = { kind: 'openai', baseUrl: d.engineUrl.trim() };
    if (d.engineModel.trim()) engine.model = d.engineModel.trim();
    if (d.loraDir.trim()) engine.loraDir = d.loraDir.trim();
  }
  let agent: EvalRequest['agent'] = null;
  if (methods.some(isAgentMethod)) {
    if (!/^https?:\/\/\S+$/.test(d.agentUrl.trim())) return fail('agentUrl', 'the agent’s OpenAI-compatible address, e.g. http://localhost:8000/v1');
    if (!d.agentModel.trim()) return fail('agentModel', 'the model to ask at the agent’s address');
    const budget = wholeNumber(d.agentBudget, 1, 100);
    if (budget === null) return fail('agentBudget', 'empty (20), or a whole number of queries from 1 to 100');
    agent = { baseUrl: d.agentUrl.trim(), model: d.agentModel.trim(), ...(budget !== undefined ? { budget } : {}) };
  }
  const request: EvalRequest = {
    modelId: d.modelId,
    ditAdapterId: d.ditAdapterId || null,
    selection: selectionOf(d),
    methods,
    judge: d.judge === 'llm' ? judge : null,
    batch,
    engine,
  };
  if (agent) request.agent = agent;
  if (methods.includes('custom')) request.customQuestion = d.customQuestion.trim();
  if (d.question.trim()) request.question = d.question.trim();
  if (maxTokens !== undefined) request.maxTokens = maxTokens;
  if (seed !== undefined) request.seed = seed;
  return { ok: true, request };
}
