// First run: an empty catalog imports the embedded demo (resources/demo) so that a new user can
// chat at once. Without a trained demo a small random-weight Qwen3 stands in, flagged as such.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeModel } from '../engine/dev/make-model.ts';
import { BUILDER_VERSION } from '../engine/library.ts';
import type { Ctx } from './context.ts';
import { PROJECT_ROOT } from '../paths.ts';
import { runExperimentImport, runModelImport } from './imports.ts';

/** The embedded demo; DIFFSCOPE_DEMO_DIR points elsewhere (tests, a demo of one's own). */
export const DEMO_DIR = process.env.DIFFSCOPE_DEMO_DIR || join(PROJECT_ROOT, 'resources', 'demo');

export async function firstRun(ctx: Ctx, demoDir = DEMO_DIR): Promise<void> {
  if (ctx.catalog.models.list().length > 0) return;
  const base = join(demoDir, 'base-model');
  const trained = existsSync(join(base, 'config.json'));
  const job = ctx.jobs.start('first-run', trained ? 'Import the demo' : 'Prepare a stand-in demo model', async (handle) => {
    let source = base;
    if (!trained) {
      source = join(ctx.home, 'stand-in', 'qwen3-tiny-random');
      if (!existsSync(join(source, 'config.json'))) makeModel({ arch: 'qwen3', preset: 'tiny', out: source, seed: 1 });
    }
    const { modelId } = await runModelImport(ctx, source, 'fp32', handle, { demo: true, standIn: !trained });
    if (trained) recordDemoImport(ctx, source, modelId);
    const experiment = join(demoDir, 'hidden-topic');
    if (trained && existsSync(join(experiment, 'index.csv'))) {
      const { adapterIds } = await runExperimentImport(ctx, experiment, modelId, handle);
      return { modelId, adapterIds };
    }
    return { modelId };
  });
  const done = await ctx.jobs.wait(job.id);
  if (done.status === 'failed') throw new Error(`first run: ${done.error}`);
}

/**
 * The demo model's files as last imported: name, size and modification time of each. The same
 * stamp means the same files (a retrained demo changes them), so they need no hashing again.
 */
const STAMP_KEY = 'demoImportStamp';
interface DemoStamp {
  dir: string;
  files: [string, number, number][];
  modelId: string;
}

function stampOf(dir: string): [string, number, number][] {
  return readdirSync(dir)
    .sort()
    .map((name) => {
      const st = statSync(join(dir, name));
      return [name, st.size, Math.floor(st.mtimeMs)];
    });
}

/** One stamp per precision the demo was imported at (fp32 is the app's own; eval --demo --precision adds others). */
const stampKey = (precision: string) => (precision === 'fp32' ? STAMP_KEY : `${STAMP_KEY}.${precision}`);

export function recordDemoImport(ctx: Pick<Ctx, 'catalog'>, dir: string, modelId: string, precision = 'fp32'): void {
  ctx.catalog.settings.set(stampKey(precision), { dir: resolve(dir), files: stampOf(dir), modelId } satisfies DemoStamp);
}

/** The catalog's model of the demo in `dir` when its files have not changed since their import. */
export function importedDemo(ctx: Pick<Ctx, 'catalog'>, dir: string, precision = 'fp32'): string | undefined {
  const saved = ctx.catalog.settings.get<DemoStamp>(stampKey(precision));
  if (!saved || saved.dir !== resolve(dir) || JSON.stringify(saved.files) !== JSON.stringify(stampOf(dir))) return undefined;
  const model = ctx.catalog.models.get(saved.modelId);
  const current = model && model.manifest.builderVersion === BUILDER_VERSION && existsSync(join(model.libraryDir, 'manifest.json'));
  return current ? model.id : undefined;
}
