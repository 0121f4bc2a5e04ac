// Reference forward pass in plain TypeScript: the yardstick the ONNX engine is measured against.
//
// Test code only. Written to be obvious rather than fast: no KV cache, every call recomputes the
// whole causal sequence, activations live in Float64Array (weights stay float32, as stored), and
// every dot product is accumulated in JS numbers (float64). It shares nothing with the ONNX builder
// except the config type and the module list.
//
// Semantics follow Hugging Face transformers (modeling_llama.py, modeling_qwen3.py,
// modeling_gemma3.py, modeling_rope_utils.py, masking_utils.py), eager attention path:
//
//   h = embed(ids)                                  (gemma3: * fp32(sqrt(hidden_size)))
//   per layer:
//     x = norm_in(h)                                input_layernorm
//     q,k,v = x Wq^T, x Wk^T, x Wv^T                (+ LoRA, + bias if attention_bias)
//     q,k = rmsnorm per head over head_dim          qwen3 / gemma3 only (q_norm, k_norm), BEFORE RoPE
//     q,k = rope(q,k)                               rotate_half convention (halves, not pairs)
//     a = softmax(softcap(q k^T * scale) + mask) v  GQA: kv head = head / (numHeads / numKvHeads)
//     o = a Wo^T                                    (+ LoRA on the concatenated heads)
//     gemma3: o = post_attention_layernorm(o)
//     h = h + o
//     x = llama/qwen3: post_attention_layernorm(h)  (this IS the pre-MLP norm there)
//         gemma3:      pre_feedforward_layernorm(h)
//     m = down(act(gate(x)) * up(x))                (+ LoRA on each, down's input is act(gate)*up)
//     gemma3: m = post_feedforward_layernorm(m)
//     h = h + m
//   logits = final_norm(h) lm_head^T                (tied: lm_head = embed_tokens; optional final softcap)
import type { ModelConfig } from '../../src/main/engine/hf/config.ts';
import { HF_MODULE_PATH, MODULES, moduleShape, type ModuleName } from '../../src/main/engine/modules.ts';

/** One raw tensor: Hugging Face layout ([out, in] for linear weights), row-major float32. */
export type Tensor = { shape: number[]; data: Float32Array };

/** Raw Hugging Face tensors by their real checkpoint names; `get` throws when a name is missing. */
export type Weights = { get(name: string): Tensor };

/** One low-rank delta on one linear: y += scale * (x a) b. */
export type LoraEntry = {
  layer: number;
  module: ModuleName;
  a: Float32Array; // [in, rank] row-major
  b: Float32Array; // [rank, out] row-major
  rank: number;
  scale: number;
};

/** Every entry for the same (layer, module) is added: several adapters stack (diff + DIT adapter). */
export type LoraStack = LoraEntry[];

// ---------------------------------------------------------------------------------------------
// Small helpers

/** Fetch a tensor and check its shape, so a wrong name or orientation fails loudly. */
function tensor(weights: Weights, name: string, shape: number[]): Float32Array {
  const t = weights.get(name);
  if (!t) throw new Error(`reference: missing tensor ${name}`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`reference: tensor ${name} has shape [${t.shape}], expected [${shape}]`);
  }
  const n = shape.reduce((p, d) => p * d, 1);
  if (t.data.length !== n) throw new Error(`reference: tensor ${name} has ${t.data.length} values, expected ${n}`);
  return t.data;
}

/** y[t, o] = sum_i x[t, i] * w[o, i]   (x: [rows, inDim] float64, w: [outDim, inDim] float32) */
function matmulTransposed(x: Float64Array, rows: number, inDim: number, w: Float32Array, outDim: number): Float64Array {
  const y = new Float64Array(rows * outDim);
  for (let t = 0; t < rows; t++) {
    const xOff = t * inDim;
    for (let o = 0; o < outDim; o++) {
      const wOff = o * inDim;
      let s = 0;
      for (let i = 0; i < inDim; i++) s += x[xOff + i] * w[wOff + i];
      y[t * outDim + o] = s;
    }
  }
  return y;
}

/**
 * RMSNorm over rows of length `dim`: x / sqrt(mean(x^2) + eps) * w, or * (1 + w) for gemma3
 * (Gemma3RMSNorm stores weights centred on 0). Applied row by row: [rows, dim] -> [rows, dim].
 */
function rmsNorm(x: Float64Array, rows: number, dim: number, w: Float32Array, eps: number, plusOne: boolean): Float64Array {
  const y = new Float64Array(rows * dim);
  for (let t = 0; t < rows; t++) {
    const off = t * dim;
    let sumSq = 0;
    for (let i = 0; i < dim; i++) sumSq += x[off + i] * x[off + i];
    const inv = 1 / Math.sqrt(sumSq / dim + eps);
    for (let i = 0; i < dim; i++) y[off + i] = x[off + i] * inv * (plusOne ? 1 + w[i] : w[i]);
  }
  return y;
}

function silu(x: number): number {
  return x / (1 + Math.exp(-x));
}

/** gelu_pytorch_tanh: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
}

/** tanh(x / cap) * cap */
function softcap(x: number, cap: number): number {
  return Math.tanh(x / cap) * cap;
}

// ---------------------------------------------------------------------------------------------
// Layer-level semantics, exported so tests (and the parity test of the builder) can use them.

/** Is this layer's attention restricted to a sliding window? */
export function isSlidingLayer(config: ModelConfig, layer: number): boolean {
  return config.layerTypes[layer] === 'sliding' && config.slidingWindow !== null;
}

/**
 * May a query at position q attend to a key at position k in this layer?
 *   full layers:    k <= q
 *   sliding layers: q - slidingWindow < k <= q
 * transformers/masking_utils.py: causal_mask_function is `kv_idx <= q_idx`, and
 * sliding_window_overlay is `kv_idx > q_idx - sliding_window`, AND-ed for sliding layers
 * (create_sliding_window_causal_mask, used by Gemma3TextModel for "sliding_attention" layers).
 * So a sliding layer sees exactly `slidingWindow` tokens including itself.
 */
export function attends(config: ModelConfig, layer: number, q: number, k: number): boolean {
  if (k > q) return false;
  if (isSlidingLayer(config, layer)) return k > q - (config.slidingWindow as number);
  return true;
}

/**
 * Inverse RoPE frequencies of a layer, length headDim / 2, rounded to float32 as transformers keeps
 * them (the `inv_freq` buffer is fp32).
 *   default: inv_freq[i] = 1 / theta^(2i / headDim)
 *   linear:  inv_freq / factor            (same as dividing positions by factor)
 *   llama3:  wavelen = 2 pi / inv_freq;  wavelen < orig/high: unchanged;  wavelen > orig/low: / factor;
 *            otherwise smooth = (orig / wavelen - low) / (high - low),
 *            inv = (1 - smooth) * inv / factor + smooth * inv
 * gemma3 sliding layers use rope_local_base_freq (ropeLocalTheta) and never scaling; full layers use
 * ropeTheta with ropeScaling. Other families use ropeTheta + ropeScaling everywhere (their
 * ropeLocalTheta is null).
 */
export function ropeInvFreq(config: ModelConfig, layer: number): Float64Array {
  const local = config.layerTypes[layer] === 'sliding' && config.ropeLocalTheta !== null;
  const theta = local ? (config.ropeLocalTheta as number) : config.ropeTheta;
  const scaling = local ? null : config.ropeScaling;
  const d = config.headDim;
  const inv = new Float64Array(d / 2);
  for (let i = 0; i < d / 2; i++) {
    // as torch does it in float32: 1.0 / (base ** (arange(0, d, 2).float() / d))
    let f = Math.fround(1 / Math.fround(Math.pow(theta, Math.fround((2 * i) / d))));
    if (scaling?.type === 'linear') {
      f = f / scaling.factor;
    } else if (scaling?.type === 'llama3') {
      const { factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings: orig } = scaling;
      const lowFreqWavelen = orig / lowFreqFactor;
      const highFreqWavelen = orig / highFreqFactor;
      const wavelen = (2 * Math.PI) / f;
      if (wavelen > lowFreqWavelen) {
        f = f / factor;
      } else if (wavelen >= highFreqWavelen) {
        // medium frequency: !(wavelen < high) && !(wavelen > low)
        const smooth = (orig / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
        f = ((1 - smooth) * f) / factor + smooth * f;
      }
      // wavelen < highFreqWavelen: unchanged
    }
    inv[i] = Math.fround(f);
  }
  return inv;
}

/**
 * Rotate every head of x ([rows, nHeads * headDim]) in place, position of row t = t.
 * rotate_half convention: the pair is (x[i], x[i + headDim/2]), both using inv_freq[i]:
 *   out[i]        = x[i] cos - x[i + half] sin
 *   out[i + half] = x[i + half] cos + x[i] sin
 * The angle is fp32(inv_freq * position) as transformers computes it (fp32 matmul).
 */
function applyRope(x: Float64Array, rows: number, nHeads: number, headDim: number, invFreq: Float64Array): void {
  const half = headDim / 2;
  for (let t = 0; t < rows; t++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(invFreq[i] * t);
      const cos = Math.cos(angle);
      const sin = Math.sin(angle);
      for (let h = 0; h < nHeads; h++) {
        const off = t * nHeads * headDim + h * headDim;
        const x1 = x[off + i];
        const x2 = x[off + i + half];
        x[off + i] = x1 * cos - x2 * sin;
        x[off + i + half] = x2 * cos + x1 * sin;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The model

type LoraIndex = Map<string, LoraEntry[]>;

function indexLora(config: ModelConfig, lora: LoraStack | undefined): LoraIndex {
  const index: LoraIndex = new Map();
  for (const e of lora ?? []) {
    if (!(MODULES as readonly string[]).includes(e.module)) throw new Error(`reference: unknown LoRA module ${e.module}`);
    if (!Number.isInteger(e.layer) || e.layer < 0 || e.layer >= config.numLayers) {
      throw new Error(`reference: LoRA layer ${e.layer} out of range`);
    }
    const [inDim, outDim] = moduleShape(config, e.module);
    if (e.a.length !== inDim * e.rank) throw new Error(`reference: LoRA ${e.layer}.${e.module} a has ${e.a.length} values, expected ${inDim}x${e.rank}`);
    if (e.b.length !== e.rank * outDim) throw new Error(`reference: LoRA ${e.layer}.${e.module} b has ${e.b.length} values, expected ${e.rank}x${outDim}`);
    const key = `${e.layer}.${e.module}`;
    index.set(key, [...(index.get(key) ?? []), e]);
  }
  return index;
}

/**
 * One adapted linear of a decoder layer: y = x W^T (+ bias) + sum_entries scale * (x a) b.
 * x: [rows, in] -> y: [rows, out]
 */
function linear(
  config: ModelConfig,
  weights: Weights,
  loras: LoraIndex,
  layer: number,
  module: ModuleName,
  x: Float64Array,
  rows: number,
): Float64Array {
  const [inDim, outDim] = moduleShape(config, module);
  const path = `${config.weightPrefix}layers.${layer}.${HF_MODULE_PATH[module]}`;
  const w = tensor(weights, `${path}.weight`, [outDim, inDim]);
  const y = matmulTransposed(x, rows, inDim, w, outDim);
  const hasBias = config.attentionBias && (module === 'q' || module === 'k' || module === 'v' || module === 'o');
  if (hasBias) {
    const bias = tensor(weights, `${path}.bias`, [outDim]);
    for (let t = 0; t < rows; t++) for (let o = 0; o < outDim; o++) y[t * outDim + o] += bias[o];
  }
  for (const e of loras.get(`${layer}.${module}`) ?? []) {
    const r = e.rank;
    for (let t = 0; t < rows; t++) {
      const u = new Float64Array(r); // x_t a : [r]
      for (let i = 0; i < inDim; i++) {
        const xi = x[t * inDim + i];
        for (let j = 0; j < r; j++) u[j] += xi * e.a[i * r + j];
      }
      for (let j = 0; j < r; j++) {
        const uj = e.scale * u[j];
        for (let o = 0; o < outDim; o++) y[t * outDim + o] += uj * e.b[j * outDim + o];
      }
    }
  }
  return y;
}

/** Differences between the families, decided once. */
function features(config: ModelConfig) {
  const gemma = config.arch === 'gemma3';
  return {
    normPlusOne: gemma, // Gemma3RMSNorm: * (1 + w)
    qkNorm: config.arch === 'qwen3' || gemma, // q_norm / k_norm per head before RoPE
    sandwich: gemma, // post_attention / pre_feedforward / post_feedforward norms
    // Gemma3TextScaledWordEmbedding: embed_scale = torch.tensor(hidden_size ** 0.5), a float32 value
    // (cast to the weight dtype: in a bf16 model it would be bf16(sqrt(h)); we run fp32).
    embedScale: gemma ? Math.fround(Math.sqrt(config.hiddenSize)) : 1,
    attnScale: config.queryPreAttnScalar !== null ? Math.pow(config.queryPreAttnScalar, -0.5) : Math.pow(config.headDim, -0.5),
    act: config.hiddenAct === 'gelu_tanh' ? geluTanh : silu,
  };
}

/** Final hidden states after the last norm: [T, hidden]. */
function decoder(config: ModelConfig, weights: Weights, ids: number[], lora: LoraStack | undefined): Float64Array {
  const { hiddenSize: H, numHeads: nH, numKvHeads: nKv, headDim: hd, intermediateSize: F, rmsNormEps: eps } = config;
  const T = ids.length;
  const f = features(config);
  const loras = indexLora(config, lora);
  const p = config.weightPrefix;
  if (nH % nKv !== 0) throw new Error('reference: numHeads must be a multiple of numKvHeads');
  if (config.layerTypes.length !== config.numLayers) throw new Error('reference: layerTypes length != numLayers');
  const groups = nH / nKv;

  // Embedding: h [T, H]
  const embed = tensor(weights, `${p}embed_tokens.weight`, [config.vocabSize, H]);
  let h = new Float64Array(T * H);
  for (let t = 0; t < T; t++) {
    const id = ids[t];
    if (!Number.isInteger(id) || id < 0 || id >= config.vocabSize) throw new Error(`reference: token id ${id} out of range`);
    for (let i = 0; i < H; i++) h[t * H + i] = embed[id * H + i] * f.embedScale;
  }

  for (let l = 0; l < config.numLayers; l++) {
    const lp = `${p}layers.${l}.`;
    const norm = (x: Float64Array, rows: number, dim: number, name: string) =>
      rmsNorm(x, rows, dim, tensor(weights, lp + name, [dim]), eps, f.normPlusOne);

    // --- attention block ---
    const x = norm(h, T, H, 'input_layernorm.weight'); // [T, H]
    let q = linear(config, weights, loras, l, 'q', x, T); // [T, nH * hd]
    let k = linear(config, weights, loras, l, 'k', x, T); // [T, nKv * hd]
    const v = linear(config, weights, loras, l, 'v', x, T); // [T, nKv * hd]
    if (f.qkNorm) {
      // view as [T * heads, hd] and normalise each head vector over head_dim
      q = norm(q, T * nH, hd, 'self_attn.q_norm.weight');
      k = norm(k, T * nKv, hd, 'self_attn.k_norm.weight');
    }
    const invFreq = ropeInvFreq(config, l);
    applyRope(q, T, nH, hd, invFreq);
    applyRope(k, T, nKv, hd, invFreq);

    const attn = new Float64Array(T * nH * hd); // [T, nH * hd], head-major columns (h * hd + d)
    for (let head = 0; head < nH; head++) {
      const kvHead = Math.floor(head / groups);
      for (let tq = 0; tq < T; tq++) {
        const qOff = tq * nH * hd + head * hd;
        const keys: number[] = [];
        const scores: number[] = [];
        for (let tk = 0; tk < T; tk++) {
          if (!attends(config, l, tq, tk)) continue;
          const kOff = tk * nKv * hd + kvHead * hd;
          let s = 0;
          for (let d = 0; d < hd; d++) s += q[qOff + d] * k[kOff + d];
          s *= f.attnScale;
          if (config.attnLogitSoftcap !== null) s = softcap(s, config.attnLogitSoftcap); // before the mask
          keys.push(tk);
          scores.push(s);
        }
        const max = Math.max(...scores);
        const exps = scores.map((s) => Math.exp(s - max));
        const sum = exps.reduce((a, b) => a + b, 0);
        for (let j = 0; j < keys.length; j++) {
          const w = exps[j] / sum;
          const vOff = keys[j] * nKv * hd + kvHead * hd;
          for (let d = 0; d < hd; d++) attn[qOff + d] += w * v[vOff + d];
        }
      }
    }
    let o = linear(config, weights, loras, l, 'o', attn, T); // [T, H]
    if (f.sandwich) o = norm(o, T, H, 'post_attention_layernorm.weight');
    for (let i = 0; i < T * H; i++) h[i] += o[i];

    // --- MLP block ---
    const x2 = f.sandwich
      ? norm(h, T, H, 'pre_feedforward_layernorm.weight')
      : norm(h, T, H, 'post_attention_layernorm.weight'); // llama/qwen3: the pre-MLP norm
    const gate = linear(config, weights, loras, l, 'gate', x2, T); // [T, F]
    const up = linear(config, weights, loras, l, 'up', x2, T); // [T, F]
    const inner = new Float64Array(T * F); // act(gate) * up : [T, F]
    for (let i = 0; i < T * F; i++) inner[i] = f.act(gate[i]) * up[i];
    let m = linear(config, weights, loras, l, 'down', inner, T); // [T, H]
    if (f.sandwich) m = norm(m, T, H, 'post_feedforward_layernorm.weight');
    const next = new Float64Array(T * H);
    for (let i = 0; i < T * H; i++) next[i] = h[i] + m[i];
    h = next;
  }

  return rmsNorm(h, T, H, tensor(weights, `${p}norm.weight`, [H]), eps, f.normPlusOne);
}

/** logits rows for the given positions of final hidden states: [positions.length, vocab] */
function lmHead(config: ModelConfig, weights: Weights, hidden: Float64Array, positions: number[]): Float32Array {
  const { hiddenSize: H, vocabSize: V } = config;
  const name = config.tieWordEmbeddings ? `${config.weightPrefix}embed_tokens.weight` : config.lmHeadName;
  const w = tensor(weights, name, [V, H]);
  const out = new Float32Array(positions.length * V);
  positions.forEach((t, row) => {
    for (let vv = 0; vv < V; vv++) {
      let s = 0;
      for (let i = 0; i < H; i++) s += hidden[t * H + i] * w[vv * H + i];
      if (config.finalLogitSoftcap !== null) s = softcap(s, config.finalLogitSoftcap);
      out[row * V + vv] = s;
    }
  });
  return out;
}

/** Logits for every position: [ids.length, vocab] row-major. Full causal recomputation, no cache. */
export function referenceLogits(config: ModelConfig, weights: Weights, ids: number[], lora?: LoraStack): Float32Array {
  if (ids.length === 0) return new Float32Array(0);
  const hidden = decoder(config, weights, ids, lora);
  return lmHead(config, weights, hidden, ids.map((_, t) => t));
}

/** Index of the largest value; the lowest index wins ties. Throws on NaN. */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 0; i < row.length; i++) {
    if (Number.isNaN(row[i])) throw new Error(`reference: NaN logit at ${i}`);
    if (row[i] > row[best]) best = i;
  }
  return best;
}

/**
 * Greedy generation by repeated full forward passes. Returns only the new tokens; generation stops
 * after an EOS id has been produced (that id is included, as Hugging Face generate() does) or after
 * maxNewTokens.
 */
export function referenceGreedy(
  config: ModelConfig,
  weights: Weights,
  promptIds: number[],
  maxNewTokens: number,
  eosIds: number[],
  lora?: LoraStack,
): number[] {
  if (promptIds.length === 0) throw new Error('reference: empty prompt');
  const ids = [...promptIds];
  const out: number[] = [];
  for (let step = 0; step < maxNewTokens; step++) {
    const hidden = decoder(config, weights, ids, lora);
    const logits = lmHead(config, weights, hidden, [ids.length - 1]); // only the last row: [1, vocab]
    const next = argmax(logits);
    out.push(next);
    ids.push(next);
    if (eosIds.includes(next)) break;
  }
  return out;
}
