// The seven linear modules of a decoder layer that carry weight diffs and DIT adapters,
// with the shapes of their inputs and outputs. One list, used by the builder, the adapters and tests.
import type { ModelConfig } from './hf/config.ts';

export const MODULES = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const;
export type ModuleName = (typeof MODULES)[number];

/** Hugging Face parameter path of a module inside a decoder layer. */
export const HF_MODULE_PATH: Record<ModuleName, string> = {
  q: 'self_attn.q_proj',
  k: 'self_attn.k_proj',
  v: 'self_attn.v_proj',
  o: 'self_attn.o_proj',
  gate: 'mlp.gate_proj',
  up: 'mlp.up_proj',
  down: 'mlp.down_proj',
};

/** [in, out] of a module's linear map y = x W (W stored [in, out] in the graph). */
export function moduleShape(config: ModelConfig, module: ModuleName): [number, number] {
  const { hiddenSize: h, intermediateSize: f, numHeads, numKvHeads, headDim } = config;
  switch (module) {
    case 'q':
      return [h, numHeads * headDim];
    case 'k':
    case 'v':
      return [h, numKvHeads * headDim];
    case 'o':
      return [numHeads * headDim, h];
    case 'gate':
    case 'up':
      return [h, f];
    case 'down':
      return [f, h];
  }
}

/** Graph input names of a module's low-rank branch. */
export function loraInputNames(layer: number, module: ModuleName): { a: string; b: string } {
  return { a: `lora.${layer}.${module}.a`, b: `lora.${layer}.${module}.b` };
}
