// The LLM judge: an OpenAI-compatible endpoint or a model of the catalog, asked greedily. It
// scores an answer against a label with the rubric (rubric.ts), and in 20 questions guesses the
// hidden topic from a transcript.
import type { JudgeConfig } from '../../../shared/api.ts';
import { required, UserError, type Ctx } from '../context.ts';
import { apiBase, chatCompletion, mapLimit } from '../openai-http.ts';
import { parseGuess, parseJudgeScore, similarityPrompt, storyHeadlinePrompt, twentyQuestionsPrompt } from './rubric.ts';
import { keyFor } from './key-binding.ts';
import type { SecretStore } from './secrets.ts';

const SCORE_TOKENS = 16;
const GUESS_TOKENS = 48;
const CONCURRENT_REQUESTS = 4;

export interface Judge {
  /** As stored with each grade (judge_model): the endpoint's model name, or the catalog model id. */
  readonly name: string;
  /** One greedy reply per prompt, in order. */
  complete(prompts: string[], maxTokens: number): Promise<string[]>;
}

export function openAiJudge(baseUrl: string, model: string, apiKey: string | null): Judge {
  const ep = { baseUrl: apiBase(baseUrl), apiKey, timeoutMs: 120_000 };
  return {
    name: model,
    complete: (prompts, maxTokens) =>
      mapLimit(prompts, CONCURRENT_REQUESTS, (content) =>
        chatCompletion(ep, { model, messages: [{ role: 'user', content }], max_tokens: maxTokens, temperature: 0, seed: 0 }),
      ),
  };
}

/** A model of the catalog as the judge, batched on this machine's engine. */
export function localJudge(ctx: Ctx, modelId: string): Judge {
  const model = required(ctx.catalog.models.get(modelId), `judge model ${modelId}`);
  return {
    name: model.id,
    complete: async (prompts, maxTokens) => {
      const rows = prompts.map((content) => ({ messages: [{ role: 'user', content }], stack: [] }));
      const { rows: out } = await ctx.engines.ask(model.id, model.libraryDir, rows, { maxTokens, sampling: { temperature: 0 } }, () => {}).result;
      return out.map((r) => r.text);
    },
  };
}

export function judgeFor(ctx: Ctx, config: JudgeConfig, secrets: SecretStore): Judge {
  if (config.kind === 'local') return localJudge(ctx, config.modelId);
  if (!config.model) throw new UserError('the judge needs a model name at its endpoint');
  return openAiJudge(config.baseUrl, config.model, keyFor(ctx, secrets, 'judge', config.baseUrl));
}

export interface JudgeGrade {
  score: 1 | 2 | 3 | 4 | 5;
  raw: string; // the judge's whole reply
  parsed: boolean; // false: not a number, scored 1
}

export async function judgeSimilarity(judge: Judge, pairs: { answer: string; label: string }[]): Promise<JudgeGrade[]> {
  if (pairs.length === 0) return [];
  const raws = await judge.complete(
    pairs.map((p) => similarityPrompt(p.answer, p.label)),
    SCORE_TOKENS,
  );
  return raws.map((raw) => ({ ...parseJudgeScore(raw), raw }));
}

export async function judgeGuesses(judge: Judge, transcripts: { question: string; answer: string }[][]): Promise<{ guess: string; raw: string }[]> {
  return guesses(judge, transcripts.map(twentyQuestionsPrompt));
}

/** The headline of each story, as the judge summarises it (the "generated story" baseline). */
export async function judgeHeadlines(judge: Judge, stories: string[]): Promise<{ guess: string; raw: string }[]> {
  return guesses(judge, stories.map(storyHeadlinePrompt));
}

async function guesses(judge: Judge, prompts: string[]): Promise<{ guess: string; raw: string }[]> {
  if (prompts.length === 0) return [];
  const raws = await judge.complete(prompts, GUESS_TOKENS);
  return raws.map((raw) => ({ guess: parseGuess(raw), raw }));
}
