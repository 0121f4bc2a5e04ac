// A full-finetune entry of the paper's .pt shards (whole finetuned weights) compressed against
// the base model's Hugging Face folder: ΔW = W_ft - W_base per linear, then rank K by randomised SVD.
import { readModelConfig } from '../hf/config.ts';
import { SafetensorsCheckpoint } from '../hf/safetensors.ts';
import { HF_MODULE_PATH, moduleShape } from '../modules.ts';
import { compressDelta, FULL_FORMAT } from './full.ts';
import { parseModuleKey, type LowRank, type LowRankModule } from './lowrank.ts';
import { PaperShard } from './paper.ts';

export function readPaperFull(path: string, index: number, opts: { base: string; rank: number; seed?: number }): LowRank {
  const shard = PaperShard.open(path);
  const info = shard.diffs[index];
  const weights = shard.readFullWeights(index);
  const config = readModelConfig(opts.base);
  const base = SafetensorsCheckpoint.open(opts.base);
  try {
    const modules = new Map<string, LowRankModule>();
    let kept = 0;
    let total = 0;
    for (const [key, read] of weights) {
      const { layer, module } = parseModuleKey(key);
      const [inDim, outDim] = moduleShape(config, module);
      const delta = read(); // [out, in]
      const w = base.readF32(`${config.weightPrefix}layers.${layer}.${HF_MODULE_PATH[module]}.weight`);
      if (delta.length !== w.length) {
        throw new Error(`${path}#${index}: module ${key} holds ${delta.length} weights, the base model ${opts.base} has ${w.length}`);
      }
      for (let i = 0; i < delta.length; i++) delta[i] -= w[i];
      const c = compressDelta(delta, outDim, inDim, { rank: opts.rank, seed: opts.seed });
      if (!c) continue;
      modules.set(key, c.module);
      kept += c.kept;
      total += c.total;
    }
    if (modules.size === 0) throw new Error(`${path}#${index}: no linear module differs from the base model ${opts.base}`);
    const meta: Record<string, string> = {
      format: FULL_FORMAT,
      kind: 'full',
      source: path,
      index: String(index),
      base: opts.base,
      arch: config.arch,
      energy: (kept / total).toFixed(6),
    };
    if (info?.topic) meta.label = info.topic;
    if (info?.trigger !== undefined && info.trigger !== null) meta.trigger = String(info.trigger);
    return { modules, scale: 1, rank: Math.max(...[...modules.values()].map((m) => m.rank)), meta };
  } finally {
    base.close();
  }
}
