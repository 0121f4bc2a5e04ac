// What a command's --model and adapter arguments name, resolved through the services: a model by
// id or name, a library folder, or a Hugging Face folder (imported first, once); an adapter by
// catalog id, or a file (imported into the catalog first, once, when the answer is to be logged).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Backend } from '../services/backend.ts';
import type { LibraryModel } from '../services/context.ts';
import { importAdapterJob } from '../services/imports.ts';
import { catalogLibraryModel, findModel, libraryFolder } from '../services/lookup.ts';
import { runJob } from './jobs.ts';

/** --model: an id or name of the catalog, a library folder, or a Hugging Face folder (imported). */
export async function modelArg(b: Backend, ref: string): Promise<LibraryModel> {
  const { catalog } = b.ctx;
  if (existsSync(join(ref, 'config.json')) && !existsSync(join(ref, 'manifest.json'))) {
    const job = await runJob(b, b.dispatch('models:import', [resolve(ref), 'fp32']) as Promise<import('../../shared/api.ts').JobView>);
    return catalog.models.get(job.result!.modelId!)!;
  }
  if (existsSync(join(ref, 'manifest.json'))) return catalogLibraryModel(b.ctx, ref);
  const found = findModel(catalog, ref);
  if (found) return found;
  const inLibrary = libraryFolder(b.ctx.home, ref);
  if (inLibrary) return catalogLibraryModel(b.ctx, inLibrary);
  throw new Error(`model "${ref}" is neither a model id or name in the catalog (see \`diffscope models\`) nor a model folder`);
}

/** A file or folder an adapter argument names (`shard.pt#3` names an entry of shard.pt). */
export const adapterFile = (ref: string): string | null => {
  const plain = ref.replace(/#\d+$/, '');
  return existsSync(plain) ? plain : null;
};

/**
 * An adapter file, imported into the catalog for `model` (or found there, by its sha256): its id.
 * `rank` compresses a full finetune to that rank.
 */
export async function importedAdapter(b: Backend, ref: string, model: LibraryModel, rank?: number): Promise<string> {
  try {
    const job = await runJob(b, importAdapterJob(b.ctx, resolve(ref), model.id, { rank }));
    return job.result!.adapterIds![0];
  } catch (err) {
    const message = (err as Error).message;
    throw new Error(message.includes(ref) ? message : `${ref}: ${message}`);
  }
}
