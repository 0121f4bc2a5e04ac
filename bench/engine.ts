// Engine figures on the 0.6b preset (Qwen3-0.6B shapes), CPU, batch 1, for each CPU precision
// (fp32, int8, int4): decode against the memory roofline of that precision's bytes per token (the
// bandwidth is the faster of a read probe and what the linears alone stream in the same run),
// prefill of a 128-token prompt, the cost of a rank-17 stack, decode at position 2,048 against
// position 16, stack swaps, and the model's linears alone (kernel-floor.ts) to show what share of
// a step the matrix kernels take. The top-level figures are fp32's.
import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeModel } from '../src/main/engine/dev/make-model.ts';
import { importModel } from '../src/main/engine/build/import-model.ts';
import { precisionFor, type PrecisionId } from '../src/main/engine/build/precision.ts';
import { ModelSession } from '../src/main/engine/session.ts';
import { StackFeeds } from '../src/main/engine/stack.ts';
import { forwardStep, KvCache } from '../src/main/engine/forward.ts';
import type { LowRank, LoadedStackEntry } from '../src/main/engine/adapters/lowrank.ts';
import { randomLowRankFor } from './random-adapter.ts';
import { measureReadBandwidth } from './bandwidth.ts';
import { bytesPerToken, decodeRate, median } from './decode.ts';
import { kernelFloorMs, streamingLimit } from './kernel-floor.ts';
import { removePrepared } from '../src/main/engine/prepared.ts';

export interface PrecisionBench {
  decodeTokensPerSec: number;
  rooflineTokensPerSec: number;
  rooflineRatio: number;
  prefillTokensPerSec: number;
  loraOverheadRatio: number;
  /** decode at position 2,048 ÷ decode at position 16 */
  longContextRatio: number;
  weightBytesPerToken: number;
  decodeRank17TokensPerSec: number;
  /** session load mapping the copy packed for this CPU (every load after the first) */
  loadMs: number;
  /** the first load on this machine: packs the weights and saves the copy */
  firstLoadMs: number;
  /** one token through the model's linears alone (kernel-floor.ts), ms */
  kernelFloorMs: number;
  /** the roofline's time per token ÷ the linears' own time: how near the kernels alone come to it */
  kernelFloorRooflineRatio: number;
  /** the linears' time ÷ a whole decode step's: the rest is attention, norms, RoPE, LoRA, binding */
  kernelShareOfStep: number;
}

export interface EngineBench {
  // fp32, as before
  decodeTokensPerSec: number;
  rooflineTokensPerSec: number;
  rooflineRatio: number;
  prefillTokensPerSec: number;
  loraOverheadRatio: number;
  swapMs: number;
  /** the limit every roofline divides: max(the read probe, the linears' own streaming rate) */
  readBandwidthGBps: number;
  /** the read probe alone (bandwidth.ts) */
  probedBandwidthGBps: number;
  weightBytesPerToken: number;
  decodeRank17TokensPerSec: number;
  swapFullMs: number;
  provider: string;
  threads: number;
  /** decode at position 2,048 ÷ decode at position 16, fp32 */
  longContext: number;
  precisions: Partial<Record<PrecisionId, PrecisionBench>>;
  /** int4 decode ÷ fp32 decode in the same run */
  int4SpeedupOverFp32?: number;
}

const CPU_PRECISIONS: PrecisionId[] = ['fp32', 'int8', 'int4'];

/** ms per decode step with `past` tokens already cached (the cache's content does not change the work). */
async function stepMsAt(session: ModelSession, past: number, steps: number): Promise<number> {
  const feeds = new StackFeeds(session.manifest.shapes);
  feeds.set([[]]);
  const cache = new KvCache(1);
  cache.reserve(session, past + 1);
  cache.lengths[0] = past;
  await forwardStep(session, cache, feeds, [[1000]], [[0]], 'greedy'); // warm-up at this length
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    await forwardStep(session, cache, feeds, [[1000 + i]], [[0]], 'greedy');
    times.push(performance.now() - t);
  }
  return median(times);
}

type Measured = Omit<PrecisionBench, 'rooflineTokensPerSec' | 'rooflineRatio' | 'loadMs' | 'firstLoadMs' | 'kernelFloorMs' | 'kernelFloorRooflineRatio' | 'kernelShareOfStep'>;

async function benchPrecision(session: ModelSession, stack17: LoadedStackEntry[], log: (s: string) => void): Promise<Measured> {
  const { manifest } = session;
  const precision = precisionFor(manifest.precision, manifest.quantization?.blockSize);
  const perToken = bytesPerToken(manifest.config, precision);

  log(`  ${manifest.precision}: decode, rank 0 and rank 17...`);
  await decodeRate(session, [], 4); // warm-up
  const rates0: number[] = [];
  const rates17: number[] = [];
  for (let i = 0; i < 3; i++) {
    rates0.push(await decodeRate(session, [], 24));
    rates17.push(await decodeRate(session, stack17, 24));
  }
  const decode0 = median(rates0);
  const decode17 = median(rates17);

  log(`  ${manifest.precision}: prefill, 128 tokens...`);
  const feeds = new StackFeeds(manifest.shapes);
  feeds.set([[]]);
  const prompt = Array.from({ length: 128 }, (_, i) => (i * 7919) % 100000);
  const prefill: number[] = [];
  for (let i = 0; i < 4; i++) {
    const t = performance.now();
    await forwardStep(session, new KvCache(1), feeds, [prompt], [[127]]);
    prefill.push(performance.now() - t);
  }

  log(`  ${manifest.precision}: decode at position 16 and 2,048...`);
  const at16 = await stepMsAt(session, 16, 12);
  const at2048 = await stepMsAt(session, 2048, 12);
  return {
    decodeTokensPerSec: decode0,
    prefillTokensPerSec: 128 / (median(prefill.slice(1)) / 1000),
    loraOverheadRatio: decode17 / decode0,
    longContextRatio: at16 / at2048,
    weightBytesPerToken: perToken,
    decodeRank17TokensPerSec: decode17,
  };
}

export async function benchEngine(work: string, log: (s: string) => void): Promise<EngineBench> {
  const threads = availableParallelism();
  const hfDir = join(work, 'qwen3-0.6b');
  if (!existsSync(join(hfDir, 'model.safetensors'))) {
    log('making the 0.6b checkpoint (random weights, Qwen3-0.6B shapes)...');
    makeModel({ arch: 'qwen3', preset: '0.6b', out: hfDir, seed: 1 });
  }
  log('measuring memory read bandwidth...');
  const probed = Math.max(await measureReadBandwidth(work, threads), await measureReadBandwidth(work, 1));

  const measured: Partial<Record<PrecisionId, Measured & { loadMs: number; firstLoadMs: number; kernelFloorMs: number }>> = {};
  let swapMs = 0;
  let swapFullMs = 0;
  let provider = 'cpu';
  for (const id of CPU_PRECISIONS) {
    log(`importing (${id})...`);
    const { dir } = await importModel(hfDir, { precision: id, home: join(work, 'home') });
    removePrepared(dir); // so that the first load is a first load, as after an import
    const first = performance.now();
    await (await ModelSession.open(dir, { provider: 'cpu', threads })).release(); // packs and saves for this CPU
    const firstLoadMs = performance.now() - first;
    const t = performance.now();
    const session = await ModelSession.open(dir, { provider: 'cpu', threads });
    const loadMs = performance.now() - t;
    if (session.preparation !== 'mapped') throw new Error(`the second ${id} session was ${session.preparation}, not mapped`);
    provider = session.provider;
    const { shapes } = session.manifest;
    const diff = randomLowRankFor(shapes, 1, 1);
    const dit = randomLowRankFor(shapes, 16, 2);
    const stack17: LoadedStackEntry[] = [
      { adapter: diff, scale: 1 },
      { adapter: dit, scale: 1 },
    ];
    const m = await benchPrecision(session, stack17, log);
    await session.release(); // before the kernel floor: one model in memory at a time
    log(`  ${id}: the linears alone...`);
    measured[id] = { ...m, loadMs, firstLoadMs, kernelFloorMs: await kernelFloorMs(work, session.manifest, threads) };
    if (id === 'fp32') [swapMs, swapFullMs] = measureSwaps(shapes, stack17, dit);
  }
  const bandwidth = streamingLimit(
    probed,
    Object.values(measured).map((m) => ({ bytesPerToken: m.weightBytesPerToken, floorMs: m.kernelFloorMs })),
  );
  const precisions: EngineBench['precisions'] = {};
  for (const [id, m] of Object.entries(measured) as [PrecisionId, (typeof measured)[PrecisionId] & {}][]) {
    const roofline = bandwidth / m.weightBytesPerToken;
    precisions[id] = {
      ...m,
      rooflineTokensPerSec: roofline,
      rooflineRatio: m.decodeTokensPerSec / roofline,
      kernelFloorRooflineRatio: 1000 / roofline / m.kernelFloorMs,
      kernelShareOfStep: m.kernelFloorMs / (1000 / m.decodeTokensPerSec),
    };
  }
  const fp32 = precisions.fp32!;
  return {
    decodeTokensPerSec: fp32.decodeTokensPerSec,
    rooflineTokensPerSec: fp32.rooflineTokensPerSec,
    rooflineRatio: fp32.rooflineRatio,
    prefillTokensPerSec: fp32.prefillTokensPerSec,
    loraOverheadRatio: fp32.loraOverheadRatio,
    swapMs,
    readBandwidthGBps: bandwidth / 1e9,
    probedBandwidthGBps: probed / 1e9,
    weightBytesPerToken: fp32.weightBytesPerToken,
    decodeRank17TokensPerSec: fp32.decodeRank17TokensPerSec,
    swapFullMs,
    provider,
    threads,
    longContext: fp32.longContextRatio,
    precisions,
    int4SpeedupOverFp32: precisions.int4 ? precisions.int4.decodeTokensPerSec / fp32.decodeTokensPerSec : undefined,
  };
}

/** StackFeeds.set from one diff + DIT stack to another (median ms), and with a new DIT adapter too. */
function measureSwaps(shapes: ModelSession['manifest']['shapes'], stack17: LoadedStackEntry[], dit: LowRank): [number, number] {
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
  return [median(swaps), median(full)];
}
