// Shapes of the released models the paper's diffs and DIT adapters were made for, so that
// `adapters inspect` can say which base an adapter fits before any of them is on disk.
import type { ArchKey } from './hf/config.ts';
import type { BaseShapes } from './adapters/validate.ts';

interface Known {
  name: string;
  arch: ArchKey;
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
}

const KNOWN: Known[] = [
  { name: 'Qwen3-0.6B', arch: 'qwen3', layers: 28, hidden: 1024, heads: 16, kvHeads: 8, headDim: 128, intermediate: 3072 },
  { name: 'Qwen3-1.7B', arch: 'qwen3', layers: 28, hidden: 2048, heads: 16, kvHeads: 8, headDim: 128, intermediate: 6144 },
  { name: 'Qwen3-4B', arch: 'qwen3', layers: 36, hidden: 2560, heads: 32, kvHeads: 8, headDim: 128, intermediate: 9728 },
  { name: 'Qwen3-8B', arch: 'qwen3', layers: 36, hidden: 4096, heads: 32, kvHeads: 8, headDim: 128, intermediate: 12288 },
  { name: 'gemma-3-1b-it', arch: 'gemma3', layers: 26, hidden: 1152, heads: 4, kvHeads: 1, headDim: 256, intermediate: 6912 },
  { name: 'gemma-3-4b-it', arch: 'gemma3', layers: 34, hidden: 2560, heads: 8, kvHeads: 4, headDim: 256, intermediate: 10240 },
  { name: 'Llama-3.2-1B', arch: 'llama', layers: 16, hidden: 2048, heads: 32, kvHeads: 8, headDim: 64, intermediate: 8192 },
  { name: 'Llama-3.2-3B', arch: 'llama', layers: 28, hidden: 3072, heads: 24, kvHeads: 8, headDim: 128, intermediate: 8192 },
  { name: 'Llama-3.1-8B', arch: 'llama', layers: 32, hidden: 4096, heads: 32, kvHeads: 8, headDim: 128, intermediate: 14336 },
];

export function knownBaseShapes(): { name: string; base: BaseShapes }[] {
  return KNOWN.map((k) => ({
    name: k.name,
    base: {
      arch: k.arch,
      layers: k.layers,
      modules: {
        q: [k.hidden, k.heads * k.headDim],
        k: [k.hidden, k.kvHeads * k.headDim],
        v: [k.hidden, k.kvHeads * k.headDim],
        o: [k.heads * k.headDim, k.hidden],
        gate: [k.hidden, k.intermediate],
        up: [k.hidden, k.intermediate],
        down: [k.intermediate, k.hidden],
      },
    },
  }));
}
