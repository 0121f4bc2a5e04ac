// config.json of a Hugging Face decoder checkpoint, normalised into one architecture-neutral shape.
// (Type declared first so the builder and the reference can be written against it; parser below.)
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SafetensorsCheckpoint } from './safetensors.ts';
import { MAX_BYTES, readBoundedText, regularFile } from './bounded-read.ts';

/** The supported architecture families; build/registry.ts gives each its graph flags. */
export const ARCH_KEYS = ['qwen3', 'llama', 'gemma3'] as const;
/** Registry key of a supported architecture family. */
export type ArchKey = (typeof ARCH_KEYS)[number];

/** RoPE frequency scaling as found under `rope_scaling` (only the kinds the released models use). */
export type RopeScaling =
  | { type: 'linear'; factor: number }
  | {
      type: 'llama3';
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      originalMaxPositionEmbeddings: number;
    };

export interface ModelConfig {
  arch: ArchKey; // family, resolved from config.architectures[0] / model_type
  hfArchitecture: string; // config.architectures[0] verbatim, e.g. "Qwen3ForCausalLM"
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number; // head_dim, or hidden_size / num_attention_heads when absent
  rmsNormEps: number;
  maxPositionEmbeddings: number;
  ropeTheta: number; // base of global (full-attention) layers
  ropeScaling: RopeScaling | null; // applies to global layers only
  ropeLocalTheta: number | null; // gemma3: rope_local_base_freq for sliding layers (no scaling)
  slidingWindow: number | null; // tokens a sliding layer sees (incl. itself); null: none
  layerTypes: ('full' | 'sliding')[]; // per layer; from layer_types or sliding_window_pattern
  tieWordEmbeddings: boolean;
  hiddenAct: 'silu' | 'gelu_tanh';
  attentionBias: boolean; // q/k/v/o carry biases (false for all three released families)
  queryPreAttnScalar: number | null; // gemma3: attention scale = this ** -0.5
  attnLogitSoftcap: number | null;
  finalLogitSoftcap: number | null;
  /** Prefix of decoder weights: "model." | "language_model.model." | "model.language_model." */
  weightPrefix: string;
  /** Name of the output projection when untied, e.g. "lm_head.weight" or "language_model.lm_head.weight". */
  lmHeadName: string;
  bosTokenId: number | null;
  eosTokenIds: number[]; // from config.json; generation_config.json may add more
  torchDtype: string | null; // as declared, informational
}

// ---------------------------------------------------------------------------------------------
// Parser. One function per architecture family, found through a registry keyed by
// architectures[0]; each reads its family's field names and fills transformers' defaults.

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Typed reads of one JSON object, with errors that name the file and the field
 * (`prefix` is "text_config." for Gemma 3's nested text config).
 * A field that is absent takes `defaults[key]`; an explicit null stays null.
 */
class Fields {
  constructor(
    readonly obj: Json,
    readonly file: string,
    readonly prefix = '',
    readonly defaults: Json = {},
  ) {}

  error(key: string, message: string): Error {
    return new Error(`${this.file}: field "${this.prefix}${key}" ${message}`);
  }

  raw(key: string, fallback?: unknown): unknown {
    const v = this.obj[key];
    if (v !== undefined) return v;
    return fallback !== undefined ? fallback : this.defaults[key];
  }

  /** A positive integer, at most `max` (a count that arrays are sized by must be sane first). */
  int(key: string, fallback?: number, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.raw(key, fallback);
    if (v === undefined) throw this.error(key, 'is missing');
    if (!Number.isSafeInteger(v) || (v as number) <= 0) throw this.error(key, `must be a positive integer (got ${JSON.stringify(v)})`);
    if ((v as number) > max) throw this.error(key, `is ${v}, more than any real model's ${max}`);
    return v as number;
  }

  /** A positive number, or null when the field is absent or null. */
  optNum(key: string, fallback?: number): number | null {
    const v = this.raw(key, fallback);
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw this.error(key, `must be a positive number (got ${JSON.stringify(v)})`);
    return v;
  }

  num(key: string, fallback?: number): number {
    const v = this.optNum(key, fallback);
    if (v === null) throw this.error(key, 'is missing');
    return v;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.raw(key, fallback);
    if (v === null) return fallback;
    if (typeof v !== 'boolean') throw this.error(key, `must be true or false (got ${JSON.stringify(v)})`);
    return v;
  }

  optString(key: string): string | null {
    const v = this.raw(key);
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string') throw this.error(key, `must be a string (got ${JSON.stringify(v)})`);
    return v;
  }

  optObject(key: string): Json | null {
    const v = this.raw(key);
    if (v === undefined || v === null) return null;
    if (!isObject(v)) throw this.error(key, `must be an object (got ${JSON.stringify(v)})`);
    return v;
  }

  /** A token id: absent or null -> null. */
  optTokenId(key: string): number | null {
    const v = this.raw(key);
    if (v === undefined || v === null) return null;
    if (!Number.isSafeInteger(v) || (v as number) < 0) throw this.error(key, `must be a token id (got ${JSON.stringify(v)})`);
    return v as number;
  }

  /** eos_token_id is a number in some configs and a list in others. */
  tokenIds(key: string): number[] {
    const v = this.raw(key);
    if (v === undefined || v === null) return [];
    const list = Array.isArray(v) ? v : [v];
    if (!list.every((x) => Number.isSafeInteger(x) && x >= 0)) {
      throw this.error(key, `must be a token id or a list of them (got ${JSON.stringify(v)})`);
    }
    return list as number[];
  }
}

function parseActivation(f: Fields, key: string, fallback: string): ModelConfig['hiddenAct'] {
  const v = f.optString(key) ?? fallback;
  if (v === 'silu') return 'silu';
  // transformers' "gelu_pytorch_tanh" is the tanh approximation of GELU.
  if (v === 'gelu_pytorch_tanh' || v === 'gelu_tanh') return 'gelu_tanh';
  throw f.error(key, `is "${v}", which is not supported (supported: silu, gelu_pytorch_tanh, gelu_tanh)`);
}

/** rope_scaling (or a transformers 5 rope_parameters block): null for plain RoPE. */
function parseRopeScaling(f: Fields, key: string, value: unknown): RopeScaling | null {
  if (value === undefined || value === null) return null;
  if (!isObject(value)) throw f.error(key, `must be an object or null (got ${JSON.stringify(value)})`);
  const sub = new Fields(value, f.file, `${f.prefix}${key}.`);
  const kind = sub.optString('rope_type') ?? sub.optString('type') ?? 'default';
  if (kind === 'default') return null;
  if (kind === 'linear') return { type: 'linear', factor: sub.num('factor') };
  if (kind === 'llama3') {
    return {
      type: 'llama3',
      factor: sub.num('factor'),
      lowFreqFactor: sub.num('low_freq_factor'),
      highFreqFactor: sub.num('high_freq_factor'),
      originalMaxPositionEmbeddings: sub.int('original_max_position_embeddings'),
    };
  }
  throw sub.error('rope_type', `is "${kind}", which is not supported (supported: default, linear, llama3)`);
}

/** Attention and MLP shapes, shared by every family. */
/**
 * Upper bounds of the counts that size arrays and graphs, far above any released model (the
 * largest have ~130 layers, 262k vocabularies, 30k-wide MLPs). A hostile config.json that asks
 * for 1e9 layers gets an error, not an out-of-memory abort.
 */
export const CONFIG_LIMITS = {
  layers: 1024,
  hidden: 1 << 16,
  intermediate: 1 << 20,
  vocab: 1 << 22,
  heads: 1024,
  headDim: 4096,
} as const;

function parseShapes(f: Fields, headDimFallback: 'hidden/heads' | number) {
  const hiddenSize = f.int('hidden_size', undefined, CONFIG_LIMITS.hidden);
  const numHeads = f.int('num_attention_heads', undefined, CONFIG_LIMITS.heads);
  // transformers: num_key_value_heads defaults to num_attention_heads (no GQA).
  const numKvHeads = f.int('num_key_value_heads', (f.defaults.num_key_value_heads as number | undefined) ?? numHeads, CONFIG_LIMITS.heads);
  if (numHeads % numKvHeads !== 0) {
    throw f.error('num_key_value_heads', `(${numKvHeads}) must divide num_attention_heads (${numHeads})`);
  }
  let headDim: number;
  if (f.raw('head_dim') === undefined && headDimFallback === 'hidden/heads') {
    if (hiddenSize % numHeads !== 0) {
      throw f.error('head_dim', `is missing and hidden_size ${hiddenSize} is not divisible by num_attention_heads ${numHeads}`);
    }
    headDim = hiddenSize / numHeads;
  } else {
    headDim = f.int('head_dim', headDimFallback === 'hidden/heads' ? undefined : headDimFallback, CONFIG_LIMITS.headDim);
  }
  return {
    vocabSize: f.int('vocab_size', undefined, CONFIG_LIMITS.vocab),
    hiddenSize,
    intermediateSize: f.int('intermediate_size', undefined, CONFIG_LIMITS.intermediate),
    numLayers: f.int('num_hidden_layers', undefined, CONFIG_LIMITS.layers),
    numHeads,
    numKvHeads,
    headDim,
  };
}

/** layer_types ("full_attention" / "sliding_attention" per layer), or null when the config has none. */
function parseLayerTypes(f: Fields, numLayers: number): ModelConfig['layerTypes'] | null {
  const v = f.raw('layer_types');
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || v.length !== numLayers) {
    throw f.error('layer_types', `must list ${numLayers} layers (num_hidden_layers), got ${Array.isArray(v) ? v.length : JSON.stringify(v)}`);
  }
  return v.map((t, i) => {
    if (t === 'full_attention') return 'full';
    if (t === 'sliding_attention') return 'sliding';
    throw f.error(`layer_types[${i}]`, `is ${JSON.stringify(t)}, which is not supported (supported: full_attention, sliding_attention)`);
  });
}

/** Scaling from rope_scaling, or from transformers 5's rope_parameters block when that is what the config has. */
function ropeScalingOf(f: Fields, params: Json | null, paramsKey = 'rope_parameters'): RopeScaling | null {
  if (f.obj.rope_scaling === undefined && params) return parseRopeScaling(f, paramsKey, params);
  return parseRopeScaling(f, 'rope_scaling', f.raw('rope_scaling'));
}

function dtypeOf(f: Fields): string | null {
  // transformers 5 writes "dtype" where 4.x wrote "torch_dtype".
  return f.optString('torch_dtype') ?? f.optString('dtype');
}

// ---- Llama and Qwen3 (the same config family in transformers) ----

function parseLlamaFamily(
  f: Fields,
  hfArchitecture: string,
  arch: 'llama' | 'qwen3',
  headDimFallback: 'hidden/heads' | number,
  maxPositionDefault: number,
): ModelConfig {
  const shapes = parseShapes(f, headDimFallback);
  if (f.bool('mlp_bias', false)) throw f.error('mlp_bias', 'is true: MLP biases are not supported');
  const rope = f.optObject('rope_parameters'); // transformers 5 moves rope_theta and rope_scaling here
  return {
    arch,
    hfArchitecture,
    ...shapes,
    rmsNormEps: f.num('rms_norm_eps', 1e-6),
    maxPositionEmbeddings: f.int('max_position_embeddings', maxPositionDefault),
    ropeTheta: f.num('rope_theta', (rope?.rope_theta as number | undefined) ?? 10000),
    ropeScaling: ropeScalingOf(f, rope),
    ropeLocalTheta: null,
    slidingWindow: null,
    layerTypes: Array.from({ length: shapes.numLayers }, () => 'full' as const),
    tieWordEmbeddings: f.bool('tie_word_embeddings', false),
    hiddenAct: parseActivation(f, 'hidden_act', 'silu'),
    attentionBias: f.bool('attention_bias', false),
    queryPreAttnScalar: null,
    attnLogitSoftcap: null,
    finalLogitSoftcap: null,
    weightPrefix: 'model.',
    lmHeadName: 'lm_head.weight',
    bosTokenId: f.optTokenId('bos_token_id'),
    eosTokenIds: f.tokenIds('eos_token_id'),
    torchDtype: dtypeOf(f),
  };
}

function parseLlama(f: Fields, hfArchitecture: string): ModelConfig {
  return parseLlamaFamily(f, hfArchitecture, 'llama', 'hidden/heads', 2048);
}

function parseQwen3(f: Fields, hfArchitecture: string): ModelConfig {
  // Qwen3Config's head_dim default is 128, not hidden / heads.
  const config = parseLlamaFamily(f, hfArchitecture, 'qwen3', 128, 32768);
  // Qwen3 honours sliding_window only with use_sliding_window, and then only from layer max_window_layers on.
  const slidingWindow = f.bool('use_sliding_window', false) ? f.optNum('sliding_window') : null;
  if (slidingWindow === null) return config; // "sliding" layers without a window attend to everything
  const maxWindowLayers = f.int('max_window_layers', config.numLayers);
  const listed = parseLayerTypes(f, config.numLayers);
  const layerTypes = listed ?? config.layerTypes.map((_, i) => (i >= maxWindowLayers ? 'sliding' : 'full'));
  return { ...config, slidingWindow, layerTypes };
}

// ---- Gemma 3 (text) ----

/**
 * Gemma3TextConfig's defaults in transformers. gemma-3-4b-it's text_config names only a few
 * fields (hidden_size, intermediate_size, num_hidden_layers, rope_scaling, sliding_window);
 * everything else, including vocab_size 262208 and 8 / 4 heads, comes from here.
 */
export const GEMMA3_TEXT_DEFAULTS: Json = {
  vocab_size: 262208,
  hidden_size: 2304,
  intermediate_size: 9216,
  num_hidden_layers: 26,
  num_attention_heads: 8,
  num_key_value_heads: 4,
  head_dim: 256,
  hidden_activation: 'gelu_pytorch_tanh',
  max_position_embeddings: 131072,
  rms_norm_eps: 1e-6,
  bos_token_id: 2,
  eos_token_id: 1,
  tie_word_embeddings: true,
  rope_theta: 1_000_000,
  attention_bias: false,
  query_pre_attn_scalar: 256,
  sliding_window: 4096,
  final_logit_softcapping: null,
  attn_logit_softcapping: null,
  rope_scaling: null,
  rope_local_base_freq: 10_000,
  sliding_window_pattern: 6,
};

/**
 * text: the Gemma3TextConfig fields (the root for gemma3_text, text_config for the multimodal
 * checkpoint); root: where the multimodal config keeps eos_token_id and torch_dtype.
 */
function parseGemma3Text(text: Fields, root: Fields, hfArchitecture: string, weightPrefix: string, lmHeadName: string): ModelConfig {
  const shapes = parseShapes(text, 256);
  const rope = text.optObject('rope_parameters'); // transformers 5: {full_attention: {...}, sliding_attention: {...}}
  const fullRope = rope && isObject(rope.full_attention) ? rope.full_attention : null;
  const localRope = rope && isObject(rope.sliding_attention) ? rope.sliding_attention : null;
  if (localRope && parseRopeScaling(text, 'rope_parameters.sliding_attention', localRope) !== null) {
    throw text.error('rope_parameters.sliding_attention.rope_type', 'must be "default": sliding layers use plain RoPE');
  }

  // Layer i is global when (i + 1) % pattern == 0: five sliding layers, then one full, for pattern 6.
  let layerTypes = parseLayerTypes(text, shapes.numLayers);
  if (!layerTypes) {
    const pattern = text.int('sliding_window_pattern');
    layerTypes = Array.from({ length: shapes.numLayers }, (_, i) => ((i + 1) % pattern === 0 ? 'full' : 'sliding'));
  }

  // The multimodal config keeps token ids and tying at its root; text_config's own values (or defaults) otherwise.
  const rootFirst = (key: string) => (root !== text && root.raw(key) !== undefined ? root : text);
  // Gemma3TextConfig calls it hidden_activation; some converted configs write hidden_act instead.
  const hidden = text.raw('hidden_activation') !== undefined || text.raw('hidden_act') === undefined ? 'hidden_activation' : 'hidden_act';
  return {
    arch: 'gemma3',
    hfArchitecture,
    ...shapes,
    rmsNormEps: text.num('rms_norm_eps'),
    maxPositionEmbeddings: text.int('max_position_embeddings'),
    ropeTheta: text.num('rope_theta', fullRope?.rope_theta as number | undefined),
    ropeScaling: ropeScalingOf(text, fullRope, 'rope_parameters.full_attention'), // global layers only
    ropeLocalTheta: text.num('rope_local_base_freq', localRope?.rope_theta as number | undefined),
    slidingWindow: text.num('sliding_window'),
    layerTypes,
    tieWordEmbeddings: text.obj.tie_word_embeddings !== undefined ? text.bool('tie_word_embeddings', true) : root.bool('tie_word_embeddings', true),
    hiddenAct: parseActivation(text, hidden, 'gelu_pytorch_tanh'),
    attentionBias: text.bool('attention_bias', false),
    queryPreAttnScalar: text.num('query_pre_attn_scalar'),
    attnLogitSoftcap: text.optNum('attn_logit_softcapping'),
    finalLogitSoftcap: text.optNum('final_logit_softcapping'),
    weightPrefix,
    lmHeadName,
    bosTokenId: rootFirst('bos_token_id').optTokenId('bos_token_id'),
    eosTokenIds: rootFirst('eos_token_id').tokenIds('eos_token_id'),
    torchDtype: dtypeOf(root) ?? dtypeOf(text),
  };
}

function parseGemma3ForCausalLM(f: Fields, hfArchitecture: string): ModelConfig {
  const text = new Fields(f.obj, f.file, '', GEMMA3_TEXT_DEFAULTS);
  return parseGemma3Text(text, text, hfArchitecture, 'model.', 'lm_head.weight');
}

function parseGemma3ForConditionalGeneration(f: Fields, hfArchitecture: string): ModelConfig {
  const nested = f.optObject('text_config') ?? {}; // transformers builds a default text config when it is absent
  const text = new Fields(nested, f.file, 'text_config.', GEMMA3_TEXT_DEFAULTS);
  // Original checkpoints name the decoder "language_model.model."; resolveWeightPrefix corrects this
  // for checkpoints saved by newer transformers ("model.language_model.").
  return parseGemma3Text(text, f, hfArchitecture, 'language_model.model.', 'language_model.lm_head.weight');
}

/** Supported architectures, keyed by config.architectures[0]. */
const PARSERS: Record<string, (f: Fields, hfArchitecture: string) => ModelConfig> = {
  Qwen3ForCausalLM: parseQwen3,
  LlamaForCausalLM: parseLlama,
  Gemma3ForCausalLM: parseGemma3ForCausalLM,
  Gemma3ForConditionalGeneration: parseGemma3ForConditionalGeneration,
};

export const SUPPORTED_ARCHITECTURES: readonly string[] = Object.keys(PARSERS);

/** Normalises a parsed config.json. `file` names the source in error messages. */
export function parseModelConfig(json: unknown, file = 'config.json'): ModelConfig {
  if (!isObject(json)) throw new Error(`${file}: expected a JSON object`);
  const f = new Fields(json, file);
  const archs = json.architectures;
  if (archs === undefined || archs === null) throw f.error('architectures', 'is missing');
  if (!Array.isArray(archs) || typeof archs[0] !== 'string') throw f.error('architectures', 'must be a list of architecture names');
  const name = archs[0];
  const parse = PARSERS[name];
  if (!parse) {
    throw new Error(`${file}: architectures[0] "${name}" is not supported (supported: ${SUPPORTED_ARCHITECTURES.join(', ')})`);
  }
  return parse(f, name);
}

/** Where a checkpoint keeps its decoder, by the name of its token embedding. */
const WEIGHT_PREFIXES: { prefix: string; lmHead: string }[] = [
  { prefix: 'model.', lmHead: 'lm_head.weight' }, // causal LMs
  { prefix: 'language_model.model.', lmHead: 'language_model.lm_head.weight' }, // gemma-3 multimodal, as released
  { prefix: 'model.language_model.', lmHead: 'lm_head.weight' }, // gemma-3 multimodal, saved by transformers >= 4.52
];

/**
 * Picks weightPrefix and lmHeadName from the tensor names a checkpoint actually has.
 * `where` names the checkpoint in errors.
 */
export function resolveWeightPrefix(config: ModelConfig, tensorNames: Iterable<string>, where = 'checkpoint'): ModelConfig {
  const names = tensorNames instanceof Set ? (tensorNames as Set<string>) : new Set(tensorNames);
  const found = WEIGHT_PREFIXES.find(({ prefix }) => names.has(`${prefix}embed_tokens.weight`));
  if (!found) {
    const looked = WEIGHT_PREFIXES.map(({ prefix }) => `${prefix}embed_tokens.weight`).join(', ');
    throw new Error(`${where}: no token embedding tensor (looked for ${looked})`);
  }
  if (!config.tieWordEmbeddings && !names.has(found.lmHead)) {
    throw new Error(`${where}: tie_word_embeddings is false but tensor "${found.lmHead}" is missing`);
  }
  checkLayerCount(config.numLayers, names, found.prefix, where);
  return { ...config, weightPrefix: found.prefix, lmHeadName: found.lmHead };
}

/**
 * The checkpoint's layers must be the config's: a tensor of layer N >= num_hidden_layers would be
 * dropped without a word (the model answers, wrongly). Indices are compared as numbers read from
 * the names, never used to size anything.
 */
export function checkLayerCount(numLayers: number, tensorNames: Iterable<string>, prefix: string, where = 'checkpoint'): void {
  const layerOf = new RegExp(`^${prefix.replace(/[.]/g, '\\.')}layers\\.(\\d+)\\.`);
  let highest = -1;
  let example = '';
  for (const name of tensorNames) {
    const m = layerOf.exec(name);
    if (m && Number(m[1]) > highest) [highest, example] = [Number(m[1]), name];
  }
  if (highest >= numLayers) {
    throw new Error(`${where}: tensor "${example}" is layer ${highest}, but config.json's num_hidden_layers is ${numLayers}: the checkpoint has more layers than its config (refusing to drop them)`);
  }
}

/** Reads and parses a small JSON file of a model folder (config, tokenizer, generation config): a regular file, bounded in size. */
export function readJsonFile(path: string, maxBytes: number = MAX_BYTES.config): unknown {
  const text = readBoundedText(path, maxBytes);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

/** Reads DIR/config.json, and resolves weight names against the folder's safetensors when there are any. */
export function readModelConfig(dir: string): ModelConfig {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) throw new Error(`${path} is missing: the model folder needs its config.json`);
  const config = parseModelConfig(readJsonFile(path, MAX_BYTES.config), path);
  if (!SafetensorsCheckpoint.exists(dir)) return config;
  // a FIFO or a device named *.safetensors would block or never end: plain files only
  for (const f of readdirSync(dir)) if (f.endsWith('.safetensors') || f.endsWith('.safetensors.index.json')) regularFile(join(dir, f));
  let checkpoint: SafetensorsCheckpoint;
  try {
    checkpoint = SafetensorsCheckpoint.open(dir);
  } catch (e) {
    const message = (e as Error).message;
    throw message.includes(dir) ? e : new Error(`${dir}: ${message}`); // the folder, not only the file's name
  }
  try {
    return resolveWeightPrefix(config, checkpoint.names(), dir);
  } finally {
    checkpoint.close();
  }
}
