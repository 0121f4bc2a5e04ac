// Gemma 3 text decoder (gemma-3-1b-it; the language model inside gemma-3-4b-it).
// Differences from Llama: norms scale by (1 + w), sandwich norms around attention and MLP,
// q/k norms, embeddings scaled by sqrt(hidden), attention scaled by query_pre_attn_scalar,
// and sliding layers use their own RoPE base without scaling. GELU(tanh) comes from config.json.
import { baseArch, type ArchSpec } from './arch.ts';

export const gemma3: ArchSpec = {
  ...baseArch,
  key: 'gemma3',
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
};
