// Engine figures on the 0.6b preset (Qwen3-0.6B shapes), fp32, CPU, batch 1: decode against the
// memory roofline, prefill of a 128-token prompt, the cost of a rank-17 stack, and stack swaps.
import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeModel } from '../src/main/engine/dev/make-model.ts';
import { importModel } from '../src/main/engine/build/import-model.ts';
import { ModelSession } from '../src/main/engine/session.ts';
import { StackFeeds } from '../src/main/engine/stack.ts';
import { forwardStep, KvCache } from '../src/main/engine/forward.ts';
import { generate } from '../src/main/engine/generate.ts';
import { GREEDY } from '../src/main/engine/sampler.ts';
import { MODULES } from '../src/main/engine/modules.ts';
import type { LowRank, LoadedStackEntry } from '../src/main/engine/adapters/lowrank.ts';
import { randomLowRankFor } from './random-adapter.ts';
import { measureReadBandwidth } from './bandwidth.ts';

export interface EngineBench {
  decodeTokensPerSec: number;
  rooflineTokensPerSec: number;
  rooflineRatio: number;
  prefillTokensPerSec: number;
  loraOverheadRatio: number;
  swapMs: number;
  // context for the figures above
  readBandwidthGBps: number;
  weightBytesPerToken: number;
  decodeRank17TokensPerSec: number;
  swapFullMs: number;
  provider: string;
  threads: number;
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function decodeRate(session: ModelSession, stack: LoadedStackEntry[], tokens: number): Promise<number> {
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

export async function benchEngine(work: string, log: (s: string) => void): Promise<EngineBench> {
  const threads = availableParallelism();
  const hfDir = join(work, 'qwen3-0.6b');
  if (!existsSync(join(hfDir, 'model.safetensors'))) {
    log('making the 0.6b checkpoint (random weights, Qwen3-0.6B shapes)...');
    await makeModel({ arch: 'qwen3', preset: '0.6b', out: hfDir, seed: 1 });
  }
  log('importing (fp32)...');
  const { dir } = await importModel(hfDir, { precision: 'fp32', home: join(work, 'home') });
  const session = await ModelSession.open(dir, { provider: 'cpu', threads });
  const { shapes } = session.manifest;

  log('measuring memory read bandwidth...');
  const bandwidth = Math.max(await measureReadBandwidth(work, threads), await measureReadBandwidth(work, 1));
  // every linear weight and the output projection are read once per decoded token (fp32)
  const linear = MODULES.reduce((sum, m) => sum + shapes.modules[m][0] * shapes.modules[m][1], 0) * shapes.layers;
  const weightBytesPerToken = (linear + shapes.hidden * shapes.vocab) * 4;
  const roofline = bandwidth / weightBytesPerToken;

  log('decode, rank 0 and rank 17...');
  const diff = randomLowRankFor(shapes, 1, 1);
  const dit = randomLowRankFor(shapes, 16, 2);
  const stack17: LoadedStackEntry[] = [
    { adapter: diff, scale: 1 },
    { adapter: dit, scale: 1 },
  ];
  await decodeRate(session, [], 4); // warm-up
  const rates0: number[] = [];
  const rates17: number[] = [];
  for (let i = 0; i < 3; i++) {
    rates0.push(await decodeRate(session, [], 24));
    rates17.push(await decodeRate(session, stack17, 24));
  }
  const decode0 = median(rates0);
  const decode17 = median(rates17);

  log('prefill, 128 tokens...');
  const feeds = new StackFeeds(shapes);
  feeds.set([[]]);
  const prompt = Array.from({ length: 128 }, (_, i) => (i * 7919) % 100000);
  const prefill: number[] = [];
  for (let i = 0; i < 4; i++) {
    const t = performance.now();
    await forwardStep(session, new KvCache(1), feeds, [prompt], [[127]]);
    prefill.push(performance.now() - t);
  }
  const prefillTokensPerSec = 128 / (median(prefill.slice(1)) / 1000);

  log('swapping stacks...');
  const diffs: LowRank[] = Array.from({ length: 6 }, (_, i) => randomLowRankFor(shapes, 1, 10 + i));
  const swap = new StackFeeds(shapes);
  swap.set([stack17]);
  const swaps: number[] = [];
  for (const d of diffs) {
    const t = performance.now();
    swap.set([[{ adapter: d, scale: 1 }, { adapter: dit, scale: 1 }]]);
    swaps.push(performance.now() - t);
  }
  const dits = Array.from({ length: 3 }, (_, i) => randomLowRankFor(shapes, 16, 20 + i));
  const full: number[] = [];
  for (const [i, d] of dits.entries()) {
    const t = performance.now();
    swap.set([[{ adapter: diffs[i], scale: 1 }, { adapter: d, scale: 0.5 }]]);
    full.push(performance.now() - t);
  }
  await session.release();
  return {
    decodeTokensPerSec: decode0,
    rooflineTokensPerSec: roofline,
    rooflineRatio: decode0 / roofline,
    prefillTokensPerSec,
    loraOverheadRatio: decode17 / decode0,
    swapMs: median(swaps),
    readBandwidthGBps: bandwidth / 1e9,
    weightBytesPerToken,
    decodeRank17TokensPerSec: decode17,
    swapFullMs: median(full),
    provider: session.provider,
    threads,
  };
}
