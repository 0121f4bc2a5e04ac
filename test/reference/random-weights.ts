// Synthetic checkpoints for tests: tiny configs of each family and seeded random tensors with every
// Hugging Face name and shape a decoder of that config needs. Deterministic for a given seed.
import type { ArchKey, ModelConfig } from '../../src/main/engine/hf/config.ts';
import { HF_MODULE_PATH, MODULES, moduleShape } from '../../src/main/engine/modules.ts';
import type { Tensor, Weights } from './forward.ts';

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples from a uniform source (Box-Muller). */
export function seededNormal(seed: number): () => number {
  const rand = seededRandom(seed);
  return () => {
    const u = 1 - rand(); // (0, 1]
    const v = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

/** A small config of the given family, with every field set; `overrides` replaces fields. */
export function tinyConfig(arch: ArchKey, overrides: Partial<ModelConfig> = {}): ModelConfig {
  const base: ModelConfig = {
    arch,
    hfArchitecture: { qwen3: 'Qwen3ForCausalLM', llama: 'LlamaForCausalLM', gemma3: 'Gemma3ForCausalLM' }[arch],
    vocabSize: 64,
    hiddenSize: 32,
    intermediateSize: 48,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 8,
    rmsNormEps: 1e-6,
    maxPositionEmbeddings: 4096,
    ropeTheta: 10000,
    ropeScaling: null,
    ropeLocalTheta: null,
    slidingWindow: null,
    layerTypes: ['full', 'full'],
    tieWordEmbeddings: true,
    hiddenAct: 'silu',
    attentionBias: false,
    queryPreAttnScalar: null,
    attnLogitSoftcap: null,
    finalLogitSoftcap: null,
    weightPrefix: 'model.',
    lmHeadName: 'lm_head.weight',
    bosTokenId: null,
    eosTokenIds: [1],
    torchDtype: 'float32',
  };
  const perArch: Record<ArchKey, Partial<ModelConfig>> = {
    // head_dim independent of hidden / heads (4 * 16 = 64 != 32), like the real Qwen3 checkpoints
    qwen3: { headDim: 16, ropeTheta: 1000000 },
    // untied head; llama3 rope scaling whose 4 frequencies hit all three branches (keep, smooth, divide)
    llama: {
      tieWordEmbeddings: false,
      ropeTheta: 500000,
      ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 },
    },
    gemma3: {
      headDim: 16,
      hiddenAct: 'gelu_tanh',
      ropeTheta: 1000000,
      ropeScaling: { type: 'linear', factor: 8 },
      ropeLocalTheta: 10000,
      slidingWindow: 4,
      layerTypes: ['sliding', 'full'],
      queryPreAttnScalar: 16,
      bosTokenId: 2,
    },
  };
  const config = { ...base, ...perArch[arch], ...overrides };
  if (!overrides.layerTypes && config.layerTypes.length !== config.numLayers) {
    // stretch the default pattern to the requested depth
    const pattern = config.layerTypes;
    config.layerTypes = Array.from({ length: config.numLayers }, (_, i) => pattern[i % pattern.length]);
  }
  return config;
}

/** Every tensor a decoder of this config reads, by Hugging Face name, with its shape. */
export function requiredWeightShapes(config: ModelConfig): Map<string, number[]> {
  const { hiddenSize: H, vocabSize: V, headDim: hd } = config;
  const p = config.weightPrefix;
  const shapes = new Map<string, number[]>();
  shapes.set(`${p}embed_tokens.weight`, [V, H]);
  for (let l = 0; l < config.numLayers; l++) {
    const lp = `${p}layers.${l}.`;
    for (const m of MODULES) {
      const [inDim, outDim] = moduleShape(config, m);
      shapes.set(`${lp}${HF_MODULE_PATH[m]}.weight`, [outDim, inDim]);
      if (config.attentionBias && (m === 'q' || m === 'k' || m === 'v' || m === 'o')) {
        shapes.set(`${lp}${HF_MODULE_PATH[m]}.bias`, [outDim]);
      }
    }
    shapes.set(`${lp}input_layernorm.weight`, [H]);
    shapes.set(`${lp}post_attention_layernorm.weight`, [H]);
    if (config.arch === 'gemma3') {
      shapes.set(`${lp}pre_feedforward_layernorm.weight`, [H]);
      shapes.set(`${lp}post_feedforward_layernorm.weight`, [H]);
    }
    if (config.arch === 'qwen3' || config.arch === 'gemma3') {
      shapes.set(`${lp}self_attn.q_norm.weight`, [hd]);
      shapes.set(`${lp}self_attn.k_norm.weight`, [hd]);
    }
  }
  shapes.set(`${p}norm.weight`, [H]);
  if (!config.tieWordEmbeddings) shapes.set(config.lmHeadName, [V, H]);
  return shapes;
}

/** Weights backed by a Map, with the Map exposed for editing and listing. */
export type MapWeights = Weights & { tensors: Map<string, Tensor> };

export function mapWeights(tensors: Map<string, Tensor>): MapWeights {
  return {
    tensors,
    get(name: string): Tensor {
      const t = tensors.get(name);
      if (!t) throw new Error(`weights: no tensor named ${name}`);
      return t;
    },
  };
}

export type RandomWeightOptions = {
  /** standard deviation of embedding entries (default 1) */
  embedStd?: number;
  /** linear weights get N(0, 1) * gain / sqrt(in) (default 1) */
  linearGain?: number;
  /** norm weights: 1 + N * normStd for llama/qwen3, N * normStd for gemma3 (stored around 0) (default 0.1) */
  normStd?: number;
};

/** Seeded random tensors of every required name and shape (see requiredWeightShapes). */
export function randomWeights(config: ModelConfig, seed = 1, options: RandomWeightOptions = {}): MapWeights {
  const { embedStd = 1, linearGain = 1, normStd = 0.1 } = options;
  const normal = seededNormal(seed);
  const tensors = new Map<string, Tensor>();
  for (const [name, shape] of requiredWeightShapes(config)) {
    const n = shape.reduce((a, d) => a * d, 1);
    const data = new Float32Array(n);
    let fill: () => number;
    if (name.endsWith('norm.weight')) {
      fill = config.arch === 'gemma3' ? () => normal() * normStd : () => 1 + normal() * normStd;
    } else if (name.endsWith('.bias')) {
      fill = () => normal() * 0.1;
    } else if (name.endsWith('embed_tokens.weight') || name === config.lmHeadName) {
      fill = () => normal() * embedStd;
    } else {
      const gain = linearGain / Math.sqrt(shape[1]);
      fill = () => normal() * gain;
    }
    for (let i = 0; i < n; i++) data[i] = fill();
    tensors.set(name, { shape: [...shape], data });
  }
  return mapWeights(tensors);
}
