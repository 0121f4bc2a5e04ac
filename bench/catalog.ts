// Catalog figures: full-text search over 100k messages, and importing a released experiment of
// 5,000 diffs (index.csv + 20 shards) into a fresh catalog.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeModel } from '../src/main/engine/dev/make-model.ts';
import { readModelConfig } from '../src/main/engine/hf/config.ts';
import { createBackend } from '../src/main/services/backend.ts';
import { writeExperiment } from '../test/helpers/experiment.ts';
import { benchSearch, type SearchBench } from './catalog-search.ts';

export interface CatalogBench extends Omit<SearchBench, 'queries'> {
  experimentDiffs: number;
  experimentImportSeconds: number;
}

export async function benchCatalog(work: string, log: (s: string) => void): Promise<CatalogBench> {
  log('search over 100k messages...');
  const { queries: _queries, ...search } = benchSearch(work, log);
  log('importing a 5,000-diff experiment...');
  const hf = join(work, 'qwen3-tiny');
  if (!existsSync(join(hf, 'config.json'))) makeModel({ arch: 'qwen3', preset: 'tiny', out: hf, seed: 1 });
  const exp = join(work, 'experiment', 'hidden-topic', 'qwen3-tiny');
  if (!existsSync(join(exp, 'index.csv'))) writeExperiment(exp, readModelConfig(hf), { diffs: 5000, perShard: 250 });
  const home = join(work, 'import-home');
  rmSync(home, { recursive: true, force: true });
  const backend = await createBackend({ home, shell: 'browser', engineHost: 'thread', demoDir: join(work, 'no-demo') });
  try {
    const [model] = backend.ctx.catalog.models.list();
    const t = performance.now();
    const job = await backend.requests.adapters.import(exp, model.id);
    const done = await backend.ctx.jobs.wait(job.id);
    if (done.status !== 'done') throw new Error(done.error ?? 'import failed');
    return { ...search, experimentDiffs: 5000, experimentImportSeconds: (performance.now() - t) / 1000 };
  } finally {
    await backend.close();
  }
}
