// An engine: one loaded model (session + tokenizer) that answers chat requests with any adapter
// stack. Runs wherever it is created; worker.ts hosts it off the caller's thread.
import { loadTokenizer, createStreamDecoder, type ChatMessage, type LoadedTokenizer } from './hf/tokenizer.ts';
import type { LowRank, LoadedStackEntry } from './adapters/lowrank.ts';
import { generate, type GenerationStats, type RowResult } from './generate.ts';
import { GREEDY, type SamplingOptions } from './sampler.ts';
import { ModelSession, type SessionOptions } from './session.ts';
import { StackFeeds } from './stack.ts';
import { validateAdapter } from './adapters/validate.ts';
import { checkSelection, type PartSelection } from './adapters/selection.ts';

export interface FileStackEntry {
  /** adapter file or folder, with "#INDEX" for one diff of a multi-diff file */
  path: string;
  scale: number;
  /** a full finetune's folder is compressed to this rank (diffed against the model's source folder) */
  rank?: number;
  /** only these layers and modules (absent: all) */
  only?: PartSelection;
}

export interface AskRow {
  messages?: ChatMessage[]; // rendered with the model's chat template
  prompt?: string; // raw text, no template
  stack: FileStackEntry[];
}

export interface AskOptions {
  maxTokens?: number;
  sampling?: Partial<SamplingOptions>;
  stopStrings?: string[];
  logprobs?: number;
  enableThinking?: boolean; // Qwen3 template switch; the paper uses false
}

export interface AskResult {
  rows: (RowResult & { promptTokens: number })[];
  stats: GenerationStats;
}

export type AdapterLoader = (path: string, opts: { base?: string; rank?: number }) => LowRank;

/** Adapters kept loaded between requests (a batch evaluation walks through many diffs). */
const ADAPTER_CACHE_BYTES = 1 << 30;

const adapterBytes = (lr: LowRank) => [...lr.modules.values()].reduce((sum, m) => sum + (m.a.length + m.b.length) * 4, 0);

export class Engine {
  private readonly adapters = new Map<string, LowRank>();
  private readonly feeds = new Map<number, StackFeeds>(); // by batch size

  private constructor(
    readonly session: ModelSession,
    readonly tokenizer: LoadedTokenizer,
    private readonly loadAdapter: AdapterLoader,
  ) {}

  static async load(dir: string, loadAdapter: AdapterLoader, opts: SessionOptions = {}): Promise<Engine> {
    const session = await ModelSession.open(dir, opts);
    return new Engine(session, loadTokenizer(dir), loadAdapter);
  }

  get manifest() {
    return this.session.manifest;
  }

  /** Loaded adapters, least recently used first, kept within ADAPTER_CACHE_BYTES. */
  adapter(ref: FileStackEntry, inUse: Set<LowRank> = new Set()): LowRank {
    const key = ref.rank ? `${ref.path}|rank=${ref.rank}` : ref.path;
    let lr = this.adapters.get(key);
    if (lr) {
      this.adapters.delete(key); // re-inserted below: now the most recently used
    } else {
      lr = this.loadAdapter(ref.path, { base: this.manifest.source.path, rank: ref.rank });
      validateAdapter(lr, this.manifest); // architecture too, not only shapes
    }
    this.adapters.set(key, lr);
    inUse.add(lr);
    let bytes = [...this.adapters.values()].reduce((sum, a) => sum + adapterBytes(a), 0);
    for (const [k, a] of this.adapters) {
      if (bytes <= ADAPTER_CACHE_BYTES) break;
      if (inUse.has(a)) continue;
      this.adapters.delete(k);
      bytes -= adapterBytes(a);
    }
    return lr;
  }


  promptIds(row: AskRow, opts: AskOptions = {}): number[] {
    const ids = row.messages
      ? this.tokenizer.encodeChat(row.messages, { addGenerationPrompt: true, enableThinking: opts.enableThinking ?? false })
      : this.tokenizer.encode(row.prompt ?? '', { addSpecialTokens: true });
    if (ids.length === 0) throw new Error('the prompt is empty');
    // e.g. gemma-3's tokenizer knows <image_soft_token> (262144) but its embedding table ends at 262143
    const vocab = this.manifest.shapes.vocab;
    const outside = ids.find((id) => id >= vocab);
    if (outside !== undefined) throw new Error(`the prompt holds token ${outside}, outside the model's ${vocab}-token vocabulary`);
    return ids;
  }

  /** Each row's adapters loaded (kept in the cache while in use), with scale and selection checked. */
  loadStacks(rows: FileStackEntry[][]): LoadedStackEntry[][] {
    const inUse = new Set<LowRank>();
    return rows.map((stack) =>
      stack.map((s) => {
        if (!Number.isFinite(s.scale)) throw new Error(`${s.path}: scale ${s.scale} is not a number`);
        checkSelection(s.only, this.manifest.shapes.layers, s.path);
        return { adapter: this.adapter(s, inUse), scale: s.scale, ...(s.only ? { only: s.only } : {}) };
      }),
    );
  }

  stackFeeds(rows: LoadedStackEntry[][]): StackFeeds {
    let feeds = this.feeds.get(rows.length);
    if (!feeds) this.feeds.set(rows.length, (feeds = new StackFeeds(this.manifest.shapes)));
    feeds.set(rows);
    return feeds;
  }

  async ask(
    rows: AskRow[],
    opts: AskOptions = {},
    onToken?: (row: number, t: { id: number; text: string }) => void,
    shouldStop?: () => boolean,
  ): Promise<AskResult> {
    const prompts = rows.map((r) => this.promptIds(r, opts));
    const longest = Math.max(...prompts.map((p) => p.length)) + (opts.maxTokens ?? 256);
    if (longest > this.manifest.maxPositions) {
      throw new Error(`prompt plus answer (${longest} tokens) exceeds the model's ${this.manifest.maxPositions}-token context`);
    }
    const feeds = this.stackFeeds(this.loadStacks(rows.map((r) => r.stack)));
    const result = await generate(this.session, feeds, prompts, {
      maxTokens: opts.maxTokens ?? 256,
      sampling: { ...GREEDY, ...opts.sampling },
      eosIds: this.manifest.eosTokenIds,
      stopStrings: opts.stopStrings,
      logprobs: opts.logprobs,
      newDecoder: () => createStreamDecoder(this.tokenizer),
      onToken,
      shouldStop,
    });
    for (const row of result.rows) {
      for (const position of row.logprobs ?? []) {
        for (const t of [position.chosen, ...position.top]) t.token = this.tokenizer.decode([t.id]);
      }
    }
    return { rows: result.rows.map((r, i) => ({ ...r, promptTokens: prompts[i].length })), stats: result.stats };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
