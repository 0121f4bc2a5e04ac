// config.json of a Hugging Face decoder checkpoint, normalised into one architecture-neutral shape.
// (Type declared first so the builder and the reference can be written against it; parser below.)

/** Registry key of a supported architecture family. */
export type ArchKey = 'qwen3' | 'llama' | 'gemma3';

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
