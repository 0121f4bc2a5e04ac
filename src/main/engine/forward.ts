// One forward step over a batch: feeds tokens, LoRA stacks and the KV cache, returns logits at
// the requested positions and appends the step's keys and values to the cache. Rows may hold
// different numbers of valid tokens; the cache is right-padded and the attention masks say which
// positions each row's queries see.
import * as ort from 'onnxruntime-node';
import { KV_INPUT, KV_OUTPUT, MASK_INPUT, slidingLayer } from './build/decoder.ts';
import type { ModelSession } from './session.ts';
import type { StackFeeds } from './stack.ts';

type KvArray = Float32Array | Uint16Array;

/**
 * The KV cache of a batch: per layer, buffers [batch, kv_heads, capacity, head_dim] that the graph
 * reads as they are (fed, not copied) and this class appends each step's keys and values to.
 * Capacity starts a little above what the first step needs and doubles when full; positions past
 * a row's length are masked out, so a step reads at most twice what is cached.
 */
export class KvCache {
  /** valid tokens per row */
  readonly lengths: number[];
  private buffers: KvArray[] = []; // [layer * 2 + (0 key | 1 value)]
  private capacity = 0;

  constructor(readonly batch: number) {
    this.lengths = new Array(batch).fill(0);
  }

  get allocated(): number {
    return this.capacity;
  }

  /** Writes a step's keys or values ([batch, seq, kv_heads * head_dim]) after each row's cached ones. */
  append(session: ModelSession, index: number, step: KvArray, seq: number, counts: number[]): void {
    const { kvHeads, headDim } = session.manifest.shapes;
    const buffer = this.buffers[index];
    for (let r = 0; r < this.batch; r++) {
      for (let i = 0; i < counts[r]; i++) {
        const from = (r * seq + i) * kvHeads * headDim;
        for (let h = 0; h < kvHeads; h++) {
          const to = ((r * kvHeads + h) * this.capacity + this.lengths[r] + i) * headDim;
          buffer.set(step.subarray(from + h * headDim, from + (h + 1) * headDim), to);
        }
      }
    }
  }

  /** Buffers for at least `needed` positions per row, of the session's layout. */
  reserve(session: ModelSession, needed: number): KvArray[] {
    if (needed <= this.capacity) return this.buffers;
    const { layers, kvHeads, headDim } = session.manifest.shapes;
    const limit = session.manifest.maxPositions;
    const capacity = Math.min(limit, Math.max(needed + 16, this.capacity * 2, 64));
    if (needed > capacity) throw new Error(`the KV cache needs ${needed} positions, more than the model's ${limit}`);
    const half = session.manifest.precision === 'fp16';
    const fresh = Array.from({ length: layers * 2 }, () => (half ? new Uint16Array(this.batch * kvHeads * capacity * headDim) : new Float32Array(this.batch * kvHeads * capacity * headDim)));
    // keep what is cached: each [row, head] block moves to its place in the longer layout
    const used = Math.max(0, ...this.lengths) * headDim;
    if (used > 0) {
      for (const [i, old] of this.buffers.entries()) {
        for (let bh = 0; bh < this.batch * kvHeads; bh++) {
          fresh[i].set(old.subarray(bh * this.capacity * headDim, bh * this.capacity * headDim + used), bh * capacity * headDim);
        }
      }
    }
    this.buffers = fresh;
    this.capacity = capacity;
    return fresh;
  }
}

/** Added to attention scores: 0 where a query may look, -inf where it may not. */
const BLOCKED = -Infinity;

/**
 * [batch, 1, 1, seq, capacity + seq]: row r's query i (at position lengths[r] + i) sees cached
 * positions below lengths[r] and new tokens up to itself, within `window` positions when set.
 */
function attentionMask(lengths: number[], seq: number, capacity: number, window: number | null): Float32Array {
  const total = capacity + seq;
  const mask = new Float32Array(lengths.length * seq * total).fill(BLOCKED);
  for (let r = 0; r < lengths.length; r++) {
    for (let i = 0; i < seq; i++) {
      const row = mask.subarray((r * seq + i) * total, (r * seq + i + 1) * total);
      const position = lengths[r] + i;
      const first = window === null ? 0 : Math.max(0, position - window + 1); // oldest position seen
      for (let j = Math.min(first, lengths[r]); j < lengths[r]; j++) row[j] = 0;
      for (let j = Math.max(0, first - lengths[r]); j <= i; j++) row[capacity + j] = 0;
    }
  }
  return mask;
}

export interface StepResult {
  logits: Float32Array | null; // [batch, positions, vocab]; null when only greedy ids were fetched
  greedy: BigInt64Array | null; // [batch, positions]: the highest-scoring id at each position
  positions: number;
}

/**
 * Runs `tokens[row]` (new tokens of each row) through the model.
 * `positions[row]`: offsets into the row's new tokens whose logits are wanted (same count per row).
 */
export function forwardStep(
  session: ModelSession,
  cache: KvCache,
  stacks: StackFeeds,
  tokens: number[][],
  positions: number[][],
  want?: 'logits',
): Promise<StepResult & { logits: Float32Array }>;
export function forwardStep(
  session: ModelSession,
  cache: KvCache,
  stacks: StackFeeds,
  tokens: number[][],
  positions: number[][],
  want: 'logits' | 'greedy',
): Promise<StepResult>;
export async function forwardStep(
  session: ModelSession,
  cache: KvCache,
  stacks: StackFeeds,
  tokens: number[][],
  positions: number[][],
  want: 'logits' | 'greedy' = 'logits',
): Promise<StepResult> {
  const { batch } = cache;
  if (tokens.length !== batch || positions.length !== batch) throw new Error(`forwardStep: expected ${batch} rows`);
  const seq = Math.max(...tokens.map((t) => t.length));
  const P = positions[0].length;
  const hasPast = cache.lengths.some((n) => n > 0);
  if (hasPast && seq > 1 && batch > 1) throw new Error('forwardStep: with a cache, rows advance one token at a time when batch > 1');

  const ids = new BigInt64Array(batch * seq); // right-padded with token 0 (never attended)
  const positionIds = new BigInt64Array(batch * seq);
  const logitsPositions = new BigInt64Array(batch * P);
  let total = 0;
  for (let r = 0; r < batch; r++) {
    tokens[r].forEach((t, i) => (ids[r * seq + i] = BigInt(t)));
    for (let i = 0; i < seq; i++) positionIds[r * seq + i] = BigInt(cache.lengths[r] + Math.min(i, tokens[r].length - 1));
    total = Math.max(total, cache.lengths[r] + tokens[r].length);
    positions[r].forEach((p, i) => (logitsPositions[r * P + i] = BigInt(p)));
  }

  const { layers, kvHeads, headDim } = session.manifest.shapes;
  const buffers = cache.reserve(session, total);
  const capacity = cache.allocated;
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', ids, [batch, seq]),
    position_ids: new ort.Tensor('int64', positionIds, [batch, seq]),
    logits_positions: new ort.Tensor('int64', logitsPositions, [batch, P]),
  };
  const { config } = session.manifest;
  const maskDims = [batch, 1, 1, seq, capacity + seq];
  feeds[MASK_INPUT.full] = new ort.Tensor('float32', attentionMask(cache.lengths, seq, capacity, null), maskDims);
  if (config.layerTypes.some((_, l) => slidingLayer(config, l))) {
    feeds[MASK_INPUT.sliding] = new ort.Tensor('float32', attentionMask(cache.lengths, seq, capacity, config.slidingWindow), maskDims);
  }
  for (const [name, f] of stacks.feeds) feeds[name] = new ort.Tensor('float32', f.data, f.dims);
  const kvType = session.manifest.precision === 'fp16' ? 'float16' : 'float32';
  const kvDims = [batch, kvHeads, capacity, headDim];
  const fetches: string[] = [want === 'logits' ? 'logits' : 'greedy_tokens'];
  for (let l = 0; l < layers; l++) {
    for (const [k, kind] of (['key', 'value'] as const).entries()) {
      feeds[KV_INPUT(l, kind)] = new ort.Tensor(kvType, buffers[l * 2 + k], kvDims);
      fetches.push(KV_OUTPUT(l, kind));
    }
  }
  const out = await session.run(feeds, fetches);
  const counts = tokens.map((t) => t.length);
  for (let l = 0; l < layers; l++) {
    for (const [k, kind] of (['key', 'value'] as const).entries()) cache.append(session, l * 2 + k, out[KV_OUTPUT(l, kind)].data as KvArray, seq, counts);
  }
  for (let r = 0; r < batch; r++) cache.lengths[r] += tokens[r].length;
  return {
    logits: want === 'logits' ? (out.logits.data as Float32Array) : null,
    greedy: want === 'greedy' ? (out.greedy_tokens.data as BigInt64Array) : null,
    positions: P,
  };
}
