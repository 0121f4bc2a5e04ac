// Shared measures of the engine benches: decode rate through the real generation loop, and the
// weight bytes one decoded token reads (the numerator of a memory roofline).
import type { ModelConfig } from '../src/main/engine/hf/config.ts';
import type { Precision } from '../src/main/engine/build/precision.ts';
import { generate } from '../src/main/engine/generate.ts';
import { GREEDY } from '../src/main/engine/sampler.ts';
import type { ModelSession } from '../src/main/engine/session.ts';
import { StackFeeds } from '../src/main/engine/stack.ts';
import { MODULES, moduleShape } from '../src/main/engine/modules.ts';
import type { LoadedStackEntry } from '../src/main/engine/adapters/lowrank.ts';

export const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Every linear of every layer and the output projection, read once per token at this precision. */
export function bytesPerToken(config: ModelConfig, precision: Precision): number {
  const linears = MODULES.reduce((sum, m) => {
    const [inDim, outDim] = moduleShape(config, m);
    return sum + precision.matrixBytes(outDim, inDim);
  }, 0);
  return linears * config.numLayers + precision.matrixBytes(config.vocabSize, config.hiddenSize);
}

/** Greedy tokens per second after an 8-token prompt (decode steps only). */
export async function decodeRate(session: ModelSession, stack: LoadedStackEntry[], tokens: number): Promise<number> {
  const feeds = new StackFeeds(session.manifest.shapes);
  feeds.set([stack]);
  const prompt = Array.from({ length: 8 }, (_, i) => 1000 + i * 7);
  const { stats } = await generate(session, feeds, [prompt], {
    maxTokens: tokens,
    sampling: GREEDY,
    eosIds: [],
    newDecoder: () => ({ push: () => '' }),
  });
  return stats.decodeTokensPerSec;
}
