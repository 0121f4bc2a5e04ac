// Imports as jobs: a model folder (the engine's import), one adapter file or folder, or a whole
// released experiment folder (index.csv + weight-diffs/*.pt + dit-adapter.pt) that becomes one
// catalog row per diff. Adapter files are referenced (path + sha256 + index), never copied.
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { BUILDER_VERSION } from '../engine/library.ts';
import type { PrecisionChoice } from '../engine/build/auto-precision.ts';
import { parseAdapterRef } from '../engine/adapters/load.ts';
import { checkAdapterOffThread, checkExperimentOffThread } from '../engine/adapters/off-thread.ts';
import type { AdapterFormat, AdapterKind, NewAdapter } from '../catalog/index.ts';
import { modelFromManifest } from './lookup.ts';
import type { JobView } from '../../shared/api.ts';
import { required, UserError, type Ctx } from './context.ts';
import type { JobHandle } from './jobs.ts';
import { fingerprint } from './sources.ts';

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9.]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48) || 'adapter';

export async function runModelImport(
  ctx: Ctx,
  path: string,
  precision: PrecisionChoice,
  job: JobHandle,
  flags: { demo?: boolean; standIn?: boolean } = {},
  blockSize?: number,
) {
  // loaded when a model is imported, not by every command that opens the back end (the graph
  // builder brings onnx-proto and the tokenizers: a third of a second)
  const { importModel } = await import('../engine/build/import-model.ts');
  const result = await importModel(resolve(path), {
    precision,
    blockSize,
    home: ctx.home,
    signal: job.signal,
    onProgress: (p) => job.progress(p.phase === 'hash' ? 'hashing' : 'converting', p.done, p.total, p),
  });
  ctx.catalog.models.put({ ...modelFromManifest(result.manifest, result.dir), ...flags });
  ctx.emit({ type: 'catalog', what: 'models' });
  return { modelId: result.id };
}

export function importModelJob(ctx: Ctx, path: string, precision: PrecisionChoice, blockSize?: number): JobView {
  if (!existsSync(join(path, 'config.json'))) throw new UserError(`${path}: not a Hugging Face model folder (no config.json)`);
  return ctx.jobs.start('import-model', `Import ${basename(path)}`, (job) => runModelImport(ctx, path, precision, job, {}, blockSize));
}

function formatOf(meta: Record<string, string>, path: string): AdapterFormat {
  if (meta.format === 'paper-pt' || meta.format === 'peft') return meta.format;
  if (meta.format === 'full-finetune') return 'full';
  if (path.endsWith('.safetensors')) return 'safetensors';
  return 'full';
}

/** One adapter file or folder (or "shard.pt#INDEX"); `rank` compresses a full finetune to that rank. */
export const runAdapterImport = (ctx: Ctx, ref: string, modelId: string, job: JobHandle, rank?: number) => importOne(ctx, ref, modelId, job, rank);

async function importOne(ctx: Ctx, ref: string, modelId: string, job: JobHandle, rank?: number) {
  const model = required(ctx.catalog.models.get(modelId), `model ${modelId}`);
  const parsed = parseAdapterRef(ref);
  const path = resolve(parsed.path);
  const index = parsed.index;
  job.progress('reading', 0, 1);
  // read and validated in a worker thread: a hostile file must not stall other requests
  const lr = await checkAdapterOffThread(index === null ? path : `${path}#${index}`, model.manifest, { base: model.sourcePath, rank });
  const source = await fingerprint(path, (d, t) => job.progress('hashing', d, t));
  const existing = ctx.catalog.adapters.findBySource(modelId, source.sha256, index);
  if (existing && rank !== undefined && existing.kind === 'full' && existing.rank !== rank) {
    throw new UserError(`${ref} is in the catalog already as ${existing.id}, compressed to rank ${existing.rank}, not ${rank}`);
  }
  if (existing) return { adapterIds: [existing.id] };
  const kind = (lr.meta.kind as AdapterKind) ?? 'diff';
  const id = freeId(ctx, `${slug(basename(path).replace(/\.(pt|safetensors)$/, ''))}${index === null ? '' : `-${index}`}-${source.sha256.slice(0, 8)}`);
  const trigger = lr.meta.trigger !== undefined && /^\d+$/.test(lr.meta.trigger) ? Number(lr.meta.trigger) : null;
  ctx.catalog.adapters.insert({
    id,
    kind,
    modelId,
    format: formatOf(lr.meta, path),
    rank: lr.rank,
    source: { ...source, index },
    label: lr.meta.label ?? null,
    trigger,
    split: lr.meta.split === 'train' || lr.meta.split === 'test' ? lr.meta.split : null,
  });
  ctx.emit({ type: 'catalog', what: 'adapters' });
  return { adapterIds: [id] };
}

/**
 * Ids of an experiment's rows are "<prefix>/<row>". A folder imported before keeps its prefix;
 * another experiment of the same name gets "-2", "-3", ...
 */
function experimentPrefix(ctx: Ctx, name: string, dir: string, modelId: string): string {
  const taken = (prefix: string) => ctx.catalog.adapters.get(`${prefix}/0000`) ?? ctx.catalog.adapters.get(`${prefix}/dit`);
  for (let k = 1; ; k++) {
    const prefix = k === 1 ? name : `${name}-${k}`;
    const a = taken(prefix);
    const sameFolder = a && (dirname(a.source.path) === dir || dirname(dirname(a.source.path)) === dir);
    if (!a || (sameFolder && a.modelId === modelId)) return prefix;
  }
}

/** An id not yet in the catalog: the same file imported for another base model gets "-2", ... */
function freeId(ctx: Ctx, id: string): string {
  for (let k = 2, candidate = id; ; k++, candidate = `${id}-${k - 1}`) if (!ctx.catalog.adapters.get(candidate)) return candidate;
}

/** A released experiment folder: one row per diff of index.csv, plus its DIT adapter(s). */
export async function runExperimentImport(ctx: Ctx, dir: string, modelId: string, job: JobHandle) {
  const model = required(ctx.catalog.models.get(modelId), `model ${modelId}`);
  const { exp, ditRanks } = await checkExperimentOffThread(resolve(dir), model.manifest); // every file read off this thread
  const name = experimentPrefix(ctx, slug(`${basename(dirname(exp.dir))}-${basename(exp.dir)}`), exp.dir, modelId);
  const experiment = `${basename(dirname(exp.dir))}/${basename(exp.dir)}`;
  const ids: string[] = [];
  // DIT adapters: read and validated whole (they are small)
  for (const [i, ditPath] of Object.keys(ditRanks).entries()) {
    const source = await fingerprint(ditPath, (d, t) => job.progress(`hashing ${basename(ditPath)}`, d, t));
    const found = ctx.catalog.adapters.findBySource(modelId, source.sha256, null);
    if (found) {
      ids.push(found.id);
      continue;
    }
    const id = freeId(ctx, `${name}/${i === 0 ? 'dit' : `dit-${slug(basename(ditPath, '.pt'))}`}`);
    ctx.catalog.adapters.insert({ id, kind: 'dit', modelId, format: 'paper-pt', rank: ditRanks[ditPath], source: { ...source, index: null }, experiment });
    ids.push(id);
  }
  // shards (their rows and first diffs checked above): hashed once each
  const shards = new Map<string, Awaited<ReturnType<typeof fingerprint>>>();
  const present = [...new Set(exp.diffs.filter((d) => d.present).map((d) => d.shard))];
  for (const shard of present) {
    shards.set(shard, await fingerprint(shard, (d, t) => job.progress(`hashing ${basename(shard)}`, d, t)));
  }
  const rows: NewAdapter[] = [];
  exp.diffs.forEach((d, row) => {
    const source = shards.get(d.shard);
    if (!source) return; // shard not downloaded: listed by the experiment, not importable
    if (ctx.catalog.adapters.findBySource(modelId, source.sha256, d.loraIdx)) return;
    const trigger = typeof d.trigger === 'number' ? d.trigger : d.trigger !== null && /^\d+$/.test(String(d.trigger)) ? Number(d.trigger) : null;
    rows.push({
      id: `${name}/${String(row).padStart(4, '0')}`,
      kind: 'diff',
      modelId,
      format: 'paper-pt',
      rank: null,
      source: { ...source, index: d.loraIdx },
      label: d.topic || null,
      trigger,
      split: d.split === 'train' || d.split === 'test' ? d.split : null,
      experiment,
    });
  });
  job.progress('cataloguing', 0, rows.length);
  ctx.catalog.adapters.insertMany(rows);
  job.progress('cataloguing', rows.length, rows.length);
  ids.push(...rows.map((r) => r.id));
  ctx.emit({ type: 'catalog', what: 'adapters' });
  const missing = exp.diffs.length - exp.diffs.filter((d) => shards.has(d.shard)).length;
  if (exp.diffs.length > 0 && shards.size === 0) throw new UserError(`${join(dir, 'index.csv')}: none of its ${exp.diffs.length} diffs' shards are present under weight-diffs/`);
  return { adapterIds: ids, ...(missing ? { missing } : {}) };
}

export function importAdapterJob(ctx: Ctx, path: string, modelId: string, opts: { rank?: number } = {}): JobView {
  required(ctx.catalog.models.get(modelId), `model ${modelId}`);
  let plain: string;
  try {
    plain = parseAdapterRef(path).path;
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  if (!existsSync(plain)) throw new UserError(`${plain}: no such file or folder`);
  if (statSync(plain).isDirectory() && existsSync(join(plain, 'index.csv'))) {
    return ctx.jobs.start('import-experiment', `Import ${basename(plain)}`, (job) => runExperimentImport(ctx, plain, modelId, job));
  }
  return ctx.jobs.start('import-adapter', `Import ${basename(plain)}`, (job) => importOne(ctx, path, modelId, job, opts.rank));
}

/**
 * Models imported by an older graph builder are rebuilt from their source folders (when those
 * are still there), as jobs, so that an upgrade of Diffscope keeps the catalog usable.
 */
export function rebuildOutdatedModels(ctx: Ctx): void {
  for (const m of ctx.catalog.models.list()) {
    if (m.manifest.builderVersion === BUILDER_VERSION || !existsSync(join(m.sourcePath, 'config.json'))) continue;
    ctx.jobs.start('import-model', `Rebuild ${m.name} for this version`, (job) =>
      runModelImport(ctx, m.sourcePath, m.manifest.precision, job, { demo: m.demo, standIn: m.standIn }, m.manifest.quantization?.blockSize),
    );
  }
}
