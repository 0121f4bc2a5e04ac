// Batched evaluation against one diff at a time: the same run (base question, base question with
// trigger, DIT; greedy; lexical score) at batch 1 and at batch 8, answers compared. On the demo's
// test split when resources/demo holds the trained demo, else on a generated experiment for the
// tiny random Qwen3 (its figures then say little about the demo's).
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeModel } from '../src/main/engine/dev/make-model.ts';
import { readModelConfig } from '../src/main/engine/hf/config.ts';
import { createBackend, type Backend } from '../src/main/services/backend.ts';
import { demoRequest, ensureDemo } from '../src/main/services/eval/demo.ts';
import { DEMO_DIR } from '../src/main/services/first-run.ts';
import type { EvalRequest } from '../src/shared/api.ts';
import { writeExperiment } from '../test/helpers/experiment.ts';

export interface EvalBench {
  batch: number;
  sequentialSeconds: number;
  batchedSeconds: number;
  speedup: number;
  identical: boolean;
  items: number;
  source: 'demo' | 'generated';
}

const BATCH = 8;
const GENERATED_DIFFS = 24;

async function generatedRequest(b: Backend, work: string): Promise<EvalRequest> {
  const hf = join(work, 'qwen3-tiny');
  if (!existsSync(join(hf, 'config.json'))) makeModel({ arch: 'qwen3', preset: 'tiny', out: hf, seed: 1 });
  const exp = join(work, 'eval-experiment', 'hidden-topic', 'qwen3-tiny');
  if (!existsSync(join(exp, 'index.csv'))) writeExperiment(exp, readModelConfig(hf), { diffs: GENERATED_DIFFS, perShard: GENERATED_DIFFS });
  const model = await b.ctx.jobs.wait((await b.requests.models.import(hf, 'fp32')).id);
  if (model.status !== 'done') throw new Error(model.error ?? 'model import failed');
  const modelId = model.result!.modelId!;
  const imported = await b.ctx.jobs.wait((await b.requests.adapters.import(exp, modelId)).id);
  if (imported.status !== 'done') throw new Error(imported.error ?? 'experiment import failed');
  const dit = b.ctx.catalog.adapters.list({ modelId, kind: 'dit' })[0];
  return { modelId, ditAdapterId: dit.id, selection: { experiment: dit.experiment! }, methods: ['base', 'trigger', 'dit'], judge: null };
}

async function timed(b: Backend, req: EvalRequest, batch: number): Promise<{ seconds: number; answers: Map<string, string | null> }> {
  const t = performance.now();
  const run = await b.evals.wait(b.evals.start({ ...req, batch }).id);
  const seconds = (performance.now() - t) / 1000;
  if (run.status !== 'done' || run.progress.failed > 0) throw new Error(`eval at batch ${batch}: ${run.status} ${run.error ?? ''}`);
  return { seconds, answers: new Map(b.evals.items(run.id, {}).map((i) => [`${i.method} ${i.adapterId}`, i.answer])) };
}

export async function benchEval(work: string, log: (s: string) => void): Promise<EvalBench> {
  const home = join(work, 'eval-home');
  rmSync(home, { recursive: true, force: true });
  const backend = await createBackend({ home, shell: 'browser', engineHost: 'thread', firstRun: false });
  try {
    const demo = existsSync(join(DEMO_DIR, 'hidden-topic', 'index.csv'));
    log(demo ? 'eval: importing the demo...' : 'eval: no trained demo in resources/demo; a generated experiment on the tiny random Qwen3');
    const req = demo ? demoRequest(await ensureDemo(backend.ctx)) : await generatedRequest(backend, work);
    await timed(backend, { ...req, selection: { ...req.selection, limit: 1 } }, 1); // loads the engine: not part of either figure
    log('eval: one diff at a time...');
    const sequential = await timed(backend, req, 1);
    log(`eval: batch ${BATCH}...`);
    const batched = await timed(backend, req, BATCH);
    const identical = sequential.answers.size === batched.answers.size && [...sequential.answers].every(([k, v]) => batched.answers.get(k) === v);
    return {
      batch: BATCH,
      sequentialSeconds: sequential.seconds,
      batchedSeconds: batched.seconds,
      speedup: sequential.seconds / batched.seconds,
      identical,
      items: sequential.answers.size,
      source: demo ? 'demo' : 'generated',
    };
  } finally {
    await backend.close();
  }
}
