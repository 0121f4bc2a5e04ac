// The reading of config.json's fields that every family's parser shares: typed reads with errors
// that name the file and the field, the shapes, RoPE scaling, layer types. Each family's own
// parser (engine/families/<family>.ts) is written with these.
import type { ModelConfig, RopeScaling } from './config.ts';

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Typed reads of one JSON object, with errors that name the file and the field
 * (`prefix` is "text_config." for Gemma 3's nested text config).
 * A field that is absent takes `defaults[key]`; an explicit null stays null.
 */
export class Fields {
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

export function parseActivation(f: Fields, key: string, fallback: string): ModelConfig['hiddenAct'] {
  const v = f.optString(key) ?? fallback;
  if (v === 'silu') return 'silu';
  // transformers' "gelu_pytorch_tanh" is the tanh approximation of GELU.
  if (v === 'gelu_pytorch_tanh' || v === 'gelu_tanh') return 'gelu_tanh';
  throw f.error(key, `is "${v}", which is not supported (supported: silu, gelu_pytorch_tanh, gelu_tanh)`);
}

/** rope_scaling (or a transformers 5 rope_parameters block): null for plain RoPE. */
export function parseRopeScaling(f: Fields, key: string, value: unknown): RopeScaling | null {
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

export function parseShapes(f: Fields, headDimFallback: 'hidden/heads' | number) {
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
export function parseLayerTypes(f: Fields, numLayers: number): ModelConfig['layerTypes'] | null {
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
export function ropeScalingOf(f: Fields, params: Json | null, paramsKey = 'rope_parameters'): RopeScaling | null {
  if (f.obj.rope_scaling === undefined && params) return parseRopeScaling(f, paramsKey, params);
  return parseRopeScaling(f, 'rope_scaling', f.raw('rope_scaling'));
}

export function dtypeOf(f: Fields): string | null {
  // transformers 5 writes "dtype" where 4.x wrote "torch_dtype".
  return f.optString('torch_dtype') ?? f.optString('dtype');
}
