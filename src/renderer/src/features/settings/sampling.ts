// The sampling form's fields as text (what inputs hold) and their checked conversion back.
import type { SamplingSettings } from '../../../../shared/api.ts';

export type SamplingFields = Record<'temperature' | 'topK' | 'topP' | 'repetitionPenalty' | 'maxTokens' | 'seed' | 'stop', string>;

export function toFields(s: SamplingSettings): SamplingFields {
  return {
    temperature: String(s.temperature),
    topK: String(s.topK),
    topP: String(s.topP),
    repetitionPenalty: String(s.repetitionPenalty),
    maxTokens: String(s.maxTokens),
    seed: s.seed === null ? '' : String(s.seed),
    stop: s.stop.join('\n'),
  };
}

/** The base model answers are asked of: an answer budget must fit its context. */
export interface ContextOf {
  name: string;
  contextTokens: number;
}

/** The settings, or the first field that is wrong and why. */
export function fromFields(
  f: SamplingFields,
  model?: ContextOf,
): { ok: true; value: SamplingSettings } | { ok: false; field: keyof SamplingFields; error: string } {
  const num = (field: keyof SamplingFields, min: number, max: number, integer = false, why = '') => {
    const v = Number(f[field].trim());
    if (f[field].trim() === '' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
      throw { field, error: `${integer ? 'a whole number' : 'a number'} from ${min} to ${max}${why}` };
    }
    return v;
  };
  // Prompt and answer share the context: the answer alone must leave room for a question.
  const maxTokens = model ? Math.min(32_768, model.contextTokens - 1) : 32_768;
  const why = model && maxTokens < 32_768 ? ` (${model.name} holds ${model.contextTokens} tokens, question and answer together)` : '';
  try {
    return {
      ok: true,
      value: {
        temperature: num('temperature', 0, 5),
        topK: num('topK', 0, 100_000, true),
        topP: num('topP', 0, 1),
        repetitionPenalty: num('repetitionPenalty', 0.5, 3),
        maxTokens: num('maxTokens', 1, maxTokens, true, why),
        seed: f.seed.trim() === '' ? null : num('seed', 0, 2 ** 32 - 1, true),
        stop: f.stop.split('\n').filter((s) => s !== ''),
      },
    };
  } catch (e) {
    const { field, error } = e as { field: keyof SamplingFields; error: string };
    return { ok: false, field, error };
  }
}
