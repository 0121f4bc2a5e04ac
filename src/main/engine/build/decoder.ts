// The decoder graph, once for every family: embeddings, N layers of attention + MLP with a LoRA
// branch on each of the seven linears, final norm, and logits at requested positions.
// Family differences come from an ArchSpec (arch.ts); precision differences from a Precision.
//
// Graph inputs                                   Graph outputs
//   input_ids            int64 [batch, seq]        logits              float32 [batch, positions, vocab]
//   position_ids         int64 [batch, seq]        greedy_tokens       int64 [batch, positions]
//   attention_bias       float32 [batch, 1, 1, seq, past + seq]   (0 attends, -inf does not)
//   attention_bias_local the same for sliding-window layers (only where the model has them)
//   logits_positions     int64 [batch, positions]  new_key.N/new_value.N [batch, seq, kv_heads*head_dim]
//   past_key_values.N.key/value [batch, kv_heads, past, head_dim]   (the cache, capacity included)
//   lora.N.M.a float32 [batch, in, rank]   lora.N.M.b float32 [batch, rank, out]   (rank may be 0)
//
// The cache is read, never written, by the graph: each step returns only its new keys and values
// (after RoPE) and the caller appends them. onnxruntime-node copies every fetched output, so a
// cache that went out as an output would be copied whole at every step.
import type { ModelConfig } from '../hf/config.ts';
import { HF_MODULE_PATH, MODULES, loraInputNames, moduleShape, type ModuleName } from '../modules.ts';
import type { ArchSpec } from './arch.ts';
import { Graph, type AttrValue } from './graph.ts';
import { DataType } from './onnx.ts';
import type { Precision } from './precision.ts';
import { rotaryTables } from './rope.ts';
import type { SourceTensor, WeightFile } from './weight-file.ts';

/** Where the builder reads Hugging Face tensors from (a safetensors checkpoint). */
export interface TensorSource {
  /** A small tensor (norm weights), read now. */
  readF32(name: string): Float32Array;
  /** A [rows, cols] matrix, located for the conversion that reads it later in chunks of rows. */
  locate(name: string): SourceTensor;
}

export interface DecoderBuild {
  config: ModelConfig;
  arch: ArchSpec;
  precision: Precision;
  source: TensorSource;
  file: WeightFile;
  maxPositions: number; // rows of the RoPE tables: the longest context the model will accept
}

export const KV_INPUT = (layer: number, kind: 'key' | 'value') => `past_key_values.${layer}.${kind}`;
export const KV_OUTPUT = (layer: number, kind: 'key' | 'value') => `new_${kind}.${layer}`;
/** Additive attention masks: full layers, and sliding-window layers where the model has them. */
export const MASK_INPUT = { full: 'attention_bias', sliding: 'attention_bias_local' } as const;

/** Whether layer `layer` attends through a sliding window (and so reads the local mask). */
export function slidingLayer(config: ModelConfig, layer: number): boolean {
  return config.layerTypes[layer] === 'sliding' && config.slidingWindow !== null;
}

class DecoderBuilder {
  readonly g = new Graph();
  private readonly c: ModelConfig;
  private readonly ropeTables = new Map<string, { cos: string; sin: string }>();
  /** Per mask kind: the mask in the activation type, and the shapes attention reshapes scores by. */
  private readonly masks = new Map<'full' | 'sliding', string>();
  private pastLength = '';
  private scoreShapes = { grouped: '', flat: '' };

  constructor(private readonly b: DecoderBuild) {
    this.c = b.config;
    const { g } = this;
    g.input('input_ids', DataType.INT64, ['batch', 'sequence']);
    g.input('position_ids', DataType.INT64, ['batch', 'sequence']);
    g.input('logits_positions', DataType.INT64, ['batch', 'positions']);
  }

  /** The mask of a layer's kind, declared on first use. */
  private mask(layer: number): string {
    const kind = slidingLayer(this.c, layer) ? 'sliding' : 'full';
    let mask = this.masks.get(kind);
    if (!mask) {
      const name = this.g.input(MASK_INPUT[kind], DataType.FLOAT, ['batch', 1, 1, 'sequence', 'total_sequence']);
      mask = this.activation(name, `/model/${MASK_INPUT[kind]}`);
      this.masks.set(kind, mask);
    }
    return mask;
  }

  /**
   * Shapes shared by every layer's attention, from the inputs: the cached length (past keys'
   * capacity) and the reshapes of scores between [b, kv, G*s, T] and [b, kv, G, s, T].
   */
  private attentionShapes(pastKey: string, mask: string): void {
    if (this.pastLength) return;
    const { g, c } = this;
    const group = c.numHeads / c.numKvHeads;
    this.pastLength = g.op('Shape', '/model/attn/past_length', [pastKey], { start: 2, end: 3 });
    const total = g.op('Shape', '/model/attn/total_length', [mask], { start: 4, end: 5 });
    this.scoreShapes = {
      grouped: g.op('Concat', '/model/attn/grouped_shape', [g.int64s([0, 0, group, -1]), total], { axis: 0 }),
      flat: g.op('Concat', '/model/attn/flat_shape', [g.int64s([0, 0, -1]), total], { axis: 0 }),
    };
  }

  private read(name: string): Float32Array {
    return this.b.source.readF32(name);
  }

  private matrix(name: string, rows: number, cols: number): SourceTensor {
    const m = this.b.source.locate(name);
    if (m.rows !== rows || m.cols !== cols) throw new Error(`tensor "${name}" is [${m.rows}, ${m.cols}], expected [${rows}, ${cols}]`);
    return m;
  }

  private hf(name: string): string {
    return `${this.c.weightPrefix}${name}`;
  }

  private dense(name: string, dims: number[], data: Float32Array): string {
    return this.b.precision.dense(this.b.file, name, dims, data);
  }

  /** Norm weight with the family's offset folded in (Gemma's 1 + w). */
  private normWeight(hfName: string, path: string): string {
    const w = this.read(hfName);
    const offset = this.b.arch.normOffset;
    return this.dense(`${path}.weight`, [w.length], offset ? w.map((v) => v + offset) : w);
  }

  private rmsNorm(x: string, hfName: string, path: string): string {
    const w = this.normWeight(hfName, path);
    return this.g.op('SimplifiedLayerNormalization', path, [x, w], { axis: -1, epsilon: { float: this.c.rmsNormEps }, stash_type: 1 });
  }

  /** residual + x, then RMSNorm: returns [normed, sum]. */
  private skipNorm(x: string, residual: string, hfName: string, path: string): [string, string] {
    const w = this.normWeight(hfName, path);
    const out = this.g.ms('SkipSimplifiedLayerNormalization', path, [x, residual, w], { epsilon: { float: this.c.rmsNormEps } }, 4);
    return [out[0], out[3]];
  }

  /** Cast a float32 graph input to the activation type when that is not float32. */
  private activation(x: string, path: string): string {
    const t = this.b.precision.floatType;
    return t === DataType.FLOAT ? x : this.g.op('Cast', path, [x], { to: t });
  }

  /**
   * y = x W + (x a) b, with a and b fed per request (rank 0 = no adapter).
   *
   *   x ──MatMul(W)──────────────────┐
   *   │                              Add ── y
   *   └──MatMul(a)── [b,s,R] ──MatMul(b)
   */
  private linear(x: string, layer: number, module: ModuleName): string {
    const [inDim, outDim] = moduleShape(this.c, module);
    const path = `/model/layers.${layer}/${module}_proj`;
    const { g } = this;
    const weight = this.matrix(this.hf(`layers.${layer}.${HF_MODULE_PATH[module]}.weight`), outDim, inDim); // [out, in]
    const base = this.b.precision.linear(g, this.b.file, path, x, weight);
    const names = loraInputNames(layer, module);
    const a = g.input(names.a, DataType.FLOAT, ['batch', inDim, 'lora_rank']); // [batch, in, R]
    const b = g.input(names.b, DataType.FLOAT, ['batch', 'lora_rank', outDim]); // [batch, R, out]
    const xa = g.op('MatMul', `${path}/lora_a`, [x, this.activation(a, `${path}/lora_a`)]); // [batch, seq, R]
    const xab = g.op('MatMul', `${path}/lora_b`, [xa, this.activation(b, `${path}/lora_b`)]); // [batch, seq, out]
    return g.op('Add', `${path}/lora`, [base, xab]);
  }

  private rope(layer: number): { cos: string; sin: string } {
    const { theta, scaling } = this.b.arch.rope(this.c, layer);
    const key = `${theta}:${JSON.stringify(scaling)}`;
    let tables = this.ropeTables.get(key);
    if (!tables) {
      const { cos, sin } = rotaryTables(this.c.headDim, theta, scaling, this.b.maxPositions);
      const i = this.ropeTables.size;
      const dims = [this.b.maxPositions, this.c.headDim / 2];
      tables = { cos: this.dense(`/model/rope_${i}/cos_cache`, dims, cos), sin: this.dense(`/model/rope_${i}/sin_cache`, dims, sin) };
      this.ropeTables.set(key, tables);
    }
    return tables;
  }

  /** RMSNorm over each head of q or k: [b, s, heads*hd] -> [b, s, heads, hd] -> norm -> back. */
  private headNorm(x: string, layer: number, which: 'q' | 'k'): string {
    const { g, c } = this;
    const path = `/model/layers.${layer}/attn/${which}_norm`;
    const heads = g.op('Reshape', `${path}/to_heads`, [x, g.int64s([0, 0, -1, c.headDim])]);
    const normed = this.rmsNorm(heads, this.hf(`layers.${layer}.self_attn.${which}_norm.weight`), path);
    return g.op('Reshape', `${path}/from_heads`, [normed, g.int64s([0, 0, -1])]);
  }

  /**
   *   x ─┬─ q_proj ─(q_norm)─ RoPE ─┐
   *      ├─ k_proj ─(k_norm)─ RoPE ─┼─ softmax(q·[past k | k] + mask)·[past v | v] ── o_proj ── out
   *      └─ v_proj ─────────────────┘        ↑ past_key_values.N.*   ↓ new_key.N, new_value.N
   *
   * Heads are grouped by the key/value head they share (G = heads / kv_heads): q becomes
   * [b, kv, G*s, hd], so each score matrix is one GEMM against the cache as it lies, read once.
   */
  private attention(x: string, layer: number): string {
    const { g, c } = this;
    const { arch } = this.b;
    const path = `/model/layers.${layer}/attn`;
    const group = c.numHeads / c.numKvHeads;
    const hd = c.headDim;
    let q = this.linear(x, layer, 'q'); // [b, s, heads*hd]
    let k = this.linear(x, layer, 'k'); // [b, s, kv_heads*hd]
    const v = this.linear(x, layer, 'v');
    if (arch.qkNorm) {
      q = this.headNorm(q, layer, 'q');
      k = this.headNorm(k, layer, 'k');
    }
    const { cos, sin } = this.rope(layer);
    const rotary = (t: string, heads: number, which: string) =>
      g.ms('RotaryEmbedding', `${path}/${which}_rotary`, [t, 'position_ids', cos, sin], { interleaved: 0, num_heads: heads })[0];
    q = rotary(q, c.numHeads, 'q');
    k = rotary(k, c.numKvHeads, 'k');
    const floatType = this.b.precision.floatType;
    g.node('Identity', `${path}/new_key`, [k], {}, { outputs: [KV_OUTPUT(layer, 'key')] });
    g.node('Identity', `${path}/new_value`, [v], {}, { outputs: [KV_OUTPUT(layer, 'value')] });
    g.output(KV_OUTPUT(layer, 'key'), floatType, ['batch', 'sequence', c.numKvHeads * hd]);
    g.output(KV_OUTPUT(layer, 'value'), floatType, ['batch', 'sequence', c.numKvHeads * hd]);
    const kvDims = ['batch', c.numKvHeads, 'past_sequence', hd];
    const pastK = g.input(KV_INPUT(layer, 'key'), floatType, kvDims);
    const pastV = g.input(KV_INPUT(layer, 'value'), floatType, kvDims);
    const mask = this.mask(layer);
    this.attentionShapes(pastK, mask);

    // q [b, s, kv*G*hd] -> [b, kv, G, s, hd] -> [b, kv, G*s, hd]; new k, v [b, s, kv*hd] -> [b, kv, s, hd]
    const q5 = g.op('Reshape', `${path}/q_groups`, [q, g.int64s([0, 0, c.numKvHeads, group, hd])]);
    const qg = g.op('Reshape', `${path}/q_rows`, [g.op('Transpose', `${path}/q_groups`, [q5], { perm: [0, 2, 3, 1, 4] }), g.int64s([0, 0, -1, hd])]);
    const heads = (t: string, which: string) =>
      g.op('Transpose', `${path}/${which}_heads`, [g.op('Reshape', `${path}/${which}_heads`, [t, g.int64s([0, 0, c.numKvHeads, hd])])], { perm: [0, 2, 1, 3] });
    const kNew = heads(k, 'k');
    const vNew = heads(v, 'v');

    const scale = { float: arch.attentionScale(c) };
    const pastScores = g.ms('FusedMatMul', `${path}/past_scores`, [qg, pastK], { transB: 1, alpha: scale })[0]; // [b, kv, G*s, past]
    const newScores = g.ms('FusedMatMul', `${path}/new_scores`, [qg, kNew], { transB: 1, alpha: scale })[0]; // [b, kv, G*s, s]
    let scores = g.op('Concat', `${path}/scores`, [pastScores, newScores], { axis: -1 });
    if (c.attnLogitSoftcap) {
      const cap = this.dense(`${path}/softcap.value`, [], new Float32Array([c.attnLogitSoftcap]));
      scores = g.op('Mul', `${path}/softcap`, [g.op('Tanh', `${path}/softcap`, [g.op('Div', `${path}/softcap`, [scores, cap])]), cap]);
    }
    const grouped = g.op('Reshape', `${path}/scores_grouped`, [scores, this.scoreShapes.grouped]); // [b, kv, G, s, T]
    const probs5 = g.op('Softmax', `${path}/probs`, [g.op('Add', `${path}/masked`, [grouped, mask])], { axis: -1 });
    const probs = g.op('Reshape', `${path}/probs_rows`, [probs5, this.scoreShapes.flat]); // [b, kv, G*s, T]
    const pastProbs = g.op('Slice', `${path}/past_probs`, [probs, g.int64s([0]), this.pastLength, g.int64s([3])]);
    const newProbs = g.op('Slice', `${path}/new_probs`, [probs, this.pastLength, g.int64s([2 ** 53]), g.int64s([3])]);
    const out = g.op('Add', `${path}/context`, [
      g.op('MatMul', `${path}/past_context`, [pastProbs, pastV]),
      g.op('MatMul', `${path}/new_context`, [newProbs, vNew]),
    ]); // [b, kv, G*s, hd]
    // back to [b, s, heads*hd], heads in kv-major order as q_proj lays them out
    const o5 = g.op('Reshape', `${path}/out_groups`, [out, g.int64s([0, 0, group, -1, hd])]);
    const attn = g.op('Reshape', `${path}/output`, [g.op('Transpose', `${path}/out_rows`, [o5], { perm: [0, 3, 1, 2, 4] }), g.int64s([0, 0, -1])]);
    return this.linear(attn, layer, 'o');
  }

  /** down(act(gate(x)) * up(x)) */
  private mlp(x: string, layer: number): string {
    const { g } = this;
    const path = `/model/layers.${layer}/mlp`;
    const gate = this.linear(x, layer, 'gate');
    const up = this.linear(x, layer, 'up');
    const act =
      this.c.hiddenAct === 'silu'
        ? g.op('Mul', `${path}/silu`, [gate, g.op('Sigmoid', `${path}/silu`, [gate])])
        : g.op('Gelu', `${path}/gelu`, [gate], { approximate: 'tanh' });
    return this.linear(g.op('Mul', `${path}/gated`, [act, up]), layer, 'down');
  }

  build(): Graph {
    const { g, c } = this;
    const { arch } = this.b;
    const { norms } = arch;
    const L = (i: number, name: string) => this.hf(`layers.${i}.${name}.weight`);

    // Embeddings: a [vocab, hidden] table, gathered, then the family's scale (kept out of the
    // table so that a tied head can read the same bytes).
    const embedSource = this.matrix(this.hf('embed_tokens.weight'), c.vocabSize, c.hiddenSize);
    const { precision, file } = this.b;
    const table = precision.table(file, '/model/embed_tokens.weight', embedSource);
    let residual = precision.gather(g, '/model/embed_tokens', table, 'input_ids'); // [b, s, hidden]
    const scale = arch.embedScale(c);
    if (scale !== 1) residual = g.op('Mul', '/model/embed_tokens/scale', [residual, this.dense('/model/embed_tokens/scale.value', [], new Float32Array([scale]))]);
    let normed = this.rmsNorm(residual, L(0, norms.preAttention), `/model/layers.0/${norms.preAttention}`);

    for (let i = 0; i < c.numLayers; i++) {
      let attn = this.attention(normed, i);
      if (norms.postAttention) attn = this.rmsNorm(attn, L(i, norms.postAttention), `/model/layers.${i}/${norms.postAttention}`);
      [normed, residual] = this.skipNorm(attn, residual, L(i, norms.preMlp), `/model/layers.${i}/${norms.preMlp}`);
      let mlp = this.mlp(normed, i);
      if (norms.postMlp) mlp = this.rmsNorm(mlp, L(i, norms.postMlp), `/model/layers.${i}/${norms.postMlp}`);
      const last = i === c.numLayers - 1;
      const nextNorm = last ? this.hf('norm.weight') : L(i + 1, norms.preAttention);
      const nextPath = last ? '/model/norm' : `/model/layers.${i + 1}/${norms.preAttention}`;
      [normed, residual] = this.skipNorm(mlp, residual, nextNorm, nextPath);
    }

    // Logits only where asked: [b, s, hidden] -> [b, positions, hidden] -> [b, positions, vocab]
    const idx = g.op('Unsqueeze', '/model/logits_positions', ['logits_positions', g.int64s([2])]);
    const picked = g.op('GatherND', '/model/logits_positions', [normed, idx], { batch_dims: 1 });
    let logits = c.tieWordEmbeddings
      ? precision.tiedHead(g, file, '/lm_head', picked, table, embedSource)
      : precision.linear(g, file, '/lm_head', picked, this.matrix(c.lmHeadName, c.vocabSize, c.hiddenSize));
    if (c.finalLogitSoftcap) {
      const cap = this.dense('/lm_head/softcap.value', [], new Float32Array([c.finalLogitSoftcap]));
      const t = g.op('Tanh', '/lm_head/softcap', [g.op('Div', '/lm_head/softcap', [logits, cap])]);
      logits = g.op('Mul', '/lm_head/softcap', [t, cap]);
    }
    if (this.b.precision.floatType !== DataType.FLOAT) logits = g.op('Cast', '/lm_head/to_float', [logits], { to: DataType.FLOAT });
    g.node('Identity', '/logits', [logits], {}, { outputs: ['logits'] });
    g.output('logits', DataType.FLOAT, ['batch', 'positions', c.vocabSize]);
    // Greedy decoding needs only the best id: fetching this instead of the logits spares copying
    // [batch, vocab] floats out of the session every step (ties: the lowest id, as argmax does).
    g.node('ArgMax', '/greedy_tokens', ['logits'], { axis: -1, keepdims: 0, select_last_index: 0 }, { outputs: ['greedy_tokens'] });
    g.output('greedy_tokens', DataType.INT64, ['batch', 'positions']);
    return g;
  }
}

export function buildDecoder(build: DecoderBuild): Graph {
  for (const m of MODULES) moduleShape(build.config, m); // shapes are well defined before anything is read
  return new DecoderBuilder(build).build();
}
