// A back end in this process (engine in a worker thread) with the tiny random Qwen3 model and a
// generated released-experiment folder imported through the API: the setting of the eval tests.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createBackend, type Backend } from '../../src/main/services/backend.ts';
import { envSecrets } from '../../src/main/services/grading/secrets.ts';
import type { AdapterView, JobView } from '../../src/shared/api.ts';
import { writeExperiment } from './experiment.ts';
import { tinyModel } from './models.ts';
import { tmpDir } from './tmp.ts';

export interface EvalSetup {
  home: string;
  backend: Backend;
  modelId: string;
  hfDir: string;
  dit: AdapterView;
  diffs: AdapterView[];
  experiment: string;
}

async function waitJob(b: Backend, job: JobView): Promise<JobView> {
  const done = await b.ctx.jobs.wait(job.id);
  assert.equal(done.status, 'done', done.error ?? '');
  return done;
}

/** `diffs` hidden-topic diffs (rank 1) and a rank-4 DIT adapter for the tiny model. */
export async function evalSetup(opts: { diffs: number; home?: string } = { diffs: 8 }): Promise<EvalSetup> {
  const home = opts.home ?? tmpDir('eval');
  const model = await tinyModel('qwen3');
  // keys from this test only, whatever the environment holds
  const backend = await createBackend({ home, shell: 'browser', engineHost: 'thread', firstRun: false, secrets: envSecrets({}) });
  const imported = await waitJob(backend, await backend.requests.models.import(model.hfDir, 'fp32'));
  const modelId = imported.result!.modelId!;
  const dir = join(home, 'release', 'hidden-topic', 'qwen3-tiny');
  writeExperiment(dir, model.config, { diffs: opts.diffs, perShard: 64 });
  await waitJob(backend, await backend.requests.adapters.import(dir, modelId));
  const dit = (await backend.requests.adapters.list({ modelId, kind: 'dit' }))[0];
  const diffs = await backend.requests.adapters.list({ modelId, kind: 'diff' });
  return { home, backend, modelId, hfDir: model.hfDir, dit, diffs, experiment: dit.experiment! };
}
