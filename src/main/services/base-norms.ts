// The base weights' ||W||_F for the diff inspector. An import keeps them in the manifest
// (engine/build/base-norms.ts); a model imported before that has them computed on first use from
// its source folder and written into its manifest, so it happens once.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { computeBaseNorms, type BaseNorms } from '../engine/build/base-norms.ts';
import { SafetensorsCheckpoint } from '../engine/hf/safetensors.ts';
import type { Manifest } from '../engine/library.ts';
import { MODULES } from '../engine/modules.ts';
import { projName, type ModuleFigures } from '../engine/adapters/inspect.ts';

export type BaseNormsFound = { norms: BaseNorms } | { norms: null; why: string };

const pending = new Map<string, Promise<BaseNormsFound>>();

/** The norms of the model in `libraryDir` (its manifest's, or computed from its source once). */
export function baseNormsOf(libraryDir: string): Promise<BaseNormsFound> {
  let p = pending.get(libraryDir);
  if (!p) {
    p = find(libraryDir);
    pending.set(libraryDir, p);
    void p.finally(() => pending.delete(libraryDir));
  }
  return p;
}

async function find(libraryDir: string): Promise<BaseNormsFound> {
  const path = join(libraryDir, 'manifest.json');
  if (!existsSync(path)) return { norms: null, why: `${libraryDir} has no manifest.json` };
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  if (manifest.baseNorms) return { norms: manifest.baseNorms };
  const source = manifest.source.path;
  if (!existsSync(join(source, 'config.json')) || !SafetensorsCheckpoint.exists(source)) {
    return { norms: null, why: `the model's source folder ${source} is no longer there to read the base weights from` };
  }
  const checkpoint = SafetensorsCheckpoint.open(source);
  let norms: BaseNorms;
  try {
    norms = await computeBaseNorms(checkpoint, manifest.config);
  } catch (e) {
    return { norms: null, why: `reading the base weights from ${source}: ${(e as Error).message}` };
  } finally {
    checkpoint.close();
  }
  // kept in the manifest (written whole, then renamed over it), so this happens once
  const fresh = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ ...fresh, baseNorms: norms }, null, 2));
  renameSync(tmp, path);
  return { norms };
}

const MODULE_OF_PROJ = new Map(MODULES.map((m) => [projName(m), m]));

/** Each module's ||ΔW||_F / ||W||_F (null where the norms are not known). */
export function withRelative(modules: ModuleFigures[], norms: BaseNorms | null): ModuleFigures[] {
  return modules.map((m) => {
    const base = norms?.[`${m.layer}.${MODULE_OF_PROJ.get(m.module as never)}`];
    return { ...m, relative: base && base > 0 ? m.frobenius / base : null };
  });
}
