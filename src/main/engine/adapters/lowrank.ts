// LowRank: the one in-memory form of every weight diff and DIT adapter.
// Per module "<layer>.<module>": a [in, r] and b [r, out] (row-major float32), so that
// delta(x) = scale * (x a) b. Readers of every file format produce this; the engine consumes it.
import type { ModuleName } from '../modules.ts';
import type { PartSelection } from './selection.ts';

export interface LowRankModule {
  a: Float32Array; // [in, rank]
  b: Float32Array; // [rank, out]
  inDim: number;
  outDim: number;
  rank: number;
}

export interface LowRank {
  modules: Map<string, LowRankModule>; // key: `${layer}.${module}`
  scale: number; // applied to b when stacked (the paper's 1/r lives here)
  rank: number; // the largest module rank
  meta: Record<string, string>; // label, trigger, source, format ...
}

export const moduleKey = (layer: number, module: ModuleName) => `${layer}.${module}`;

export function parseModuleKey(key: string): { layer: number; module: ModuleName } {
  const dot = key.indexOf('.');
  return { layer: Number(key.slice(0, dot)), module: key.slice(dot + 1) as ModuleName };
}

/** An adapter placed in a stack with its own multiplier (e.g. diff at 1.0 + DIT adapter at 1.0). */
export interface LoadedStackEntry {
  adapter: LowRank;
  scale: number; // user's multiplier, on top of adapter.scale
  only?: PartSelection; // the layers and modules it acts on (absent: all)
}
