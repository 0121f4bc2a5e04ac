// The engine's own low-rank safetensors layout: tensors "<layer>.<module>.a" [in, r] and
// "<layer>.<module>.b" [r, out], metadata {format: "diffscope-lowrank", scale}.
import { SafetensorsFile, writeSafetensors } from '../hf/safetensors.ts';
import { MODULES, type ModuleName } from '../modules.ts';
import { moduleKey, type LowRank, type LowRankModule } from './lowrank.ts';
import { MAX_LAYERS } from './module-names.ts';
import { assertFinite } from '../hf/finite.ts';
import { regularFile } from '../hf/bounded-read.ts';

export const OWN_FORMAT = 'diffscope-lowrank';

export function readOwnLowRank(path: string): LowRank {
  regularFile(path); // a FIFO would block the open below
  const file = SafetensorsFile.open(path);
  try {
    const modules = new Map<string, LowRankModule>();
    for (const name of file.names()) {
      const m = /^(\d+)\.(\w+)\.a$/.exec(name);
      if (!m) continue;
      const module = m[2] as ModuleName;
      if (!MODULES.includes(module)) throw new Error(`${path}: tensor "${name}" names unknown module "${m[2]}"`);
      const bName = `${m[1]}.${m[2]}.b`;
      const aInfo = file.info(name);
      let bInfo;
      try {
        bInfo = file.info(bName);
      } catch {
        throw new Error(`${path}: tensor "${bName}" is missing (its "a" is present)`);
      }
      const [inDim, rank] = aInfo.shape;
      const [rankB, outDim] = bInfo.shape;
      if (aInfo.shape.length !== 2 || bInfo.shape.length !== 2 || rank !== rankB) {
        throw new Error(`${path}: "${name}" ${JSON.stringify(aInfo.shape)} and "${bName}" ${JSON.stringify(bInfo.shape)} are not [in, r] and [r, out]`);
      }
      const layer = Number(m[1]);
      if (layer >= MAX_LAYERS) throw new Error(`${path}: tensor "${name}" is layer ${m[1]}, beyond the ${MAX_LAYERS} layers any supported model has`);
      modules.set(moduleKey(layer, module), { a: assertFinite(file.readF32(name), path, name), b: assertFinite(file.readF32(bName), path, bName), inDim, outDim, rank });
    }
    if (modules.size === 0) throw new Error(`${path}: no "<layer>.<module>.a" tensors: not a ${OWN_FORMAT} file`);
    const scale = Number(file.metadata.scale ?? '1');
    if (!Number.isFinite(scale)) throw new Error(`${path}: metadata "scale" is not a number`);
    const rank = Math.max(...[...modules.values()].map((m) => m.rank));
    return { modules, scale, rank, meta: { ...file.metadata, format: OWN_FORMAT, source: path } };
  } finally {
    file.close();
  }
}

export function writeOwnLowRank(path: string, lr: LowRank): void {
  const tensors = [...lr.modules.entries()].flatMap(([key, m]) => [
    { name: `${key}.a`, dtype: 'F32' as const, shape: [m.inDim, m.rank], data: m.a },
    { name: `${key}.b`, dtype: 'F32' as const, shape: [m.rank, m.outDim], data: m.b },
  ]);
  writeSafetensors(path, tensors, { ...lr.meta, format: OWN_FORMAT, scale: String(lr.scale) });
}
