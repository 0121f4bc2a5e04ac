// Does an adapter fit a base model? Architecture (when the adapter declares one), layer count and
// every module's [in, out]; the error names the adapter's file and the first mismatch. The one
// validation path: stack.ts's validateStack calls this for every adapter it feeds.
import type { ArchKey, ModelConfig } from '../hf/config.ts';
import type { Manifest } from '../library.ts';
import { HF_MODULE_PATH, MODULES, moduleShape, type ModuleName } from '../modules.ts';
import { parseModuleKey, type LowRank } from './lowrank.ts';

/** What an adapter is checked against: the family (when known), layers and module shapes. */
export interface BaseShapes {
  arch?: ArchKey;
  hfArchitecture?: string;
  layers: number;
  modules: Record<ModuleName, [number, number]>; // [in, out]
}

/** An imported model's manifest, its shapes block, or a parsed config.json. */
export type BaseModel = Manifest | Manifest['shapes'] | ModelConfig | BaseShapes;

export function baseShapes(base: BaseModel): BaseShapes {
  if ('shapes' in base) return { arch: base.arch, hfArchitecture: base.hfArchitecture, layers: base.shapes.layers, modules: base.shapes.modules };
  if ('numLayers' in base) {
    const modules = Object.fromEntries(MODULES.map((m) => [m, moduleShape(base, m)])) as BaseShapes['modules'];
    return { arch: base.arch, hfArchitecture: base.hfArchitecture, layers: base.numLayers, modules };
  }
  return base as BaseShapes;
}

/** "layers.3.q_proj": the module as people read it in checkpoints. */
function moduleLabel(layer: number, module: ModuleName): string {
  return `layers.${layer}.${HF_MODULE_PATH[module].split('.')[1]}`;
}

/** The first reason the adapter does not fit the base, or null when it fits. */
export function adapterMismatch(adapter: LowRank, base: BaseModel): string | null {
  const shapes = baseShapes(base);
  const file = adapter.meta.source ?? 'adapter';
  const declared = adapter.meta.arch;
  if (declared && shapes.arch && declared !== shapes.arch) {
    const theirs = adapter.meta.hfArchitecture ? ` (${adapter.meta.hfArchitecture})` : '';
    const ours = shapes.hfArchitecture ? ` (${shapes.hfArchitecture})` : '';
    return `${file}: made for a ${declared}${theirs} model, the base model is ${shapes.arch}${ours}`;
  }
  for (const [key, m] of adapter.modules) {
    const { layer, module } = parseModuleKey(key);
    if (!MODULES.includes(module)) return `${file}: module ${key}: "${module}" is not one of ${MODULES.join(', ')}`;
    const label = moduleLabel(layer, module);
    if (!(Number.isInteger(layer) && layer >= 0 && layer < shapes.layers)) {
      return `${file}: module ${label}: the base model has ${shapes.layers} layers (0..${shapes.layers - 1})`;
    }
    const [inDim, outDim] = shapes.modules[module];
    if (m.inDim !== inDim || m.outDim !== outDim) {
      return `${file}: module ${label}: expected [${inDim}, ${outDim}] ([in, out]) for the base model, found [${m.inDim}, ${m.outDim}]`;
    }
    if (m.a.length !== m.inDim * m.rank || m.b.length !== m.rank * m.outDim) {
      return `${file}: module ${label}: factors hold ${m.a.length} and ${m.b.length} values, not [${m.inDim}, ${m.rank}] and [${m.rank}, ${m.outDim}]`;
    }
  }
  return null;
}

/** Throws the first mismatch between the adapter and the base model. */
export function validateAdapter(adapter: LowRank, base: BaseModel): void {
  const why = adapterMismatch(adapter, base);
  if (why) throw new Error(why);
}

/** The candidates (e.g. every model in the library) the adapter fits. */
export function fits<T extends { base: BaseModel }>(adapter: LowRank, candidates: T[]): T[] {
  return candidates.filter((c) => adapterMismatch(adapter, c.base) === null);
}
