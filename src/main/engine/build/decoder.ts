// The decoder graph, once for every family: embeddings, N layers of attention + MLP with a LoRA
// branch on each of the seven linears, final norm, and logits at requested positions.
// Family differences come from an ArchSpec (arch.ts); precision differences from a Precision.
//
// Graph inputs                                   Graph outputs
//   input_ids            int64 [batch, seq]        logits              float32 [batch, positions, vocab]
//   seqlens_k            int32 [batch]  (total-1)  present.N.key/value [batch, kv_heads, total, head_dim]
//   total_sequence_length int32 []
//   logits_positions     int64 [batch, positions]         greedy_tokens       int64 [batch, positions]
//   past_key_values.N.key/value [batch, kv_heads, past, head_dim]
//   lora.N.M.a float32 [batch, in, rank]   lora.N.M.b float32 [batch, rank, out]   (rank may be 0)
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
export const KV_OUTPUT = (layer: number, kind: 'key' | 'value') => `present.${layer}.${kind}`;

class DecoderBuilder {
  readonly g = new Graph();
  private readonly c: ModelConfig;
  private readonly ropeTables = new Map<string, { cos: string; sin: string }>();
  private readonly seqlensK: string;
  private readonly totalLength: string;

  constructor(private readonly b: DecoderBuild) {
    this.c = b.config;
    const { g } = this;
    g.input('input_ids', DataType.INT64, ['batch', 'sequence']);
    this.seqlensK = g.input('seqlens_k', DataType.INT32, ['batch']);
    this.totalLength = g.input('total_sequence_length', DataType.INT32, []);
    g.input('logits_positions', DataType.INT64, ['batch', 'positions']);
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
   *   x ─┬─ q_proj ─(q_norm)─┐
   *      ├─ k_proj ─(k_norm)─┼─ GroupQueryAttention (RoPE, KV cache) ── o_proj ── out
   *      └─ v_proj ──────────┘        ↑ past_key_values.N.*   ↓ present.N.*
   */
  private attention(x: string, layer: number): string {
    const { g, c } = this;
    const { arch } = this.b;
    let q = this.linear(x, layer, 'q'); // [b, s, heads*hd]
    let k = this.linear(x, layer, 'k'); // [b, s, kv_heads*hd]
    const v = this.linear(x, layer, 'v');
    if (arch.qkNorm) {
      q = this.headNorm(q, layer, 'q');
      k = this.headNorm(k, layer, 'k');
    }
    const kvDims = ['batch', c.numKvHeads, 'past_sequence', c.headDim];
    const pastK = g.input(KV_INPUT(layer, 'key'), this.b.precision.floatType, kvDims);
    const pastV = g.input(KV_INPUT(layer, 'value'), this.b.precision.floatType, kvDims);
    const presentDims = ['batch', c.numKvHeads, 'total_sequence', c.headDim];
    g.output(KV_OUTPUT(layer, 'key'), this.b.precision.floatType, presentDims);
    g.output(KV_OUTPUT(layer, 'value'), this.b.precision.floatType, presentDims);
    const { cos, sin } = this.rope(layer);
    const attrs: Record<string, AttrValue> = {
      num_heads: c.numHeads,
      kv_num_heads: c.numKvHeads,
      do_rotary: 1,
      rotary_interleaved: 0,
      scale: { float: arch.attentionScale(c) },
    };
    if (c.layerTypes[layer] === 'sliding' && c.slidingWindow) attrs.local_window_size = c.slidingWindow;
    if (c.attnLogitSoftcap) attrs.softcap = { float: c.attnLogitSoftcap };
    const [attn] = g.ms(
      'GroupQueryAttention',
      `/model/layers.${layer}/attn`,
      [q, k, v, pastK, pastV, this.seqlensK, this.totalLength, cos, sin],
      attrs,
      [`/model/layers.${layer}/attn/output`, KV_OUTPUT(layer, 'key'), KV_OUTPUT(layer, 'value')],
    );
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
