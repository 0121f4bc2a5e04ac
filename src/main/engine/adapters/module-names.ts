// Hugging Face module paths of the decoder's seven linears, in every naming the formats use:
//   model.layers.3.self_attn.q_proj                      (qwen3, llama, gemma-3-1b)
//   language_model.model.layers.3.mlp.down_proj          (gemma-3-4b as released)
//   model.language_model.layers.3.mlp.down_proj          (gemma-3-4b saved by newer transformers)
//   base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight   (PEFT)
// Vision-tower linears (gemma-3-4b) are not decoder modules and map to null.
import type { ModuleName } from '../modules.ts';
import { CONFIG_LIMITS } from '../hf/config.ts';

/** Layer indices in tensor names are checked against this before anything is sized by them. */
export const MAX_LAYERS = CONFIG_LIMITS.layers;

const PATTERN = /(?:^|\.)layers\.(\d+)\.(?:self_attn\.(q|k|v|o)_proj|mlp\.(gate|up|down)_proj)(?=\.|$)/;

export interface ModulePath {
  layer: number;
  module: ModuleName;
  /** the text after the module path, e.g. ".lora_A.weight" or "" */
  rest: string;
}

export function parseModulePath(name: string): ModulePath | null {
  if (/vision|multi_modal_projector/.test(name)) return null;
  const m = PATTERN.exec(name);
  if (!m) return null;
  const layer = Number(m[1]);
  if (layer >= MAX_LAYERS) throw new Error(`tensor "${name.slice(0, 200)}" is layer ${m[1].slice(0, 20)}, beyond the ${MAX_LAYERS} layers any supported model has`);
  return { layer, module: (m[2] ?? m[3]) as ModuleName, rest: name.slice(m.index + m[0].length) };
}
