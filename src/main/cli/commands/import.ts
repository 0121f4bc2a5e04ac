// `diffscope import model|diff|dit|paper PATH`: into the library and the catalog, with progress.
import { resolve } from 'node:path';
import { importModel, type ImportProgress } from '../../engine/build/import-model.ts';
import type { PrecisionId } from '../../engine/build/precision.ts';
import type { Backend } from '../../services/backend.ts';
import { modelFromManifest } from '../../catalog/index.ts';
import type { JobView } from '../../../shared/api.ts';
import { withBackend } from '../backend.ts';
import { parse } from '../args.ts';
import { progressBar, type ProgressBar } from '../progress.ts';

const USAGE = 'usage: diffscope import model DIR [--precision fp32|fp16] [--json] | import diff|dit PATH[#INDEX] --model ID | import paper DIR --model ID';

export async function importCommand(args: string[]): Promise<void> {
  const [kind, ...rest] = args;
  const { values, positionals } = parse(rest, {
    precision: { type: 'string', default: 'fp32' },
    model: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length !== 1) throw new Error(USAGE);
  const path = positionals[0];
  if (kind === 'model') {
    const result = await importWithProgress(path, values.precision as PrecisionId);
    await withBackend(async (b) => {
      b.ctx.catalog.models.put(modelFromManifest(result.manifest, result.dir));
    });
    if (values.json) console.log(JSON.stringify({ id: result.id, dir: result.dir, existed: result.existed, manifest: result.manifest }));
    else console.log(result.id);
    return;
  }
  if (kind !== 'diff' && kind !== 'dit' && kind !== 'paper') throw new Error(USAGE);
  if (!values.model) throw new Error(`import ${kind}: --model ID is required (the base model it is for; see \`diffscope models\`)`);
  const modelId = values.model;
  const job = await withBackend((b) => runJob(b, b.requests.adapters.import(resolve(path), modelId)));
  if (job.status === 'failed') throw new Error(job.error ?? 'import failed');
  const ids = job.result?.adapterIds ?? [];
  if (values.json) console.log(JSON.stringify({ adapterIds: ids, missing: job.result?.missing ?? 0 }));
  else console.log(ids.length === 1 ? ids[0] : `${ids.length} adapters imported${job.result?.missing ? ` (${job.result.missing} diffs' shards are not on disk)` : ''}`);
}

/** Follows a job's progress on stderr until it ends. */
export async function runJob(b: Backend, started: Promise<JobView>): Promise<JobView> {
  const job = await started;
  const off = showJobs(b, (id) => id === job.id);
  const done = await b.ctx.jobs.wait(job.id);
  off();
  return done;
}

/**
 * Shows the progress of jobs (all of them, or those `which` picks) on stderr, one bar per job,
 * until the returned function is called: imports a command starts itself, and the first-run
 * imports that `eval --demo` and `demo` start on a new data folder.
 */
export function showJobs(b: Backend, which: (id: string) => boolean = () => true): () => void {
  const bars = new Map<string, ProgressBar>();
  return b.onEvent((e) => {
    if (e.type !== 'job' || !which(e.job.id)) return;
    const { id, title, status, phase } = e.job;
    let bar = bars.get(id);
    if (!bar) bars.set(id, (bar = progressBar(title, { bytes: true })));
    if (status === 'running') {
      if (e.job.total > 0) bar.update(e.job.done, e.job.total, phase, /hashing|converting/.test(phase));
    } else {
      bar.done(status === 'done' ? `${title}: done` : undefined);
      bars.delete(id);
    }
  });
}

export async function importWithProgress(dir: string, precision: PrecisionId = 'fp32') {
  const bar = progressBar('importing', { bytes: true });
  const onProgress = (p: ImportProgress) => bar.update(p.done, p.total, p.phase === 'hash' ? 'hashing' : 'converting');
  const result = await importModel(dir, { precision, onProgress });
  bar.done(result.existed ? `already imported as ${result.id}` : `imported ${result.id} (${result.manifest.arch}, ${precision})`);
  return result;
}
