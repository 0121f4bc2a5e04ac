// Catalog lookups that every entry point shares (chat, evaluations, the OpenAI endpoint, the CLI):
// a model by id or by the name shown for it, and a stack of catalog adapters resolved for the
// engine, each file checked against its fingerprint before use.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { engineRef, type NewModel, type RecordedStackEntry } from '../catalog/index.ts';
import type { FileStackEntry } from '../engine/engine.ts';
import { modelsDir, readManifest, type Manifest } from '../engine/library.ts';
import type { StackEntry } from '../../shared/api.ts';
import { required, UserError, type Ctx, type LibraryCatalog, type LibraryModel } from './context.ts';
import { checkSource } from './sources.ts';
import { partSelection } from './stack-spec.ts';

/**
 * A model by its id, or by its name (`base-model`, `Qwen/Qwen3-0.6B`) when exactly one model
 * has that name; undefined when none matches. Two imports of one checkpoint (fp32 and fp16)
 * share a name: the error then lists their ids.
 */
export function findModel(catalog: LibraryCatalog, ref: string): LibraryModel | undefined {
  const byId = catalog.models.get(ref);
  if (byId) return byId;
  const all = catalog.models.list();
  let named = all.filter((m) => m.name === ref);
  if (named.length === 0) named = all.filter((m) => m.name.toLowerCase() === ref.toLowerCase());
  if (named.length > 1) throw new UserError(`model name "${ref}" is ambiguous: give one of the ids ${named.map((m) => m.id).join(', ')}`);
  return named[0];
}

/** findModel, or a one-line error that says where the ids are listed. */
export function requireModel(catalog: LibraryCatalog, ref: string): LibraryModel {
  const m = findModel(catalog, ref);
  if (!m) throw new UserError(`model "${ref}" is not in the catalog (see \`diffscope models\`)`);
  return m;
}

/**
 * A model folder already in the library (imported by the engine alone, as tests and older
 * versions did) gets its catalog row, so that what is asked of it can be logged.
 */
export function catalogLibraryModel(ctx: Pick<Ctx, 'catalog' | 'emit'>, dir: string): LibraryModel {
  const manifest = readManifest(dir);
  if (!ctx.catalog.models.get(manifest.id)) {
    ctx.catalog.models.put(modelFromManifest(manifest, resolve(dir)));
    ctx.emit({ type: 'catalog', what: 'models' });
  }
  return ctx.catalog.models.get(manifest.id)!;
}

/** The catalog row of a model the engine has just imported into `libraryDir`. */
export function modelFromManifest(manifest: Manifest, libraryDir: string, flags: { demo?: boolean; standIn?: boolean } = {}): NewModel<Manifest> {
  return {
    id: manifest.id,
    name: manifest.name,
    arch: manifest.arch,
    precision: manifest.precision,
    libraryDir,
    sourcePath: manifest.source.path,
    sourceSha256: manifest.source.sha256,
    manifest,
    ...flags,
  };
}

/** The library folder of model `id` under `home`, when it holds an imported model. */
export function libraryFolder(home: string, id: string): string | undefined {
  const dir = join(modelsDir(home), id);
  return !id.includes('/') && !id.includes('\\') && existsSync(join(dir, 'manifest.json')) ? dir : undefined;
}

export interface ResolvedStack {
  /** what a reply records: adapter, its sha256 at import, scale, role */
  items: RecordedStackEntry[];
  /** what the engine loads */
  refs: FileStackEntry[];
}

/**
 * Catalog adapters -> the engine's stack: each adapter must exist, belong to `modelId` and still
 * be the file it was at import. `checked` (one per evaluation run) avoids re-checking a file.
 */
export async function resolveStack(ctx: Pick<Ctx, 'catalog'>, modelId: string, stack: StackEntry[], checked?: Set<string>): Promise<ResolvedStack> {
  const items: RecordedStackEntry[] = [];
  const refs: FileStackEntry[] = [];
  for (const part of stack) {
    const a = required(ctx.catalog.adapters.get(part.adapterId), `adapter ${part.adapterId}`);
    if (a.modelId !== modelId) throw new UserError(`adapter ${a.id} was imported for model ${a.modelId}, not ${modelId}`);
    if (!Number.isFinite(part.scale)) throw new UserError(`adapter ${a.id}: scale must be a number`);
    if (!checked?.has(a.id)) {
      await checkSource(a);
      checked?.add(a.id);
    }
    const only = partSelection(part, ctx.catalog.models.get(modelId)?.manifest.shapes.layers, `adapter ${a.id}`);
    items.push({ adapterId: a.id, sha256: a.source.sha256, scale: part.scale, role: part.role, ...only });
    refs.push({ path: engineRef(a), scale: part.scale, ...(a.kind === 'full' && a.rank ? { rank: a.rank } : {}), ...(only.layers || only.modules ? { only } : {}) });
  }
  return { items, refs };
}
