// Random low-rank adapters shaped for a model, for benchmarks.
import type { LowRank, LowRankModule } from '../src/main/engine/adapters/lowrank.ts';
import type { Manifest } from '../src/main/engine/library.ts';
import { MODULES } from '../src/main/engine/modules.ts';

export function randomLowRankFor(shapes: Manifest['shapes'], rank: number, seed: number): LowRank {
  let s = seed >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
  const modules = new Map<string, LowRankModule>();
  for (let layer = 0; layer < shapes.layers; layer++) {
    for (const m of MODULES) {
      const [inDim, outDim] = shapes.modules[m];
      modules.set(`${layer}.${m}`, {
        a: Float32Array.from({ length: inDim * rank }, () => rand() * 0.02),
        b: Float32Array.from({ length: rank * outDim }, () => rand() * 0.02),
        inDim,
        outDim,
        rank,
      });
    }
  }
  return { modules, scale: 1 / rank, rank, meta: { source: `bench-random-${seed}` } };
}
