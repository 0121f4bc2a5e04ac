// Tiny random-weight models of each family, made once per test process and imported into a
// private library: the same path a user's checkpoint takes.
import { join } from 'node:path';
import { makeModel } from '../../src/main/engine/dev/make-model.ts';
import { importModel } from '../../src/main/engine/build/import-model.ts';
import type { PrecisionId } from '../../src/main/engine/build/precision.ts';
import { SafetensorsCheckpoint } from '../../src/main/engine/hf/safetensors.ts';
import { readModelConfig, type ArchKey, type ModelConfig } from '../../src/main/engine/hf/config.ts';
import type { Weights } from '../reference/forward.ts';
import type { LowRank, LowRankModule } from '../../src/main/engine/adapters/lowrank.ts';
import { MODULES, moduleShape } from '../../src/main/engine/modules.ts';
import { seededNormal } from '../reference/random-weights.ts';
import { tmpDir } from './tmp.ts';

export interface TinyModel {
  arch: ArchKey;
  hfDir: string;
  libDir: string;
  config: ModelConfig;
  weights: Weights;
}

const cache = new Map<string, Promise<TinyModel>>();

export function tinyModel(arch: ArchKey, precision: PrecisionId = 'fp32', seed = 7): Promise<TinyModel> {
  const key = `${arch}:${precision}:${seed}`;
  let m = cache.get(key);
  if (!m) {
    m = (async () => {
      const root = tmpDir(`model-${arch}`);
      const hfDir = join(root, `${arch}-tiny`);
      await makeModel({ arch, preset: 'tiny', out: hfDir, seed });
      const { dir } = await importModel(hfDir, { precision, home: join(root, 'home') });
      const config = readModelConfig(hfDir);
      const ckpt = SafetensorsCheckpoint.open(hfDir);
      const weights: Weights = { get: (name) => ({ shape: ckpt.info(name).shape, data: ckpt.readF32(name) }) };
      return { arch, hfDir, libDir: dir, config, weights };
    })();
    cache.set(key, m);
  }
  return m;
}

/** A random adapter of the given rank on all seven modules of every layer. */
export function randomLowRank(config: ModelConfig, rank: number, seed: number, std = 0.3): LowRank {
  const normal = seededNormal(seed);
  const modules = new Map<string, LowRankModule>();
  for (let layer = 0; layer < config.numLayers; layer++) {
    for (const module of MODULES) {
      const [inDim, outDim] = moduleShape(config, module);
      const a = Float32Array.from({ length: inDim * rank }, () => normal() * std);
      const b = Float32Array.from({ length: rank * outDim }, () => normal() * std);
      modules.set(`${layer}.${module}`, { a, b, inDim, outDim, rank });
    }
  }
  return { modules, scale: 1 / rank, rank, meta: { source: `random-rank-${rank}-seed-${seed}` } };
}
