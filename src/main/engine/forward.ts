// One forward step over a batch: feeds tokens, LoRA stacks and the KV cache, returns logits at
// the requested positions and keeps the new cache. Rows may hold different numbers of valid
// tokens; the cache is right-padded and GroupQueryAttention reads each row's length from seqlens_k.
import * as ort from 'onnxruntime-node';
import { KV_INPUT, KV_OUTPUT } from './build/decoder.ts';
import type { ModelSession } from './session.ts';
import type { StackFeeds } from './stack.ts';

type KvArray = Float32Array | Uint16Array;

/**
 * The KV cache of a batch, in buffers [batch, kv_heads, capacity, head_dim] per layer that are
 * both GroupQueryAttention's past and its present: the same memory goes in and comes out, so the
 * kernel appends each step's keys in place (row r at position lengths[r]) instead of building a
 * new present from past + new. onnxruntime-node still copies every fetched output into a new
 * buffer, so a step costs a copy of the capacity: capacity starts a little above what the first
 * step needs and doubles when full, keeping that copy within twice the cached length.
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
  const seqlens = new Int32Array(batch);
  const logitsPositions = new BigInt64Array(batch * P);
  let total = 0;
  for (let r = 0; r < batch; r++) {
    tokens[r].forEach((t, i) => (ids[r * seq + i] = BigInt(t)));
    seqlens[r] = cache.lengths[r] + tokens[r].length - 1;
    total = Math.max(total, cache.lengths[r] + tokens[r].length);
    positions[r].forEach((p, i) => (logitsPositions[r * P + i] = BigInt(p)));
  }

  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', ids, [batch, seq]),
    seqlens_k: new ort.Tensor('int32', seqlens, [batch]),
    total_sequence_length: new ort.Tensor('int32', Int32Array.of(total), []),
    logits_positions: new ort.Tensor('int64', logitsPositions, [batch, P]),
  };
  for (const [name, f] of stacks.feeds) feeds[name] = new ort.Tensor('float32', f.data, f.dims);
  const { layers, kvHeads, headDim } = session.manifest.shapes;
  const buffers = cache.reserve(session, total);
  const kvType = session.manifest.precision === 'fp16' ? 'float16' : 'float32';
  const kvDims = [batch, kvHeads, cache.allocated, headDim];
  const fetches: Record<string, ort.Tensor | null> = { [want === 'logits' ? 'logits' : 'greedy_tokens']: null };
  for (let l = 0; l < layers; l++) {
    for (const [k, kind] of (['key', 'value'] as const).entries()) {
      // one tensor over the layer's buffer, fed as past and bound as present: shared in place
      const kv = new ort.Tensor(kvType, buffers[l * 2 + k], kvDims);
      feeds[KV_INPUT(l, kind)] = kv;
      fetches[KV_OUTPUT(l, kind)] = kv;
    }
  }
  const out = await session.run(feeds, fetches);
  for (let r = 0; r < batch; r++) cache.lengths[r] += tokens[r].length;
  return {
    logits: want === 'logits' ? (out.logits.data as Float32Array) : null,
    greedy: want === 'greedy' ? (out.greedy_tokens.data as BigInt64Array) : null,
    positions: P,
  };
}
