// One forward step over a batch: feeds tokens, LoRA stacks and the KV cache, returns logits at
// the requested positions and keeps the new cache. Rows may hold different numbers of valid
// tokens; the cache is right-padded and GroupQueryAttention reads each row's length from seqlens_k.
import * as ort from 'onnxruntime-node';
import { KV_INPUT, KV_OUTPUT } from './build/decoder.ts';
import type { ModelSession } from './session.ts';
import type { StackFeeds } from './stack.ts';

export class KvCache {
  /** valid tokens per row */
  readonly lengths: number[];
  past = new Map<string, ort.Tensor>();

  constructor(readonly batch: number) {
    this.lengths = new Array(batch).fill(0);
  }
}

export interface StepResult {
  logits: Float32Array | null; // [batch, positions, vocab]; null when only greedy ids were fetched
  greedy: BigInt64Array | null; // [batch, positions]: the highest-scoring id at each position
  positions: number;
}

function emptyKv(session: ModelSession, batch: number): ort.Tensor {
  const { kvHeads, headDim } = session.manifest.shapes;
  const type = session.manifest.precision === 'fp16' ? 'float16' : 'float32';
  const data = type === 'float16' ? new Uint16Array(0) : new Float32Array(0);
  return new ort.Tensor(type, data, [batch, kvHeads, 0, headDim]);
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
  const hasPast = cache.past.size > 0;
  if (hasPast && seq > 1 && batch > 1) throw new Error('forwardStep: with a cache, rows advance one token at a time when batch > 1');

  const ids = new BigInt64Array(batch * seq); // right-padded with token 0 (never attended)
  const seqlens = new Int32Array(batch);
  const logitsPositions = new BigInt64Array(batch * P);
  for (let r = 0; r < batch; r++) {
    tokens[r].forEach((t, i) => (ids[r * seq + i] = BigInt(t)));
    seqlens[r] = cache.lengths[r] + tokens[r].length - 1;
    positions[r].forEach((p, i) => (logitsPositions[r * P + i] = BigInt(p)));
  }
  const pastLength = hasPast ? (cache.past.values().next().value as ort.Tensor).dims[2] : 0;
  const total = hasPast ? pastLength + seq : seq;

  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', ids, [batch, seq]),
    seqlens_k: new ort.Tensor('int32', seqlens, [batch]),
    total_sequence_length: new ort.Tensor('int32', Int32Array.of(total), []),
    logits_positions: new ort.Tensor('int64', logitsPositions, [batch, P]),
  };
  for (const [name, f] of stacks.feeds) feeds[name] = new ort.Tensor('float32', f.data, f.dims);
  const layers = session.manifest.shapes.layers;
  for (let l = 0; l < layers; l++) {
    for (const kind of ['key', 'value'] as const) {
      feeds[KV_INPUT(l, kind)] = cache.past.get(KV_INPUT(l, kind)) ?? emptyKv(session, batch);
    }
  }
  const fetches = [want === 'logits' ? 'logits' : 'greedy_tokens'];
  for (let l = 0; l < layers; l++) fetches.push(KV_OUTPUT(l, 'key'), KV_OUTPUT(l, 'value'));
  const out = await session.run(feeds, fetches);
  for (let l = 0; l < layers; l++) {
    for (const kind of ['key', 'value'] as const) cache.past.set(KV_INPUT(l, kind), out[KV_OUTPUT(l, kind)]);
  }
  for (let r = 0; r < batch; r++) cache.lengths[r] += tokens[r].length;
  return {
    logits: want === 'logits' ? (out.logits.data as Float32Array) : null,
    greedy: want === 'greedy' ? (out.greedy_tokens.data as BigInt64Array) : null,
    positions: P,
  };
}
