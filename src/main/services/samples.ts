// Several sampled answers per condition (the Compare view's "samples"): one question asked N times
// under each condition, every answer a row of ONE engine batch with the request's temperature and
// seed (the rows share the seeded sampler, so the same request draws the same answers). Not logged.
// The distinct answers of each condition are counted: how often DIT names each topic.
import type { SampleRequest, SampleResult } from '../../shared/api.ts';
import type { ChatService } from './chat.ts';
import { UserError } from './context.ts';

export const MAX_SAMPLES = 32;
export const MAX_SAMPLE_CONDITIONS = 8;

/** Answers compared as a reader would: without case, outer spaces, inner runs of spaces and a final full stop. */
export function sameAnswerKey(answer: string): string {
  return answer.trim().replace(/\s+/g, ' ').replace(/[.!。]+$/, '').toLowerCase();
}

/** Distinct answers, most frequent first (ties: the first drawn first), each shown as first drawn. */
export function countAnswers(answers: string[]): { answer: string; count: number }[] {
  const counts = new Map<string, { answer: string; count: number; first: number }>();
  answers.forEach((a, i) => {
    const key = sameAnswerKey(a);
    const c = counts.get(key);
    if (c) c.count++;
    else counts.set(key, { answer: a.trim(), count: 1, first: i });
  });
  return [...counts.values()].sort((a, b) => b.count - a.count || a.first - b.first).map(({ answer, count }) => ({ answer, count }));
}

export async function drawSamples(chat: ChatService, req: SampleRequest): Promise<SampleResult> {
  if (!Number.isInteger(req.n) || req.n < 1 || req.n > MAX_SAMPLES) throw new UserError(`samples: n must be 1 to ${MAX_SAMPLES}, got ${req.n}`);
  if (!(req.temperature > 0 && req.temperature <= 2)) throw new UserError(`samples: temperature must be above 0 and at most 2 (0 is greedy: every sample the same), got ${req.temperature}`);
  if (!Number.isInteger(req.seed) || req.seed < 0) throw new UserError(`samples: seed must be a whole number ≥ 0, got ${req.seed}`);
  if (req.conditions.length === 0 || req.conditions.length > MAX_SAMPLE_CONDITIONS) throw new UserError(`samples: 1 to ${MAX_SAMPLE_CONDITIONS} conditions, got ${req.conditions.length}`);
  const names = new Set(req.conditions.map((c) => c.name));
  if (names.size !== req.conditions.length) throw new UserError('samples: condition names must be unique');
  if (!req.question.trim()) throw new UserError('samples: the question is empty');
  const questions = req.conditions.flatMap((c) => Array.from({ length: req.n }, () => ({ messages: [{ role: 'user' as const, content: `${c.prefix ?? ''}${req.question}` }], stack: c.stack })));
  const sampling = {
    temperature: req.temperature,
    seed: req.seed,
    ...(req.topP !== undefined ? { topP: req.topP } : {}),
    ...(req.topK !== undefined ? { topK: req.topK } : {}),
    ...(req.maxTokens !== undefined ? { maxTokens: req.maxTokens } : {}),
  };
  const { rows } = await (await chat.answerBatch(req.modelId, questions, sampling)).result;
  return {
    seed: req.seed,
    conditions: req.conditions.map((c, k) => {
      const answers = rows.slice(k * req.n, (k + 1) * req.n).map((r) => r.text);
      return { name: c.name, answers, counts: countAnswers(answers) };
    }),
  };
}
