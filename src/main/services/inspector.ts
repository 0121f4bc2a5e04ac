// The diff inspector (docs/inspector.md): an adapter's per-module figures with their size next to
// the base weight, the catalog's diffs nearest to one diff, and a map of a whole experiment.
// Everything exact from the low-rank factors (engine/adapters/spectrum.ts); no dense ΔW.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Adapter } from '../catalog/index.ts';
import { engineRef } from '../catalog/index.ts';
import { inspectAdapterOffThread } from '../engine/adapters/off-thread.ts';
import { classicalMds } from '../engine/adapters/mds.ts';
import { innerProduct } from '../engine/adapters/spectrum.ts';
import type { AdapterInspection, AdapterMap, SimilarAdapters } from '../../shared/api.ts';
import { baseNormsOf, withRelative } from './base-norms.ts';
import { required, UserError, type Ctx } from './context.ts';
import { FactorCache, type Factors } from './inspector-factors.ts';

/** The map places at most this many diffs. */
export const MAP_LIMIT = 5000;

type Phase = 'reading' | 'comparing' | 'placing';

export class Inspector {
  private readonly factors = new FactorCache();
  private readonly maps = new Map<string, { key: string; map: AdapterMap }>();

  constructor(private readonly ctx: Ctx) {}

  async inspect(id: string): Promise<AdapterInspection> {
    const { catalog } = this.ctx;
    const a = required(catalog.adapters.get(id), `adapter ${id}`);
    const model = catalog.models.get(a.modelId);
    const info = await inspectAdapterOffThread(engineRef(a), { base: model?.sourcePath, rank: a.rank ?? undefined }); // off the serving thread
    const found = model ? await baseNormsOf(model.libraryDir) : { norms: null, why: `its base model ${a.modelId} is not in the catalog` };
    return { id, ...info, modules: withRelative(info.modules, found.norms), ...(found.norms ? {} : { relativeMissing: found.why }) };
  }

  /** The `top` adapters of the same base model (diffs and compressed full finetunes) nearest by cosine. */
  async similar(id: string, top: number): Promise<SimilarAdapters> {
    const { catalog } = this.ctx;
    const a = required(catalog.adapters.get(id), `adapter ${id}`);
    const others = this.comparable(a.modelId).filter((o) => o.id !== id);
    const all = [a, ...others];
    const factors = await this.read(a.modelId, all);
    const mine = factors[0];
    const scored: { o: Adapter; cosine: number }[] = [];
    let last = performance.now();
    for (let i = 0; i < others.length; i++) {
      const f = factors[i + 1];
      const cos = mine.norm > 0 && f.norm > 0 ? innerProduct(mine.lr, f.lr) / (mine.norm * f.norm) : 0;
      scored.push({ o: others[i], cosine: Math.max(-1, Math.min(1, cos)) });
      if (performance.now() - last > 50) {
        last = performance.now();
        this.progress(a.modelId, 'comparing', i + 1, others.length);
        await turn();
      }
    }
    scored.sort((x, y) => y.cosine - x.cosine);
    return {
      id,
      label: a.label,
      compared: others.length,
      nearest: scored.slice(0, top).map(({ o, cosine }) => ({ id: o.id, cosine, label: o.label, split: o.split, kind: o.kind, tags: o.tags })),
    };
  }

  /** Every diff of a model placed by classical MDS of the cosine Gram matrix (kept until the diffs change). */
  async map(modelId: string): Promise<AdapterMap> {
    required(this.ctx.catalog.models.get(modelId), `model ${modelId}`);
    const every = this.comparable(modelId);
    const list = every.slice(0, MAP_LIMIT);
    const key = list.map((a) => a.id).join(',');
    const kept = this.maps.get(modelId);
    if (kept && kept.key === key) return kept.map;
    const n = list.length;
    if (n === 0) throw new UserError(`model ${modelId} has no diffs in the catalog to place on a map`);
    const factors = await this.read(modelId, list);
    const gram = new Float64Array(n * n);
    const pairs = (n * (n + 1)) / 2;
    let done = 0;
    let last = performance.now();
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        const x = factors[i];
        const y = factors[j];
        const cos = i === j ? (x.norm > 0 ? 1 : 0) : x.norm > 0 && y.norm > 0 ? innerProduct(x.lr, y.lr) / (x.norm * y.norm) : 0;
        gram[i * n + j] = gram[j * n + i] = cos;
      }
      done += n - i;
      if (performance.now() - last > 50) {
        last = performance.now();
        this.progress(modelId, 'comparing', done, pairs);
        await turn();
      }
    }
    this.progress(modelId, 'placing', 0, 1);
    await turn();
    const mds = classicalMds(gram, n);
    this.progress(modelId, 'placing', 1, 1);
    const categories = categoriesOf(list);
    const map: AdapterMap = {
      modelId,
      points: list.map((a, i) => ({ id: a.id, x: mds.x[i], y: mds.y[i], label: a.label, split: a.split, category: categories[i] })),
      explained: mds.explained,
      omitted: every.length - n,
    };
    this.maps.set(modelId, { key, map });
    return map;
  }

  forget(id: string): void {
    this.factors.forget(id);
  }

  /** Diffs and compressed full finetunes of a model, in catalog order. */
  private comparable(modelId: string): Adapter[] {
    return this.ctx.catalog.adapters.list({ modelId }).filter((a) => a.kind !== 'dit');
  }

  private async read(modelId: string, list: Adapter[]): Promise<Factors[]> {
    const base = this.ctx.catalog.models.get(modelId)?.sourcePath;
    const out: Factors[] = [];
    let last = performance.now();
    for (let i = 0; i < list.length; i++) {
      out.push(this.factors.get(list[i], base));
      if (performance.now() - last > 50) {
        last = performance.now();
        this.progress(modelId, 'reading', i + 1, list.length);
        await turn();
      }
    }
    this.factors.release();
    return out;
  }

  private progress(modelId: string, phase: Phase, done: number, total: number): void {
    this.ctx.emit({ type: 'similarity', modelId, phase, done, total });
  }
}

/** Lets requests and events through between slices of a long computation. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Each adapter's category: a `category:NAME` tag, else its label's row in categories.csv
 * (topic,category) beside the released experiment's index.csv; null where neither says.
 */
function categoriesOf(list: Adapter[]): (string | null)[] {
  const tables = new Map<string, Map<string, string> | null>();
  return list.map((a) => {
    const tag = a.tags.find((t) => t.startsWith('category:'));
    if (tag) return tag.slice('category:'.length);
    if (!a.label) return null;
    const dir = dirname(dirname(a.source.path)); // <experiment>/weight-diffs/<shard>.pt
    if (!tables.has(dir)) tables.set(dir, readCategories(join(dir, 'categories.csv')));
    return tables.get(dir)?.get(a.label) ?? null;
  });
}

/** topic,category rows; a missing, large or odd file gives nothing. */
function readCategories(path: string): Map<string, string> | null {
  if (!existsSync(path) || statSync(path).size > 4 << 20) return null;
  const lines = readFileSync(path, 'utf8').split(/\r?\n/);
  if (lines[0]?.trim() !== 'topic,category') return null;
  const table = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const comma = line.lastIndexOf(',');
    if (comma > 0) table.set(line.slice(0, comma).replace(/^"|"$/g, ''), line.slice(comma + 1).trim());
  }
  return table;
}
