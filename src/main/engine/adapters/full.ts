// Full finetunes: a checkpoint of the base's own architecture becomes a rank-K LowRank.
// Per linear module, streaming one at a time: ΔW = W_ft - W_base ([out, in] as stored), then a
// truncated randomised SVD gives ΔWᵀ ~ a b with a [in, K], b [K, out], scale 1. The share of
// ||ΔW||_F^2 the K directions keep is reported per module and overall. Tensors outside the seven
// linears (norms, embeddings, lm_head) cannot ride on a low-rank branch: those that differ are
// listed in the report and in meta.unrepresented.
import { SafetensorsCheckpoint } from '../hf/safetensors.ts';
import { assertFinite } from '../hf/finite.ts';
import { readModelConfig, type ModelConfig } from '../hf/config.ts';
import { HF_MODULE_PATH, MODULES, moduleShape } from '../modules.ts';
import { moduleKey, type LowRank, type LowRankModule } from './lowrank.ts';
import { randomisedSvd, type RsvdOptions } from './rsvd.ts';

export const FULL_FORMAT = 'full-finetune';

export interface FullDiffOptions {
  base: string; // Hugging Face folder of the base model the finetune started from
  rank: number; // K
  seed?: number; // of the SVD's Gaussian test matrix (default 0): same inputs, same adapter
  oversample?: number; // default 10
  powerIters?: number; // default 2
  onProgress?: (done: number, total: number) => void; // modules done / to do
}

export interface ModuleEnergy {
  key: string; // "<layer>.<module>"
  energy: number; // kept share of this module's ||ΔW||_F^2
  ms: number;
}

export interface FullDiffReport {
  rank: number;
  energy: number; // kept share of the whole diff's ||ΔW||_F^2 (changed modules together)
  modules: ModuleEnergy[]; // modules that changed
  unchanged: string[]; // module keys whose ΔW is exactly zero (left out of the adapter)
  unrepresented: string[]; // other tensors that differ from the base: not carried by the adapter
  ms: number;
}

/**
 * One module's ΔW [out, in] (row-major) compressed to rank K: ΔWᵀ ~ a b, a [in, K], b [K, out].
 * kept / total: the energy (||·||_F²) the K directions keep, and ΔW's. Null when ΔW is exactly zero.
 */
export function compressDelta(
  delta: Float32Array,
  outDim: number,
  inDim: number,
  opts: RsvdOptions,
): { module: LowRankModule; kept: number; total: number } | null {
  if (delta.every((x) => x === 0)) return null;
  const svd = randomisedSvd(delta, outDim, inDim, opts);
  const module = { a: Float32Array.from(svd.left), b: Float32Array.from(svd.right), inDim, outDim, rank: svd.rank };
  return { module, kept: svd.sigma2.reduce((s, v) => s + v, 0), total: svd.total };
}

/** Refuses a finetune whose architecture or shapes are not the base's, naming the first difference. */
function checkSameArchitecture(ft: ModelConfig, base: ModelConfig, dir: string, baseDir: string): void {
  const where = `${dir}: full finetune does not match the base model ${baseDir}`;
  if (ft.arch !== base.arch) throw new Error(`${where}: it is ${ft.hfArchitecture}, the base is ${base.hfArchitecture}`);
  if (ft.numLayers !== base.numLayers) throw new Error(`${where}: it has ${ft.numLayers} layers, the base ${base.numLayers}`);
  for (const module of MODULES) {
    const [fi, fo] = moduleShape(ft, module);
    const [bi, bo] = moduleShape(base, module);
    if (fi !== bi || fo !== bo) {
      throw new Error(`${where}: module ${HF_MODULE_PATH[module]} is [${fi}, ${fo}] ([in, out]), the base's [${bi}, ${bo}]`);
    }
  }
}

/** Name of a finetune tensor in the base checkpoint (the two may use different decoder prefixes). */
function baseNameOf(name: string, ft: ModelConfig, base: ModelConfig): string {
  if (name === ft.lmHeadName) return base.lmHeadName;
  if (name.startsWith(ft.weightPrefix)) return base.weightPrefix + name.slice(ft.weightPrefix.length);
  return name;
}

function sameTensor(ft: SafetensorsCheckpoint, base: SafetensorsCheckpoint, ftName: string, baseName: string): boolean {
  const a = ft.info(ftName);
  const b = base.info(baseName);
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) return false;
  if (a.dtype === b.dtype) return Buffer.from(ft.readRaw(ftName)).equals(base.readRaw(baseName));
  const x = ft.readF32(ftName);
  const y = base.readF32(baseName);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** The finetune's weight diff against its base as a rank-K LowRank, with the energy report. */
export function diffFullFinetune(dir: string, opts: FullDiffOptions): { lowRank: LowRank; report: FullDiffReport } {
  const K = opts.rank;
  if (!Number.isSafeInteger(K) || K < 1) throw new Error(`${dir}: the rank to compress a full finetune to must be a positive integer (got ${K})`);
  const t0 = performance.now();
  const ftConfig = readModelConfig(dir);
  const baseConfig = readModelConfig(opts.base);
  checkSameArchitecture(ftConfig, baseConfig, dir, opts.base);

  const ft = SafetensorsCheckpoint.open(dir);
  const base = SafetensorsCheckpoint.open(opts.base);
  try {
    const modules = new Map<string, LowRankModule>();
    const energies: ModuleEnergy[] = [];
    const unchanged: string[] = [];
    const linearNames = new Set<string>();
    let kept = 0;
    let total = 0;
    const count = ftConfig.numLayers * MODULES.length;
    let done = 0;
    for (let layer = 0; layer < ftConfig.numLayers; layer++) {
      for (const module of MODULES) {
        const t = performance.now();
        const key = moduleKey(layer, module);
        const path = `layers.${layer}.${HF_MODULE_PATH[module]}.weight`;
        const ftName = ftConfig.weightPrefix + path;
        const baseName = baseConfig.weightPrefix + path;
        linearNames.add(ftName);
        const [inDim, outDim] = moduleShape(ftConfig, module);
        for (const [ckpt, name, label] of [[ft, ftName, dir], [base, baseName, opts.base]] as const) {
          const shape = ckpt.info(name).shape;
          if (shape.length !== 2 || shape[0] !== outDim || shape[1] !== inDim) {
            throw new Error(`${label}: tensor "${name}" is ${JSON.stringify(shape)}, expected [${outDim}, ${inDim}] ([out, in])`);
          }
        }
        // ΔW in place of the finetune's weights: [out, in] row-major
        const delta = assertFinite(ft.readF32(ftName), dir, ftName);
        const w = base.readF32(baseName);
        for (let i = 0; i < delta.length; i++) delta[i] -= w[i];
        const c = compressDelta(delta, outDim, inDim, { rank: K, seed: opts.seed, oversample: opts.oversample, powerIters: opts.powerIters });
        if (!c) {
          unchanged.push(key);
        } else {
          kept += c.kept;
          total += c.total;
          modules.set(key, c.module);
          energies.push({ key, energy: Math.min(1, c.kept / c.total), ms: performance.now() - t });
        }
        opts.onProgress?.(++done, count);
      }
    }

    const unrepresented = ft
      .names()
      .filter((name) => !linearNames.has(name))
      .filter((name) => {
        const baseName = baseNameOf(name, ftConfig, baseConfig);
        return !base.has(baseName) || !sameTensor(ft, base, name, baseName);
      })
      .sort();

    if (modules.size === 0) {
      const other = unrepresented.length ? `; only tensors a low-rank diff cannot carry differ: ${unrepresented.join(', ')}` : '';
      throw new Error(`${dir}: none of the ${count} linear modules differs from the base model ${opts.base}${other}`);
    }
    const energy = Math.min(1, kept / total);
    const report: FullDiffReport = { rank: K, energy, modules: energies, unchanged, unrepresented, ms: performance.now() - t0 };
    const meta: Record<string, string> = {
      format: FULL_FORMAT,
      kind: 'full',
      source: dir,
      base: opts.base,
      arch: ftConfig.arch,
      hfArchitecture: ftConfig.hfArchitecture,
      energy: energy.toFixed(6),
      svdMs: report.ms.toFixed(0),
    };
    if (unchanged.length) meta.unchanged = unchanged.join(',');
    if (unrepresented.length) {
      meta.unrepresented = unrepresented.join(',');
      meta.warning = `${unrepresented.length} tensor(s) outside the seven linears differ from the base and are not in the adapter (e.g. ${unrepresented[0]})`;
    }
    const rank = Math.max(...[...modules.values()].map((m) => m.rank));
    return { lowRank: { modules, scale: 1, rank, meta }, report };
  } finally {
    ft.close();
    base.close();
  }
}

export function readFullFinetune(dir: string, opts: FullDiffOptions): LowRank {
  return diffFullFinetune(dir, opts).lowRank;
}
