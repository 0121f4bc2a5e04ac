// What an adapter is, at a glance: format, kind, rank, which modules and layers it touches, and
// how strongly it changes each layer. A pure function of the LowRank and its meta.
import { HF_MODULE_PATH, MODULES, type ModuleName } from '../modules.ts';
import { parseModuleKey, type LowRank, type LowRankModule } from './lowrank.ts';
import { moduleSpectrum, type ModuleSpectrum } from './spectrum.ts';

export type AdapterKind = 'diff' | 'dit' | 'full';

/** One module's figures (spectrum.ts): ||ΔW||_F, its singular values, stable and effective rank. */
export interface ModuleFigures extends ModuleSpectrum {
  layer: number;
  module: string; // "q_proj", "gate_proj", ...
  /** ||ΔW||_F / ||W||_F of the base weight; null where the base model's norms are not known */
  relative: number | null;
}

export interface AdapterInspection {
  format: string;
  kind: AdapterKind;
  rank: number;
  /** every module the adapter touches, by layer then module order (q k v o gate up down) */
  modules: ModuleFigures[];
  layers: number[]; // layers the adapter touches, ascending
  /** Per layer 0..max touched: sum over its modules of ||scale · a b||_F (0 for untouched layers). */
  perLayerNorms: number[];
  label?: string;
  trigger?: string;
  split?: string;
  source?: string;
}

/**
 * ||a b||_F without forming the [in, out] product: ||a b||² = trace((aᵀa)(b bᵀ)), two r x r
 * Gram matrices (O((in + out) r²) instead of O(in · out · r)).
 */
export function lowRankNorm(m: LowRankModule): number {
  const r = m.rank;
  const ga = new Float64Array(r * r); // aᵀa: a [in, r]
  for (let i = 0; i < m.inDim; i++) {
    const o = i * r;
    for (let p = 0; p < r; p++) for (let q = p; q < r; q++) ga[p * r + q] += m.a[o + p] * m.a[o + q];
  }
  const gb = new Float64Array(r * r); // b bᵀ: b [r, out]
  for (let p = 0; p < r; p++) {
    for (let q = p; q < r; q++) {
      let s = 0;
      for (let j = 0; j < m.outDim; j++) s += m.b[p * m.outDim + j] * m.b[q * m.outDim + j];
      gb[p * r + q] = s;
    }
  }
  // trace(GA GB) = sum_pq GA[p,q] GB[q,p]; both symmetric and only their upper triangles filled
  let trace = 0;
  for (let p = 0; p < r; p++) {
    trace += ga[p * r + p] * gb[p * r + p];
    for (let q = p + 1; q < r; q++) trace += 2 * ga[p * r + q] * gb[p * r + q];
  }
  return Math.sqrt(Math.max(0, trace));
}

function kindOf(lr: LowRank): AdapterKind {
  const k = lr.meta.kind;
  if (k === 'diff' || k === 'dit' || k === 'full') return k;
  return 'diff';
}

export function inspectAdapter(lr: LowRank): AdapterInspection {
  const entries = [...lr.modules].map(([key, m]) => ({ ...parseModuleKey(key), m }));
  entries.sort((x, y) => x.layer - y.layer || MODULES.indexOf(x.module) - MODULES.indexOf(y.module));
  const layers = [...new Set(entries.map((e) => e.layer))].sort((a, b) => a - b);
  const perLayerNorms = new Array<number>(layers.length ? layers[layers.length - 1] + 1 : 0).fill(0);
  for (const e of entries) perLayerNorms[e.layer] += Math.abs(lr.scale) * lowRankNorm(e.m);
  const { label, trigger, split, source } = lr.meta;
  return {
    format: lr.meta.format ?? 'unknown',
    kind: kindOf(lr),
    rank: lr.rank,
    modules: entries.map((e) => ({ layer: e.layer, module: projName(e.module), relative: null, ...moduleSpectrum(e.m, lr.scale) })),
    layers,
    perLayerNorms,
    ...(label !== undefined && { label }),
    ...(trigger !== undefined && { trigger }),
    ...(split !== undefined && { split }),
    ...(source !== undefined && { source }),
  };
}

/** "q_proj", "gate_proj", ... */
export function projName(module: ModuleName): string {
  return HF_MODULE_PATH[module].split('.')[1];
}
