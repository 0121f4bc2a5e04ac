// Adapter files outside the catalog, for the CLI's `adapters inspect|export` and the vLLM-style
// runtime LoRA routes: what a file holds and which bases it fits, a stack written as one PEFT
// adapter, a folder checked against a model. Entry points reach the engine's adapter readers here.
import { inspectAdapter } from '../engine/adapters/inspect.ts';
import { loadLowRank, parseAdapterRef } from '../engine/adapters/load.ts';
import { existsSync } from 'node:fs';
import type { LoadedStackEntry } from '../engine/adapters/lowrank.ts';
import type { PartSelection } from '../engine/adapters/selection.ts';
import { checkAdapterOffThread } from '../engine/adapters/off-thread.ts';
import { writePeft } from '../engine/adapters/peft.ts';
import { fits } from '../engine/adapters/validate.ts';
import { knownBaseShapes } from '../engine/known-shapes.ts';
import { listManifests, modelsDir, type Manifest } from '../engine/library.ts';
import { join } from 'node:path';
import { baseNormsOf, withRelative } from './base-norms.ts';

/** Whether a command-line argument names an adapter file or folder (PATH[#INDEX]) rather than a catalog id. */
export function isAdapterPath(arg: string): boolean {
  return existsSync(parseAdapterRef(arg).path) || !/^[\w./:-]+$/.test(arg);
}

/**
 * What an adapter file holds, and which library models or released shapes it fits. Each module's
 * size relative to the base weight comes from the first library model it fits (its manifest's
 * norms, computed once for models imported before they were kept).
 */
export async function inspectAdapterFile(path: string, opts: { base?: string; rank?: number } = {}) {
  const lr = loadLowRank(path, opts);
  const info = inspectAdapter(lr);
  const library = listManifests().map((m) => ({ name: `${m.id} (library)`, base: m }));
  const candidates = [...library, ...knownBaseShapes()];
  const fitting = fits(lr, library)[0];
  const found = fitting ? await baseNormsOf(join(modelsDir(), fitting.base.id)) : { norms: null, why: 'it fits no model of the library' };
  return {
    ...info,
    modules: withRelative(info.modules, found.norms),
    ...(found.norms ? { relativeTo: fitting!.base.id } : { relativeMissing: found.why }),
    /** a full finetune's share of ||ΔW||_F² kept at this rank */
    energy: lr.meta.energy ? Number(lr.meta.energy) : undefined,
    warning: lr.meta.warning as string | undefined,
    fits: fits(lr, candidates).map((c) => c.name),
  };
}

/** Adapter files with scales written as one PEFT adapter (ranks add up); its rank. */
export function exportStackAsPeft(stack: { path: string; scale: number; only?: PartSelection }[], out: string, baseModel = ''): number {
  const loaded: LoadedStackEntry[] = stack.map((r) => ({ adapter: loadLowRank(r.path), scale: r.scale, only: r.only }));
  writePeft(out, loaded, { baseModel });
  return loaded.reduce((a, s) => a + s.adapter.rank, 0);
}

/** Reads and validates an adapter folder against a model in a worker thread: a hostile folder stalls no request. */
export async function checkAdapterFolder(path: string, manifest: Manifest): Promise<void> {
  await checkAdapterOffThread(path, manifest);
}
