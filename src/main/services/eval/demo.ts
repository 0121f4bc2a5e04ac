// The embedded demo as an evaluation (`diffscope eval --demo`, issue 4): resources/demo imported
// through the normal first-run / import path if the catalog lacks it, then the paper's methods
// that need no outside judge (base question, base question with trigger, DIT) on its held-out
// test diffs, graded with the lexical score.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { EvalRequest, JudgeConfig } from '../../../shared/api.ts';
import { UserError, type Ctx } from '../context.ts';
import { DEMO_DIR, firstRun, importedDemo, recordDemoImport } from '../first-run.ts';
import { runExperimentImport, runModelImport } from '../imports.ts';
import type { JobHandle } from '../jobs.ts';

export interface DemoSetup {
  modelId: string;
  ditAdapterId: string;
  experiment: string;
}

/** Runs work as a first-run job and waits for it (the demo's imports show as jobs). */
export async function asJob<T>(ctx: Ctx, title: string, work: (job: JobHandle) => Promise<T>): Promise<T> {
  let out: T;
  const job = ctx.jobs.start('first-run', title, async (handle) => {
    out = await work(handle);
    return null;
  });
  const done = await ctx.jobs.wait(job.id);
  if (done.status === 'failed') throw new UserError(`${title}: ${done.error}`);
  return out!;
}

/**
 * The trained demo's model and DIT adapter in the catalog, importing them when missing or changed.
 * At another precision than fp32 the demo model is imported again at it (a model of its own, with
 * the experiment's diffs imported for it), so the same evaluation measures what quantising costs.
 */
export async function ensureDemo(ctx: Ctx, demoDir = DEMO_DIR, precision: 'fp32' | 'int8' | 'int4' = 'fp32'): Promise<DemoSetup> {
  const base = resolve(demoDir, 'base-model');
  const experimentDir = resolve(demoDir, 'hidden-topic');
  if (!existsSync(join(base, 'config.json')) || !existsSync(join(experimentDir, 'index.csv')) || !existsSync(join(experimentDir, 'dit-adapter.pt'))) {
    throw new UserError(`${demoDir} holds no trained demo yet (expected base-model/config.json and hidden-topic/{index.csv, dit-adapter.pt}; see trainer/)`);
  }
  const { catalog } = ctx;
  if (catalog.models.list().length === 0) await firstRun(ctx, demoDir);
  // The id names the files' content, so a retrained demo becomes a new model rather than
  // answering with the old weights; files unchanged since their import are not hashed again.
  let modelId = importedDemo(ctx, base, precision);
  if (!modelId) {
    const title = precision === 'fp32' ? 'Import the demo model' : `Import the demo model at ${precision}`;
    // only the fp32 import is the app's demo; another precision is a model like any other
    ({ modelId } = await asJob(ctx, title, (job) => runModelImport(ctx, base, precision, job, { demo: precision === 'fp32' })));
    recordDemoImport(ctx, base, modelId, precision);
  }
  const ditPath = join(experimentDir, 'dit-adapter.pt');
  const findDit = () => catalog.adapters.list({ modelId, kind: 'dit' }).find((a) => resolve(a.source.path) === ditPath);
  const found = findDit();
  if (!found || catalog.adapters.count({ modelId, kind: 'diff', experiment: found.experiment ?? undefined }) === 0) {
    await asJob(ctx, 'Import the demo diffs', (job) => runExperimentImport(ctx, experimentDir, modelId, job));
  }
  const dit = findDit();
  if (!dit?.experiment) throw new UserError(`${experimentDir}: the demo's DIT adapter did not import`);
  return { modelId, ditAdapterId: dit.id, experiment: dit.experiment };
}

/**
 * The paper's hidden-topic table on the demo's test split: base question, base question + trigger
 * and DIT, graded with the lexical score; with a judge, graded by it, and 20 questions (with and
 * without the trigger) run too.
 */
export function demoRequest(demo: DemoSetup, batch?: number, judge: JudgeConfig | null = null): EvalRequest {
  return {
    modelId: demo.modelId,
    ditAdapterId: demo.ditAdapterId,
    selection: { experiment: demo.experiment, split: 'test' },
    methods: judge ? ['base', '20q', 'trigger', '20q-trigger', 'dit'] : ['base', 'trigger', 'dit'],
    judge,
    batch,
  };
}
