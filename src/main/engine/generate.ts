// The generation loop: prefill each row's prompt, then decode one token per row per step with the
// KV cache, choosing tokens with the sampler, streaming text, and stopping on EOS ids, stop
// strings, the token budget or cancellation (checked before every step).
import { forwardStep, KvCache, type StepResult } from './forward.ts';
import { createRng, logSoftmax, pickToken, topIndices, type SamplingOptions } from './sampler.ts';
import type { ModelSession } from './session.ts';
import type { StackFeeds } from './stack.ts';

export interface TokenLogprob {
  id: number;
  logprob: number;
  token?: string; // the token's text, filled in by the engine
}

export interface PositionLogprobs {
  chosen: TokenLogprob;
  top: TokenLogprob[]; // the K most likely, best first
}

export type FinishReason = 'eos' | 'stop' | 'length' | 'cancelled';

export interface RowResult {
  text: string;
  tokens: number[];
  finishReason: FinishReason;
  logprobs?: PositionLogprobs[];
}

export interface GenerationStats {
  promptTokens: number; // summed over rows
  generatedTokens: number;
  ttftMs: number; // request start to first token
  promptTokensPerSec: number;
  decodeTokensPerSec: number; // tokens after the first, per second, summed over rows
  totalMs: number;
  provider: string;
}

export interface TextDecoder {
  /** Text completed by this token (may be empty while a multi-byte character is pending). */
  push(id: number): string;
}

export interface GenerateOptions {
  maxTokens: number;
  sampling: SamplingOptions;
  eosIds: number[];
  stopStrings?: string[];
  logprobs?: number; // top-K log-probabilities per generated position (of the model's raw distribution)
  newDecoder: () => TextDecoder;
  onToken?: (row: number, token: { id: number; text: string }) => void;
  shouldStop?: () => boolean;
  now?: () => number;
}

/** Streams text but holds back a tail that could still become a stop string. */
class StopWatcher {
  text = '';
  private emitted = 0;
  stopped = false;
  constructor(private readonly stops: string[]) {}

  /** Adds text; returns what can be shown now. */
  add(delta: string): string {
    this.text += delta;
    for (const stop of this.stops) {
      const at = this.text.indexOf(stop);
      if (at >= 0) {
        this.text = this.text.slice(0, at);
        this.stopped = true;
      }
    }
    let safe = this.text.length;
    if (!this.stopped) {
      for (const stop of this.stops) {
        for (let k = Math.min(stop.length - 1, this.text.length); k > 0; k--) {
          if (this.text.endsWith(stop.slice(0, k))) {
            safe = Math.min(safe, this.text.length - k);
            break;
          }
        }
      }
    }
    const out = this.text.slice(this.emitted, Math.max(this.emitted, safe));
    this.emitted = Math.max(this.emitted, safe);
    return out;
  }

  /** Whatever was held back, once generation ends without a stop string. */
  flush(): string {
    const out = this.text.slice(this.emitted);
    this.emitted = this.text.length;
    return out;
  }
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function generate(
  session: ModelSession,
  stacks: StackFeeds,
  prompts: number[][],
  opts: GenerateOptions,
): Promise<{ rows: RowResult[]; stats: GenerationStats }> {
  const now = opts.now ?? (() => performance.now());
  const batch = prompts.length;
  const vocab = session.manifest.shapes.vocab;
  const start = now();
  const cache = new KvCache(batch);
  const rng = createRng(opts.sampling.seed);
  const eos = new Set(opts.eosIds);
  const rows = prompts.map(() => ({
    tokens: [] as number[],
    logprobs: opts.logprobs ? ([] as PositionLogprobs[]) : undefined,
    finish: null as FinishReason | null,
    decoder: opts.newDecoder(),
    stop: new StopWatcher(opts.stopStrings ?? []),
  }));
  const seen = prompts.map((p) => new Set(p));

  // Plain greedy decoding takes the session's own argmax and never copies the logits out.
  const want = opts.sampling.temperature <= 0 && opts.sampling.repetitionPenalty === 1 && !opts.logprobs ? 'greedy' : 'logits';
  const choose = (step: StepResult, r: number) => {
    if (step.greedy) return { id: Number(step.greedy[r]), lp: undefined };
    const row = step.logits!.subarray(r * vocab, (r + 1) * vocab);
    let lp: PositionLogprobs | undefined;
    const raw = opts.logprobs ? logSoftmax(row) : undefined; // before the penalty changes `row`
    const id = pickToken(row, seen[r], opts.sampling, rng);
    if (raw) {
      const top = topIndices(Float32Array.from(raw), opts.logprobs!).map((t) => ({ id: t, logprob: raw[t] }));
      lp = { chosen: { id, logprob: raw[id] }, top };
    }
    return { id, lp };
  };

  const accept = (r: number, id: number, lp?: PositionLogprobs) => {
    const row = rows[r];
    if (row.finish) return;
    if (eos.has(id)) {
      row.finish = 'eos';
      return;
    }
    row.tokens.push(id);
    if (lp) row.logprobs!.push(lp);
    seen[r].add(id);
    const text = row.stop.add(row.decoder.push(id));
    if (text) opts.onToken?.(r, { id, text });
    if (row.stop.stopped) row.finish = 'stop';
    else if (row.tokens.length >= opts.maxTokens) row.finish = 'length';
  };

  // Prefill: batch 1 runs the whole prompt in one step; larger batches right-pad (see forward.ts).
  let firstTokenAt = 0;
  let prefillMs = 0;
  await yieldToEventLoop();
  if (opts.maxTokens > 0 && !opts.shouldStop?.()) {
    const step = await forwardStep(session, cache, stacks, prompts, prompts.map((p) => [p.length - 1]), want);
    prefillMs = now() - start;
    for (let r = 0; r < batch; r++) {
      const { id, lp } = choose(step, r);
      accept(r, id, lp);
    }
    firstTokenAt = now();
  }
  let decodeSteps = 0;
  while (rows.some((r) => !r.finish) && opts.maxTokens > 0) {
    await yieldToEventLoop(); // lets a cancel message arrive (runs themselves are synchronous)
    if (opts.shouldStop?.()) {
      for (const row of rows) row.finish ??= 'cancelled';
      break;
    }
    // finished rows keep feeding their last token; their outputs are ignored
    const next = rows.map((row, r) => [row.tokens.at(-1) ?? prompts[r].at(-1)!]);
    const step = await forwardStep(session, cache, stacks, next, next.map(() => [0]), want);
    decodeSteps++;
    for (let r = 0; r < batch; r++) {
      if (rows[r].finish) continue;
      const { id, lp } = choose(step, r);
      accept(r, id, lp);
    }
  }
  if (opts.maxTokens === 0) for (const row of rows) row.finish = 'length';
  for (const [r, row] of rows.entries()) {
    if (row.finish !== 'stop') {
      const rest = row.stop.flush();
      if (rest) opts.onToken?.(r, { id: row.tokens.at(-1) ?? -1, text: rest });
    }
  }
  const end = now();
  const generated = rows.reduce((a, r) => a + r.tokens.length, 0);
  const promptTokens = prompts.reduce((a, p) => a + p.length, 0);
  const decodeMs = end - firstTokenAt;
  return {
    rows: rows.map((row) => ({ text: row.stop.text, tokens: row.tokens, finishReason: row.finish ?? 'length', logprobs: row.logprobs })),
    stats: {
      promptTokens,
      generatedTokens: generated,
      ttftMs: firstTokenAt ? firstTokenAt - start : 0,
      promptTokensPerSec: prefillMs > 0 ? (promptTokens / prefillMs) * 1000 : 0,
      decodeTokensPerSec: decodeSteps > 0 && decodeMs > 0 ? ((decodeSteps * batch) / decodeMs) * 1000 : 0,
      totalMs: end - start,
      provider: session.provider,
    },
  };
}
