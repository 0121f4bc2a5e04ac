// The Judge settings as form fields, and back: an OpenAI-compatible endpoint (base URL + model),
// a model of the catalog answering on this machine, or none (the lexical score only).
import type { JudgeConfig, JudgeView } from '../../../../shared/api.ts';

export interface JudgeFields {
  kind: 'none' | 'openai' | 'local';
  baseUrl: string;
  model: string;
  modelId: string;
}

export function toJudgeFields(judge: JudgeConfig | null, defaultModelId = ''): JudgeFields {
  if (judge?.kind === 'openai') return { kind: 'openai', baseUrl: judge.baseUrl, model: judge.model, modelId: defaultModelId };
  if (judge?.kind === 'local') return { kind: 'local', baseUrl: '', model: '', modelId: judge.modelId };
  return { kind: 'none', baseUrl: '', model: '', modelId: defaultModelId };
}

export type CheckedJudge = { ok: true; judge: JudgeConfig | null } | { ok: false; field: keyof JudgeFields; error: string };

export function fromJudgeFields(f: JudgeFields): CheckedJudge {
  if (f.kind === 'none') return { ok: true, judge: null };
  if (f.kind === 'local') return f.modelId ? { ok: true, judge: { kind: 'local', modelId: f.modelId } } : { ok: false, field: 'modelId', error: 'a model of the catalog' };
  const baseUrl = f.baseUrl.trim();
  if (!/^https?:\/\/[^\s/]+/.test(baseUrl)) return { ok: false, field: 'baseUrl', error: 'an http(s) address, e.g. https://api.openai.com/v1' };
  if (!f.model.trim()) return { ok: false, field: 'model', error: 'the model name at that endpoint' };
  return { ok: true, judge: { kind: 'openai', baseUrl, model: f.model.trim() } };
}

/** Where the stored key lives, in words; the key itself is never shown. */
export function keyStatus(view: JudgeView): string {
  if (!view.hasKey) return 'No API key stored (a local server may need none).';
  if (view.keyStorage === 'keychain') return 'An API key is stored in the system keychain. It is never shown.';
  if (view.keyStorage === 'environment') return 'The API key comes from DIFFSCOPE_JUDGE_KEY. It is never shown.';
  return 'An API key is kept for as long as Diffscope runs. It is never shown.';
}
