// What distinguishes one decoder family from another, as one typed object per family.
// The base builder (decoder.ts) reads these flags; it never asks which family it is building.
import type { ArchKey, ModelConfig } from '../hf/config.ts';

export interface ArchSpec {
  key: ArchKey;
  /** RMSNorm over head_dim on q and k, before RoPE. */
  qkNorm: boolean;
  /** The stored norm weight w scales by (w + normOffset); Gemma stores 1 + w as w. Folded at import. */
  normOffset: number;
  /** Parameter names (inside a layer) of the norms around attention and MLP. */
  norms: {
    preAttention: string;
    postAttention: string | null; // applied to the attention output before the residual add
    preMlp: string;
    postMlp: string | null; // applied to the MLP output before the residual add
  };
  /** Multiplier on token embeddings (folded into the embedding table). */
  embedScale(config: ModelConfig): number;
  /** Softmax scale of attention scores. */
  attentionScale(config: ModelConfig): number;
  /** RoPE base and scaling of one layer. */
  rope(config: ModelConfig, layer: number): { theta: number; scaling: ModelConfig['ropeScaling'] };
}

/** The Llama decoder: the shape every other family is stated against. */
export const baseArch: Omit<ArchSpec, 'key'> = {
  qkNorm: false,
  normOffset: 0,
  norms: { preAttention: 'input_layernorm', postAttention: null, preMlp: 'post_attention_layernorm', postMlp: null },
  embedScale: () => 1,
  attentionScale: (c) => 1 / Math.sqrt(c.headDim),
  rope: (c) => ({ theta: c.ropeTheta, scaling: c.ropeScaling }),
};
