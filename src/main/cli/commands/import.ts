// `diffscope import model|diff|dit|paper PATH`: into the library and the catalog through the same
// import services (jobs) as the app, with their progress on stderr.
import { resolve } from 'node:path';
import type { JobView } from '../../../shared/api.ts';
import { listManifests } from '../../engine/library.ts';
import { withBackend } from '../backend.ts';
import { runJob } from '../jobs.ts';
import { modelArg } from '../refs.ts';
import { int } from '../args.ts';

export async function importModelCommand(path: string, values: { precision: string; blockSize?: string; json?: boolean }): Promise<void> {
  const blockSize = values.blockSize === undefined ? null : int(values.blockSize, '--block-size', 32);
  const out = await withBackend(async (b) => {
    const before = new Set(listManifests(b.ctx.home).map((m) => m.id));
    const job = await runJob(b, b.dispatch('models:import', [resolve(path), values.precision, blockSize]) as Promise<JobView>);
    const model = b.ctx.catalog.models.get(job.result!.modelId!)!;
    const existed = before.has(model.id);
    process.stderr.write(existed ? `already imported as ${model.id}\n` : `imported ${model.id} (${model.arch}, ${model.precision})\n`);
    if (!existed) process.stderr.write(`precision ${model.manifest.precisionReason ?? model.precision}\n`);
    return { id: model.id, dir: model.libraryDir, existed, manifest: model.manifest };
  });
  console.log(values.json ? JSON.stringify(out) : out.id);
}

/** diff, dit and paper differ in what the file holds, which the import reads from the file itself. */
export async function importAdaptersCommand(path: string, values: { model: string; json?: boolean }): Promise<void> {
  const job = await withBackend(async (b) => {
    const model = await modelArg(b, values.model);
    return runJob(b, b.requests.adapters.import(resolve(path), model.id));
  });
  const ids = job.result?.adapterIds ?? [];
  if (values.json) console.log(JSON.stringify({ adapterIds: ids, missing: job.result?.missing ?? 0 }));
  else console.log(ids.length === 1 ? ids[0] : `${ids.length} adapters imported${job.result?.missing ? ` (${job.result.missing} diffs' shards are not on disk)` : ''}`);
}
