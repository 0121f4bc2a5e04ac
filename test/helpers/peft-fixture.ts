// PEFT LoRA folders exactly as PEFT saves them (no Python here): adapter_config.json with the
// field set PEFT 0.18 writes (sorted keys), adapter_model.safetensors with {"format": "pt"}
// metadata and PEFT's tensor names and shapes:
//   base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight  [r, in]
//   base_model.model.model.layers.N.self_attn.q_proj.lora_B.weight  [out, r]
// Each fixture also returns the weight deltas PEFT would merge (get_delta_weight:
// scaling · lora_B @ lora_A, [out, in]), computed here from the stored values and independently
// of the reader, so tests can compare the engine against a reference with merged weights.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelConfig } from '../../src/main/engine/hf/config.ts';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16, writeSafetensors, type FloatDtype, type TensorToWrite } from '../../src/main/engine/hf/safetensors.ts';
import { HF_MODULE_PATH, MODULES, moduleShape, type ModuleName } from '../../src/main/engine/modules.ts';
import type { Weights } from '../reference/forward.ts';
import { seededNormal } from '../reference/random-weights.ts';

type Json = Record<string, unknown>;

/** adapter_config.json as PEFT 0.18 writes it for a LoraConfig; `fields` overrides / adds. */
export function peftAdapterConfig(fields: Json): Json {
  const config: Json = {
    alora_invocation_tokens: null,
    alpha_pattern: {},
    arrow_config: null,
    auto_mapping: null,
    base_model_name_or_path: 'Qwen/Qwen3-0.6B',
    bias: 'none',
    corda_config: null,
    ensure_weight_tying: false,
    eva_config: null,
    exclude_modules: null,
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layer_replication: null,
    layers_pattern: null,
    layers_to_transform: null,
    loftq_config: {},
    lora_alpha: 16,
    lora_bias: false,
    lora_dropout: 0.05,
    megatron_config: null,
    megatron_core: 'megatron.core',
    modules_to_save: null,
    peft_type: 'LORA',
    peft_version: '0.18.1',
    qalora_group_size: 16,
    r: 8,
    rank_pattern: {},
    revision: null,
    target_modules: ['k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj', 'q_proj'],
    target_parameters: null,
    task_type: 'CAUSAL_LM',
    trainable_token_indices: null,
    use_dora: false,
    use_qalora: false,
    use_rslora: false,
    ...fields,
  };
  return Object.fromEntries(Object.keys(config).sort().map((k) => [k, config[k]]));
}

export interface PeftFixtureSpec {
  config: ModelConfig; // the base model's config (shapes, weight prefix)
  rank: number; // r
  alpha: number; // lora_alpha
  seed: number;
  rsLora?: boolean;
  rankPattern?: Record<string, number>;
  alphaPattern?: Record<string, number>;
  modules?: ModuleName[]; // default: all seven
  layers?: number[]; // default: every layer
  dtype?: FloatDtype; // default F32
  std?: number; // of lora_A and lora_B entries, default 0.3
  configFields?: Json; // more adapter_config.json overrides
  extraTensors?: TensorToWrite[]; // e.g. an lm_head LoRA pair
}

export interface PeftFixture {
  dir: string;
  /** HF weight name ("model.layers.0.self_attn.q_proj.weight") -> scaling · B A, [out, in] row-major. */
  deltas: Map<string, Float64Array>;
}

/** PEFT's get_pattern_key: the first pattern key k with name matching `(.*\.)?(k)$`. */
function fromPattern(pattern: Record<string, number> | undefined, name: string, fallback: number): number {
  for (const [k, v] of Object.entries(pattern ?? {})) if (new RegExp(`^(.*\\.)?(${k})$`).test(name)) return v;
  return fallback;
}

/** The float32 values a dtype actually stores. */
function stored(x: Float32Array, dtype: FloatDtype): Float32Array {
  if (dtype === 'BF16') return bf16ToF32(f32ToBf16(x));
  if (dtype === 'F16') return f16ToF32(f32ToF16(x));
  return x;
}

export function writePeftFixture(dir: string, spec: PeftFixtureSpec): PeftFixture {
  const { config } = spec;
  const dtype = spec.dtype ?? 'F32';
  const std = spec.std ?? 0.3;
  const normal = seededNormal(spec.seed);
  const modules = spec.modules ?? [...MODULES];
  const layers = spec.layers ?? Array.from({ length: config.numLayers }, (_, i) => i);
  const tensors: TensorToWrite[] = [];
  const deltas = new Map<string, Float64Array>();
  for (const layer of layers) {
    for (const module of modules) {
      const name = `${config.weightPrefix}layers.${layer}.${HF_MODULE_PATH[module]}`;
      const r = fromPattern(spec.rankPattern, name, spec.rank);
      const alpha = fromPattern(spec.alphaPattern, name, spec.alpha);
      const scaling = spec.rsLora ? alpha / Math.sqrt(r) : alpha / r; // LoraLayer.update_layer
      const [inDim, outDim] = moduleShape(config, module);
      const A = stored(Float32Array.from({ length: r * inDim }, () => normal() * std), dtype); // [r, in]
      const B = stored(Float32Array.from({ length: outDim * r }, () => normal() * std), dtype); // [out, r]
      tensors.push({ name: `base_model.model.${name}.lora_A.weight`, dtype, shape: [r, inDim], data: A });
      tensors.push({ name: `base_model.model.${name}.lora_B.weight`, dtype, shape: [outDim, r], data: B });
      const delta = new Float64Array(outDim * inDim);
      for (let o = 0; o < outDim; o++) {
        for (let i = 0; i < inDim; i++) {
          let s = 0;
          for (let j = 0; j < r; j++) s += B[o * r + j] * A[j * inDim + i];
          delta[o * inDim + i] = scaling * s;
        }
      }
      deltas.set(`${name}.weight`, delta);
    }
  }
  tensors.push(...(spec.extraTensors ?? []));
  mkdirSync(dir, { recursive: true });
  writeSafetensors(join(dir, 'adapter_model.safetensors'), tensors, { format: 'pt' });
  const adapterConfig = peftAdapterConfig({
    r: spec.rank,
    lora_alpha: spec.alpha,
    use_rslora: spec.rsLora ?? false,
    rank_pattern: spec.rankPattern ?? {},
    alpha_pattern: spec.alphaPattern ?? {},
    target_modules: modules.map((m) => HF_MODULE_PATH[m].split('.')[1]),
    ...spec.configFields,
  });
  writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify(adapterConfig, null, 2) + '\n');
  return { dir, deltas };
}

/** The base weights with scale_i · delta_i added to every linear a part names: merged LoRA. */
export function mergedWeights(weights: Weights, parts: { deltas: Map<string, Float64Array>; scale: number }[]): Weights {
  const cache = new Map<string, { shape: number[]; data: Float32Array }>();
  return {
    get(name) {
      const hit = cache.get(name);
      if (hit) return hit;
      const touching = parts.filter((p) => p.deltas.has(name));
      if (touching.length === 0) return weights.get(name);
      const base = weights.get(name);
      const merged = new Float64Array(base.data);
      for (const { deltas, scale } of touching) {
        const d = deltas.get(name)!;
        for (let i = 0; i < merged.length; i++) merged[i] += scale * d[i];
      }
      const t = { shape: base.shape, data: Float32Array.from(merged) };
      cache.set(name, t);
      return t;
    },
  };
}
