// Teacher-forced scoring (the token view, docs/token-view.md): a text read as the reply to a
// prompt under several stacks at once, each stack a row of one batch. For every token of the text:
// its log-probability under each condition, each condition's top-k alternatives, and the KL
// divergence KL(P_first || P_second) between the first two conditions' next-token distributions,
// summed over the whole vocabulary.
import type { ChatMessage } from './hf/tokenizer.ts';
import { createStreamDecoder } from './hf/tokenizer.ts';
import type { Engine, FileStackEntry } from './engine.ts';
import { forwardStep, KvCache } from './forward.ts';
import { logSoftmax, topIndices } from './sampler.ts';
import type { TokenLogprob } from './generate.ts';

export interface ScoreInput {
  messages?: ChatMessage[]; // the context, rendered with the chat template and its generation prompt
  prompt?: string; // raw text instead, no template
  text?: string; // the reply, tokenized as it continues the prompt
  ids?: number[]; // or its token ids
  conditions: FileStackEntry[][]; // one stack per condition
  topK: number;
  enableThinking?: boolean;
  /**
   * The text is a stored reply whose leading whitespace was dropped for display (services/first-word.ts):
   * read it with a leading space where the first condition finds that likelier, as the model most
   * probably generated it (" bamboo" rather than "bamboo").
   */
  restoreLeadingSpace?: boolean;
}

export interface ScoredToken {
  id: number;
  text: string; // the text this token adds (the tokens' texts join to the decoded reply)
  logprob: number[]; // per condition
  top: TokenLogprob[][]; // per condition, best first
  kl: number; // KL(first || second); 0 with a single condition
}

export interface ScoreResult {
  promptTokens: number;
  tokens: ScoredToken[];
  stats: { totalMs: number; provider: string };
}

/** At most 2^27 logits (512 MB) are fetched per forward pass; longer texts run in slices. */
const MAX_LOGITS = 1 << 27;
export const MAX_TOP_K = 20;

/** KL(p || q) from two log-distributions over the same vocabulary. */
export function klDivergence(logP: Float64Array, logQ: Float64Array): number {
  let kl = 0;
  for (let i = 0; i < logP.length; i++) {
    const p = Math.exp(logP[i]);
    if (p > 0) kl += p * (logP[i] - logQ[i]);
  }
  return Math.max(0, kl); // rounding can leave -1e-17 where the two are equal
}

export async function scoreText(engine: Engine, input: ScoreInput): Promise<ScoreResult> {
  const start = performance.now();
  const { conditions } = input;
  if (conditions.length === 0) throw new Error('scoring needs at least one condition');
  if (!Number.isInteger(input.topK) || input.topK < 0 || input.topK > MAX_TOP_K) throw new Error(`top-k ${input.topK}: give 0 to ${MAX_TOP_K}`);
  const prompt = engine.promptIds({ messages: input.messages, prompt: input.prompt, stack: [] }, { enableThinking: input.enableThinking });
  const vocab = engine.manifest.shapes.vocab;
  const rows = conditions.length;
  const feeds = engine.stackFeeds(engine.loadStacks(conditions));
  const encode = (text: string) => engine.tokenizer.encode(text, { addSpecialTokens: false });
  let reply = input.ids ?? encode(input.text ?? '');
  if (reply.length === 0) throw new Error('the text to score is empty');
  if (!input.ids && input.restoreLeadingSpace && input.text && !/^\s/.test(input.text)) {
    const spaced = encode(` ${input.text}`);
    if (spaced[0] !== reply[0] && spaced[0]! < vocab && reply[0]! < vocab) {
      const { logits } = await forwardStep(engine.session, new KvCache(rows), feeds, Array(rows).fill(prompt), Array(rows).fill([prompt.length - 1]));
      const first = logSoftmax(logits.subarray(0, vocab));
      if (first[spaced[0]!]! > first[reply[0]!]!) reply = spaced;
    }
  }
  const outside = reply.find((id) => !Number.isInteger(id) || id < 0 || id >= vocab);
  if (outside !== undefined) throw new Error(`the text holds token ${outside}, outside the model's ${vocab}-token vocabulary`);
  const all = [...prompt, ...reply];
  if (all.length > engine.manifest.maxPositions) {
    throw new Error(`prompt plus text (${all.length} tokens) exceeds the model's ${engine.manifest.maxPositions}-token context`);
  }
  const decoder = createStreamDecoder(engine.tokenizer);
  const tokenText = new Map<number, string>();
  const textOf = (id: number) => tokenText.get(id) ?? tokenText.set(id, engine.tokenizer.decode([id])).get(id)!;

  const tokens: ScoredToken[] = [];
  const slice = Math.max(1, Math.floor(MAX_LOGITS / (rows * vocab)));
  for (let from = 0; from < reply.length; from += slice) {
    const to = Math.min(reply.length, from + slice);
    // the logits at position p predict token p + 1: reply token j is predicted at prompt.length - 1 + j
    const seq = all.slice(0, prompt.length + to - 1);
    const positions = Array.from({ length: to - from }, (_, i) => prompt.length - 1 + from + i);
    const { logits } = await forwardStep(engine.session, new KvCache(rows), feeds, Array(rows).fill(seq), Array(rows).fill(positions));
    const P = positions.length;
    for (let i = 0; i < P; i++) {
      const id = reply[from + i];
      const logs: Float64Array[] = [];
      const top: TokenLogprob[][] = [];
      for (let r = 0; r < rows; r++) {
        const row = logits.subarray((r * P + i) * vocab, (r * P + i + 1) * vocab);
        const lp = logSoftmax(row);
        logs.push(lp);
        top.push(input.topK > 0 ? topIndices(row, input.topK).map((t) => ({ id: t, logprob: lp[t], token: textOf(t) })) : []);
      }
      tokens.push({ id, text: decoder.push(id), logprob: logs.map((lp) => lp[id]), top, kl: rows > 1 ? klDivergence(logs[0], logs[1]) : 0 });
    }
  }
  const rest = decoder.flush();
  if (rest) tokens.at(-1)!.text += rest;
  return { promptTokens: prompt.length, tokens, stats: { totalMs: performance.now() - start, provider: engine.session.provider } };
}
